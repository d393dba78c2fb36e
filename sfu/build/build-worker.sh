#!/usr/bin/env bash
# Builds the mediasoup worker binary once per (mediasoup version, patch set) and keeps
# it in a cache outside the clone, so fresh clones, CI runs and `npm ci` reuse it.
#
#   bash sfu/build/build-worker.sh               build or find; prints the binary path on stdout
#   bash sfu/build/build-worker.sh --print-path  only print where the binary belongs (no build)
#   bash sfu/build/build-worker.sh --rebuild     ignore the cache and build again
#
# Why not mediasoup's own postinstall: 3.9+ downloads its C++ deps at install time
# (no internet here), and 3.8.4 needs Python 2 for its bundled gyp plus one source
# fix for gcc 12 / glibc 2.34+ (sfu/build/patches/). Building here, once, keyed by
# version and patch hash, makes `npm ci` fast and lets a cold build fail softly.
#
# Cache:  ${MEDIASOUP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/agora-meet}/
#           mediasoup-worker-<version>-<sha256(patches)[0:8]>/mediasoup-worker
# Env:    MEDIASOUP_CACHE_DIR   cache root (see above)
#         MEDIASOUP_PYTHON      Python 2 for gyp (default: pyenv's 2.7.x, then python2 on PATH;
#                               without one, python3 with npm's bundled gyp-next is tried)
#         MEDIASOUP_BUILD_JOBS  parallel compile jobs (default: nproc)
#         MEDIASOUP_TARBALL     use this mediasoup-<version>.tgz instead of `npm pack`
# Logs go to stderr; stdout carries only the binary path, for install.sh.
set -euo pipefail

log() { printf '[build-worker] %s\n' "$*" >&2; }
die() { printf '[build-worker] ERROR: %s\n' "$*" >&2; exit 1; }

MODE=build
case "${1:-}" in
  '') ;;
  --print-path) MODE=print ;;
  --rebuild) MODE=rebuild ;;
  *) die "unknown argument '$1' (use --print-path or --rebuild)" ;;
esac

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
PATCH_DIR="$SCRIPT_DIR/patches"

# The version comes from package.json (optionalDependencies, else dependencies); it
# must be exact, or the cache key would not name what was built.
VERSION="$(node -e '
  const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  process.stdout.write((p.optionalDependencies ?? {}).mediasoup ?? (p.dependencies ?? {}).mediasoup ?? "");
' "$REPO_ROOT/package.json")"
[[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] \
  || die "package.json must pin mediasoup to an exact version (found '${VERSION}')"

# Patches for this version, in byte order; the key hashes their concatenated bytes
# (sfu/workerBinary.ts computes the same key, a test checks both agree).
shopt -s nullglob
PATCHES=()
while IFS= read -r f; do PATCHES+=("$f"); done < <(
  for f in "$PATCH_DIR"/mediasoup-"$VERSION"-*.patch; do printf '%s\n' "$f"; done | LC_ALL=C sort)
shopt -u nullglob
if ((${#PATCHES[@]})); then
  PATCH_SHA="$(cat "${PATCHES[@]}" | sha256sum | cut -c1-8)"
else
  PATCH_SHA="$(printf '' | sha256sum | cut -c1-8)"
fi

CACHE_ROOT="${MEDIASOUP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/agora-meet}"
KEY="mediasoup-worker-${VERSION}-${PATCH_SHA}"
ENTRY="$CACHE_ROOT/$KEY"
BIN="$ENTRY/mediasoup-worker"

if [[ "$MODE" == print ]]; then
  printf '%s\n' "$BIN"
  exit 0
fi

# A cached binary is trusted only if its recorded checksum still matches.
cache_ok() {
  [[ -x "$BIN" && -s "$BIN" && -f "$BIN.sha256" ]] || return 1
  [[ "$(sha256sum "$BIN" | cut -d' ' -f1)" == "$(cat "$BIN.sha256")" ]]
}

if [[ "$MODE" == build ]] && cache_ok; then
  log "cache hit: $BIN (mediasoup $VERSION, patches $PATCH_SHA); not rebuilding"
  printf '%s\n' "$BIN"
  exit 0
fi

mkdir -p "$CACHE_ROOT"
# One build per key at a time (two CI jobs, or setup run twice): the second waits,
# then finds the first one's binary.
exec 9>"$CACHE_ROOT/.$KEY.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9 || die "could not lock $CACHE_ROOT/.$KEY.lock"
  if [[ "$MODE" == build ]] && cache_ok; then
    log "cache hit after waiting for another build: $BIN; not rebuilding"
    printf '%s\n' "$BIN"
    exit 0
  fi
fi

for tool in make g++ patch tar sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is missing (Debian: apt-get install build-essential patch)"
done

# Python for gyp. mediasoup 3.8.4's bundled gyp is Python 2 only.
PYTHON=""
GYP_FALLBACK=""
if [[ -n "${MEDIASOUP_PYTHON:-}" ]]; then
  PYTHON="$MEDIASOUP_PYTHON"
else
  if command -v pyenv >/dev/null 2>&1; then
    for cand in "$(pyenv root)"/versions/2.7.*/bin/python2; do
      [[ -x "$cand" ]] && PYTHON="$cand"
    done
  fi
  if [[ -z "$PYTHON" ]] && command -v python2 >/dev/null 2>&1; then PYTHON="$(command -v python2)"; fi
fi
if [[ -z "$PYTHON" ]]; then
  # No Python 2: npm ships gyp-next (Python 3) inside node-gyp; it reads the same .gyp files.
  NPM_GYP="$(npm root -g 2>/dev/null)/npm/node_modules/node-gyp/gyp"
  if command -v python3 >/dev/null 2>&1 && [[ -f "$NPM_GYP/pylib/gyp/__init__.py" ]]; then
    PYTHON="$(command -v python3)"
    GYP_FALLBACK="$NPM_GYP"
    log "no Python 2 found; trying python3 with npm's gyp-next ($NPM_GYP)"
  else
    die "no Python 2 for mediasoup's gyp: install it (pyenv install 2.7.18) or set MEDIASOUP_PYTHON"
  fi
fi
"$PYTHON" --version >/dev/null 2>&1 || die "Python '$PYTHON' does not run"

JOBS="${MEDIASOUP_BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}"
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || die "MEDIASOUP_BUILD_JOBS must be a positive integer (got '$JOBS')"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/agora-mediasoup-build.XXXXXX")"
STAGED=""
cleanup() {
  rm -rf "$WORK"
  [[ -n "$STAGED" ]] && rm -f "$STAGED" "$STAGED.sha256"
  return 0
}
trap cleanup EXIT

START=$SECONDS
log "cache miss: building mediasoup $VERSION worker (patches $PATCH_SHA, $JOBS jobs, $("$PYTHON" --version 2>&1))"
log "work dir $WORK"

if [[ -n "${MEDIASOUP_TARBALL:-}" ]]; then
  cp "$MEDIASOUP_TARBALL" "$WORK/mediasoup.tgz"
else
  TGZ="$(cd "$WORK" && npm pack "mediasoup@$VERSION" --silent 2>"$WORK/npm-pack.log" | tail -n1)" \
    || { cat "$WORK/npm-pack.log" >&2; die "npm pack mediasoup@$VERSION failed"; }
  [[ -f "$WORK/$TGZ" ]] || { cat "$WORK/npm-pack.log" >&2; die "npm pack produced no tarball"; }
  mv "$WORK/$TGZ" "$WORK/mediasoup.tgz"
fi
tar -xzf "$WORK/mediasoup.tgz" -C "$WORK"
SRC="$WORK/package"
[[ -f "$SRC/worker/Makefile" ]] || die "tarball has no worker/Makefile: not a mediasoup source package"
PKG_VERSION="$(node -p 'require(process.argv[1]).version' "$SRC/package.json")"
[[ "$PKG_VERSION" == "$VERSION" ]] || die "tarball is mediasoup $PKG_VERSION, expected $VERSION"

for p in "${PATCHES[@]}"; do
  log "applying $(basename "$p")"
  patch -p1 --batch --forward --silent -d "$SRC" <"$p" || die "patch $(basename "$p") did not apply"
  # Proof that it is in: reversing it must apply cleanly.
  patch -p1 --batch --reverse --dry-run --silent -d "$SRC" <"$p" >/dev/null \
    || die "patch $(basename "$p") is not in place after applying"
done

if [[ -n "$GYP_FALLBACK" ]]; then
  rm -rf "$SRC/worker/deps/gyp"
  cp -r "$GYP_FALLBACK" "$SRC/worker/deps/gyp"
fi

# The worker Makefile builds nothing when MEDIASOUP_WORKER_BIN is set (install.sh sets it).
if ! env -u MEDIASOUP_WORKER_BIN PYTHON="$PYTHON" CORES="$JOBS" MEDIASOUP_BUILDTYPE=Release \
  make -C "$SRC/worker" >"$WORK/make.log" 2>&1; then
  tail -n 40 "$WORK/make.log" >&2
  die "make failed (last 40 lines above)"
fi
OUT="$SRC/worker/out/Release/mediasoup-worker"
[[ -x "$OUT" ]] || die "make succeeded but $OUT is missing"

# Smoke test: started outside mediasoup, the worker refuses ("you don't seem to be
# my real father"); seeing that message proves the binary loads and runs here.
if env -u MEDIASOUP_VERSION "$OUT" >"$WORK/smoke.log" 2>&1 || ! grep -q 'real father' "$WORK/smoke.log"; then
  cat "$WORK/smoke.log" >&2
  die "built worker does not start as expected"
fi

# Atomic publish: stage beside the target (same filesystem), then rename.
mkdir -p "$ENTRY"
STAGED="$(mktemp "$ENTRY/.mediasoup-worker.XXXXXX")"
cp "$OUT" "$STAGED"
chmod 0755 "$STAGED"
sha256sum "$STAGED" | cut -d' ' -f1 >"$STAGED.sha256"
{
  printf 'mediasoup %s\npatches %s\n' "$VERSION" "$PATCH_SHA"
  for p in "${PATCHES[@]}"; do printf '  %s\n' "$(basename "$p")"; done
  printf 'built %s on %s\n%s\n%s\n' "$(date -u +%FT%TZ)" "$(uname -srm)" \
    "$(g++ --version | head -n1)" "$("$PYTHON" --version 2>&1)"
} >"$ENTRY/BUILD-INFO"
# Checksum first, binary last: a reader that sees the binary also sees its checksum.
mv -f "$STAGED.sha256" "$BIN.sha256"
mv -f "$STAGED" "$BIN"
STAGED=""
log "built in $((SECONDS - START))s: $BIN"
printf '%s\n' "$BIN"
