/**
 * The cluster variant of a server under test: several server processes sharing one Redis, measured
 * as one (CPU and RSS summed over every process, Redis included), with clients spread over the
 * processes' addresses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, readProcess, type ProcessReading, type ServerProcess, type ServerUnderTest } from './ServerProcess.ts';

const READY_TIMEOUT_MS = 30_000;

/**
 * A `redis-server` child configured as the hub's cluster README says (append-only file, fsync on
 * every write), in a given directory so a provisioned state can be copied and reopened.
 */
export class RedisProcess {
  private exitCode: number | null | undefined = undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly child: ChildProcess,
  ) {
    child.once('exit', (code) => {
      this.exitCode = code;
    });
  }

  static async start(dir: string, logFile: string): Promise<RedisProcess> {
    fs.mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = fs.createWriteStream(logFile, { flags: 'a' });
    child.stderr!.pipe(log);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server not ready after ${READY_TIMEOUT_MS} ms: ${out.slice(-500)}`)), READY_TIMEOUT_MS);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot start redis-server (apt install redis-server): ${err.message}`));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${out.slice(-500)}`));
      });
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        log.write(d);
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.stdout!.pipe(log);
    return new RedisProcess(port, dir, child);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  read(): ProcessReading {
    return readProcess(this.pid);
  }

  /** SIGTERM: Redis writes its append-only file out before exiting. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** Server processes and their Redis, measured as one server. */
export class ServerGroup implements ServerUnderTest {
  constructor(
    readonly name: string,
    readonly members: ServerProcess[],
    readonly redis: RedisProcess,
  ) {
    if (members.length === 0) throw new Error('a server group needs at least one server');
  }

  private get first(): ServerProcess {
    return this.members[0]!;
  }

  get logFile(): string {
    return this.first.logFile;
  }

  get pid(): number {
    return this.first.pid;
  }

  get httpUrl(): string {
    return this.first.httpUrl;
  }

  get wsBase(): string {
    return this.first.wsBase;
  }

  /** Every member's WebSocket base address, the first (where the writer connects) first. */
  get wsBases(): string[] {
    return this.members.map((m) => m.wsBase);
  }

  get inspectPorts(): number[] {
    return this.members.flatMap((m) => m.inspectPorts);
  }

  get alive(): boolean {
    return this.redis.alive && this.members.every((m) => m.alive);
  }

  read(): ProcessReading {
    const parts = [...this.members.map((m) => m.read()), this.redis.read()];
    return { at: parts[0]!.at, cpuMs: parts.reduce((a, p) => a + p.cpuMs, 0), rssBytes: parts.reduce((a, p) => a + p.rssBytes, 0) };
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop()));
    await this.redis.stop();
  }
}

/** Copies a provisioned cluster state (SQLite data and Redis directory) for one run. */
export function copyClusterState(template: string, runDir: string): { dataDir: string; redisDir: string } {
  const dataDir = path.join(runDir, 'data');
  const redisDir = path.join(runDir, 'redis');
  fs.cpSync(path.join(template, 'data'), dataDir, { recursive: true, filter: (src) => !src.endsWith('.log') && !src.endsWith('.json') });
  fs.cpSync(path.join(template, 'redis'), redisDir, { recursive: true });
  return { dataDir, redisDir };
}
