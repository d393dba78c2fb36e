/**
 * A server under test in its own child process (our hub, or a peer server), so the load generator
 * never shares its event loop or its core. Reads the child's CPU time and memory from /proc
 * (Linux), and stops it gracefully so `--cpu-prof` profiles get written.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { sleep } from './clock.ts';

/** The repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

let clockTicks: number | null = null;
/** Kernel clock ticks per second (units of utime/stime in /proc/<pid>/stat). */
export function ticksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A point-in-time reading of a process. */
export interface ProcessReading {
  /** clock.ts time is not used here: wall-clock ms since the epoch, for the report. */
  at: number;
  /** CPU time (user + system, all threads) in ms. */
  cpuMs: number;
  rssBytes: number;
}

/** Reads a process' CPU time (user + system, all threads) and RSS from /proc (zeros once it is gone). */
export function readProcess(pid: number): ProcessReading {
  const at = Date.now();
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    return { at, cpuMs: ((utime + stime) * 1000) / ticksPerSecond(), rssBytes: rss ? Number(rss[1]) * 1024 : 0 };
  } catch {
    return { at, cpuMs: 0, rssBytes: 0 };
  }
}

/**
 * What a run measures: one server process, or a cluster of them (ServerGroup). Clients connect to
 * `wsBases` (round-robin in the fan-out); CPU and memory readings are the sum over every process.
 */
export interface ServerUnderTest {
  readonly name: string;
  readonly logFile: string;
  /** Main process (the one profiled with --profile). */
  readonly pid: number;
  readonly httpUrl: string;
  readonly wsBase: string;
  /** Every process' inspector port, to force a GC before reading memory. */
  readonly inspectPorts: number[];
  readonly alive: boolean;
  read(): ProcessReading;
  stop(): Promise<void>;
}

/** Options of a child server. */
export interface ServerProcessOptions {
  name: string;
  /** Node arguments (e.g. ['--import', 'tsx', 'server/main.ts']). */
  args: string[];
  env: Record<string, string>;
  port: number;
  /** Path polled until it answers 2xx (e.g. '/readyz'). */
  readyPath: string;
  logFile: string;
  /** Inspector port (the child gets `--inspect=127.0.0.1:<port>`; see Inspector.ts). */
  inspectPort?: number;
  /** Working directory (default: the repository root). Arguments must then be absolute. */
  cwd?: string;
}

/** Children still running, killed if the harness exits without stopping them. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** A running child server. */
export class ServerProcess implements ServerUnderTest {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  private constructor(
    readonly opts: ServerProcessOptions,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  /** Starts the child and waits until it is ready. */
  static async start(opts: ServerProcessOptions): Promise<ServerProcess> {
    fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
    const log = fs.openSync(opts.logFile, 'a');
    const inspect = opts.inspectPort ? [`--inspect=127.0.0.1:${opts.inspectPort}`] : [];
    const child = spawn(process.execPath, [...inspect, ...opts.args], {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    running.add(child);
    child.once('exit', () => running.delete(child));
    const sp = new ServerProcess(opts, child);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (sp.exitInfo) throw new Error(`${opts.name} exited during start (${JSON.stringify(sp.exitInfo)}); see ${opts.logFile}`);
      try {
        const res = await fetch(`${sp.httpUrl}${opts.readyPath}`);
        if (res.ok) return sp;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await sp.stop();
        throw new Error(`${opts.name} not ready after ${READY_TIMEOUT_MS} ms; see ${opts.logFile}`);
      }
      await sleep(100);
    }
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get name(): string {
    return this.opts.name;
  }

  get logFile(): string {
    return this.opts.logFile;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.opts.port}`;
  }

  get wsBase(): string {
    return `ws://127.0.0.1:${this.opts.port}`;
  }

  /** Whether the process is still running. */
  get alive(): boolean {
    return this.exitInfo === null;
  }

  /** Reads CPU time and RSS from /proc. */
  read(): ProcessReading {
    return readProcess(this.pid);
  }

  get inspectPorts(): number[] {
    return this.opts.inspectPort ? [this.opts.inspectPort] : [];
  }

  /** Stops the child with SIGINT (graceful: flushes storage, writes CPU profiles), then SIGKILL if it hangs. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGINT');
    const timer = setTimeout(() => {
      if (this.alive) this.child.kill('SIGKILL');
    }, STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

const tsxDir = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
/** The tsx loader as an absolute URL, so a child can run TypeScript from any working directory. */
export const TSX_LOADER = pathToFileURL(path.join(tsxDir, 'dist', 'loader.mjs')).href;


/** Node flags for a child profiled with `perf` (JIT dump for `perf inject --jit`; see PerfProfile.ts). */
export const PERF_FLAGS = ['--perf-prof', '--interpreted-frames-native-stack'];

/** Starts our hub (`node --import tsx server/main.ts`) on a data directory. */
export async function startHubProcess(o: {
  dataDir: string;
  logFile: string;
  env?: Record<string, string>;
  /** Start with an inspector (for memory after GC). */
  inspect?: boolean;
  /** Profile with perf: the child runs in this directory, where its JIT dump is written. */
  profileDir?: string;
}): Promise<ServerProcess> {
  const port = await freePort();
  if (o.profileDir) fs.mkdirSync(o.profileDir, { recursive: true });
  return ServerProcess.start({
    name: 'hub',
    args: [...(o.profileDir ? PERF_FLAGS : []), '--import', TSX_LOADER, path.join(REPO_ROOT, 'server', 'main.ts')],
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: o.dataDir,
      LOG_LEVEL: 'info',
      DEMO: 'on',
      MEDIA: 'off',
      ...o.env,
    },
    port,
    readyPath: '/readyz',
    logFile: o.logFile,
    ...(o.inspect ? { inspectPort: await freePort() } : {}),
    ...(o.profileDir ? { cwd: o.profileDir } : {}),
  });
}

/** The demo organizer's invitation token, from the links the hub prints at start. */
export function demoOrganizerInvite(logFile: string): string | null {
  const text = fs.readFileSync(logFile, 'utf8');
  const lines = text.split('\n');
  let found: string | null = null;
  for (let i = 0; i < lines.length - 1; i++) {
    if (/^\s+organizer\s/.test(lines[i]!)) {
      const m = /[?&]invite=([A-Za-z0-9_-]+)/.exec(lines[i + 1]!);
      if (m) found = m[1]!;
    }
  }
  return found;
}
