#!/usr/bin/env bash
# The one install command (`npm run setup`):
#   1. build the mediasoup worker, or find it in the cache (sfu/build/build-worker.sh);
#      a failed build only disables video: the hub still runs;
#   2. `npm ci` (or `npm install` without a lockfile) with MEDIASOUP_WORKER_BIN set, so
#      mediasoup's postinstall does not try its own build;
#   3. link the cached binary to node_modules/mediasoup/worker/out/Release/mediasoup-worker,
#      where mediasoup looks for it at run time.
# Extra arguments go to npm. Running it again is cheap: the worker comes from the cache.
set -uo pipefail

log() { printf '[setup] %s\n' "$*" >&2; }

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT="$(cd "$SCRIPT_DIR/../.." && pwd)"
cd "$PROJECT" || exit 1

START=$SECONDS
WORKER_BIN=""
if WORKER_BIN="$(bash "$SCRIPT_DIR/build-worker.sh")" && [[ -x "$WORKER_BIN" ]]; then
  log "mediasoup worker: $WORKER_BIN"
else
  WORKER_BIN=""
  cat >&2 <<'EOF'

  ************************************************************************
  *  WARNING: the mediasoup worker could not be built (see errors above). *
  *  Setup carries on; the hub will run with VIDEO DISABLED.              *
  *  Fix the cause and run `npm run setup` again to enable video.         *
  ************************************************************************

EOF
fi

# Non-empty MEDIASOUP_WORKER_BIN makes mediasoup's postinstall skip its build. Without
# a binary, point it at where the cache would hold one: the install stays quick and the
# hub reports "video disabled" instead of npm spending minutes on a build that fails.
MEDIASOUP_WORKER_BIN="${WORKER_BIN:-$(bash "$SCRIPT_DIR/build-worker.sh" --print-path 2>/dev/null || echo /nonexistent/mediasoup-worker)}"
export MEDIASOUP_WORKER_BIN

# A second run skips npm when node_modules was installed by this script from the same
# package.json, lockfile and Node version (SETUP_FORCE_NPM=1 reinstalls anyway).
STAMP_FILE="$PROJECT/node_modules/.agora-setup-stamp"
STAMP="$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1) node $(node --version) args $*"
if [[ -z "${SETUP_FORCE_NPM:-}" && -f "$STAMP_FILE" && "$(cat "$STAMP_FILE")" == "$STAMP" ]]; then
  log "node_modules already matches package.json and the lockfile; skipping npm (SETUP_FORCE_NPM=1 reinstalls)"
else
  if [[ -f package-lock.json ]]; then NPM_CMD=(npm ci); else NPM_CMD=(npm install); fi
  log "running ${NPM_CMD[*]} $* (MEDIASOUP_WORKER_BIN=$MEDIASOUP_WORKER_BIN)"
  rm -f "$STAMP_FILE"
  if ! "${NPM_CMD[@]}" "$@"; then
    log "ERROR: ${NPM_CMD[*]} failed"
    exit 1
  fi
  printf '%s' "$STAMP" >"$STAMP_FILE"
fi

MS_DIR="$PROJECT/node_modules/mediasoup"
if [[ ! -f "$MS_DIR/package.json" ]]; then
  log "WARNING: node_modules/mediasoup is not installed (optional dependency skipped): video disabled"
elif [[ -n "$WORKER_BIN" ]]; then
  WANT="$(node -p 'require(process.argv[1]).version' "$MS_DIR/package.json")"
  case "$WORKER_BIN" in
    */mediasoup-worker-"$WANT"-*/mediasoup-worker) ;;
    *) log "WARNING: installed mediasoup is $WANT but the worker is $WORKER_BIN: video may fail" ;;
  esac
  mkdir -p "$MS_DIR/worker/out/Release"
  ln -sfn "$WORKER_BIN" "$MS_DIR/worker/out/Release/mediasoup-worker"
  log "linked $MS_DIR/worker/out/Release/mediasoup-worker -> $WORKER_BIN"
fi

if [[ -n "$WORKER_BIN" ]]; then
  log "done in $((SECONDS - START))s; video enabled"
else
  log "done in $((SECONDS - START))s; VIDEO DISABLED (no mediasoup worker)"
fi
