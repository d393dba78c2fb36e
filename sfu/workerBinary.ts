/**
 * Is a mediasoup worker binary available, and where? The hub asks this at start and
 * logs "video disabled: <reason>" instead of crashing when it is not.
 *
 * The binary is built by sfu/build/build-worker.sh into a cache outside the clone,
 * keyed by mediasoup version and patch hash, and linked into node_modules by
 * sfu/build/install.sh. This module computes the same key (a test checks that both
 * agree), so it also finds a cached binary that was never linked.
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The mediasoup module, loaded lazily: it is an optional dependency. */
export type Mediasoup = typeof import('mediasoup');

/** The repository root (this file lives in sfu/). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Environment variables the caller (the config module, or a test) passes in. */
export interface WorkerBinaryEnv {
  MEDIASOUP_WORKER_BIN?: string | undefined;
  MEDIASOUP_CACHE_DIR?: string | undefined;
  XDG_CACHE_HOME?: string | undefined;
}

export interface FindWorkerBinaryOptions {
  /** An explicit binary (MEDIASOUP_WORKER_BIN); when set, nothing else is tried. */
  workerBin?: string | undefined;
  /** Cache root; default `defaultCacheDir({})` (~/.cache/agora-meet). */
  cacheDir?: string;
  /** Where package.json and sfu/build/patches live; default this repository. */
  repoRoot?: string;
}

export type WorkerBinaryStatus =
  | { available: true; path: string; source: 'explicit' | 'node_modules' | 'cache'; mediasoupVersion: string }
  | { available: false; reason: string };

/** The cache root build-worker.sh uses for the given environment. */
export function defaultCacheDir(env: WorkerBinaryEnv): string {
  if (env.MEDIASOUP_CACHE_DIR) return env.MEDIASOUP_CACHE_DIR;
  return path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'agora-meet');
}

/** The options the config module derives from the environment. */
export function workerBinaryOptionsFromEnv(env: WorkerBinaryEnv): FindWorkerBinaryOptions {
  return { workerBin: env.MEDIASOUP_WORKER_BIN || undefined, cacheDir: defaultCacheDir(env) };
}

/** The cache key: mediasoup version pinned in package.json + sha256 of its patches (first 8 hex). */
export function workerCacheKey(repoRoot: string = REPO_ROOT): { version: string; patchSha8: string; key: string } {
  const pkg: unknown = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  const version = pinnedMediasoupVersion(pkg);
  const patchDir = path.join(repoRoot, 'sfu', 'build', 'patches');
  const prefix = `mediasoup-${version}-`;
  // Byte order, like `LC_ALL=C sort` in the shell script.
  const patches = existsSync(patchDir)
    ? readdirSync(patchDir)
        .filter((f) => f.startsWith(prefix) && f.endsWith('.patch'))
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    : [];
  const hash = createHash('sha256');
  for (const f of patches) hash.update(readFileSync(path.join(patchDir, f)));
  const patchSha8 = hash.digest('hex').slice(0, 8);
  return { version, patchSha8, key: `mediasoup-worker-${version}-${patchSha8}` };
}

/** Where build-worker.sh puts (or put) the binary. */
export function cachedWorkerPath(cacheDir: string, repoRoot: string = REPO_ROOT): string {
  return path.join(cacheDir, workerCacheKey(repoRoot).key, 'mediasoup-worker');
}

/**
 * Finds a runnable worker binary: the explicit one if given, else the one mediasoup
 * looks for in node_modules (install.sh links it there), else the cache entry.
 */
export function findWorkerBinary(options: FindWorkerBinaryOptions = {}): WorkerBinaryStatus {
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const pkgDir = mediasoupPackageDir(repoRoot);
  if (pkgDir === null) {
    return { available: false, reason: 'the mediasoup package is not installed (optional dependency); run `npm run setup`' };
  }
  const installed = readMediasoupVersion(pkgDir);
  let wanted: string;
  try {
    wanted = workerCacheKey(repoRoot).version;
  } catch (err) {
    return { available: false, reason: `cannot read the mediasoup version from package.json: ${String(err)}` };
  }
  if (installed !== wanted) {
    return {
      available: false,
      reason: `node_modules has mediasoup ${installed} but package.json pins ${wanted}; run \`npm run setup\``,
    };
  }
  if (options.workerBin) {
    const problem = notRunnable(options.workerBin);
    return problem === null
      ? { available: true, path: options.workerBin, source: 'explicit', mediasoupVersion: installed }
      : { available: false, reason: `MEDIASOUP_WORKER_BIN=${options.workerBin} ${problem}` };
  }
  const linked = path.join(pkgDir, 'worker', 'out', 'Release', 'mediasoup-worker');
  if (notRunnable(linked) === null) {
    return { available: true, path: linked, source: 'node_modules', mediasoupVersion: installed };
  }
  const cached = cachedWorkerPath(options.cacheDir ?? defaultCacheDir({}), repoRoot);
  const problem = notRunnable(cached);
  if (problem === null) return { available: true, path: cached, source: 'cache', mediasoupVersion: installed };
  return {
    available: false,
    reason: `no mediasoup worker binary at ${linked} or ${cached} (${problem}); run \`npm run setup\` (or bash sfu/build/build-worker.sh)`,
  };
}

let loaded: { path: string; module: Promise<Mediasoup> } | null = null;

/**
 * Imports mediasoup so that its workers run `binaryPath`. mediasoup reads
 * MEDIASOUP_WORKER_BIN once, when its Worker module loads, and has no per-worker
 * option in v3, so this sets it just before the first import; later calls must name
 * the same binary.
 */
export function loadMediasoup(binaryPath: string): Promise<Mediasoup> {
  if (loaded !== null) {
    if (samePath(loaded.path, binaryPath)) return loaded.module;
    return Promise.reject(new Error(`mediasoup is already loaded with worker ${loaded.path}, not ${binaryPath}`));
  }
  process.env['MEDIASOUP_WORKER_BIN'] = binaryPath;
  const module = import('mediasoup').then((m) => {
    // A CommonJS package: the namespace may carry it only as `default`.
    const ns: Mediasoup = typeof m.createWorker === 'function' ? m : m.default;
    return ns;
  });
  loaded = { path: binaryPath, module };
  return module;
}

/** Finds the binary and loads mediasoup for it, or says why video is unavailable. */
export async function loadMediasoupIfAvailable(
  options: FindWorkerBinaryOptions = {},
): Promise<{ ok: true; mediasoup: Mediasoup; binary: string } | { ok: false; reason: string }> {
  const status = findWorkerBinary(options);
  if (!status.available) return { ok: false, reason: status.reason };
  try {
    return { ok: true, mediasoup: await loadMediasoup(status.path), binary: status.path };
  } catch (err) {
    return { ok: false, reason: `cannot load mediasoup: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function pinnedMediasoupVersion(pkg: unknown): string {
  if (typeof pkg !== 'object' || pkg === null) throw new Error('package.json is not an object');
  for (const field of ['optionalDependencies', 'dependencies']) {
    const deps: unknown = field in pkg ? Reflect.get(pkg, field) : undefined;
    if (typeof deps === 'object' && deps !== null && 'mediasoup' in deps) {
      const v = deps.mediasoup;
      if (typeof v === 'string' && /^\d+\.\d+\.\d+$/.test(v)) return v;
      throw new Error(`package.json must pin mediasoup to an exact version, found ${String(v)}`);
    }
  }
  throw new Error('package.json does not depend on mediasoup');
}

function mediasoupPackageDir(repoRoot: string): string | null {
  try {
    const require = createRequire(path.join(repoRoot, 'package.json'));
    return path.dirname(require.resolve('mediasoup/package.json'));
  } catch {
    return null;
  }
}

function readMediasoupVersion(pkgDir: string): string {
  const pkg: unknown = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  return typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string'
    ? pkg.version
    : 'unknown';
}

/** null if `file` is an executable regular file (links followed), else why not. */
function notRunnable(file: string): string | null {
  try {
    if (!statSync(file).isFile()) return 'is not a file';
    accessSync(file, constants.X_OK);
    return null;
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    if (code === 'ENOENT') return 'does not exist (a dangling link counts)';
    if (code === 'EACCES') return 'is not executable';
    return `is unusable (${code || String(err)})`;
  }
}

function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}
