/** Test harness for the cluster: a real redis-server and hub child processes on free loopback ports. */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import fs from 'node:fs';
import WebSocket from 'ws';
import { REPO_ROOT } from '../config.ts';
import { TokenService } from '../auth/TokenService.ts';
import { HubClient, type WebSocketCtor } from '../../shared/client/HubClient.ts';
import type { Role } from '../../shared/protocol/index.ts';
import { tempDir, waitFor, DEMO } from './helpers.ts';

/** A free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A redis-server with an append-only file fsynced on every write, in a temp dir (or the given one, to reopen a saved state). */
export class TestRedis {
  proc: ChildProcess | null = null;
  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async start(dir: string = tempDir('redis-')): Promise<TestRedis> {
    fs.mkdirSync(dir, { recursive: true });
    const r = new TestRedis(await freePort(), dir);
    await r.run();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts (or restarts) the server on the same port and directory. */
  async run(): Promise<void> {
    const proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.proc = proc;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) resolve();
      });
      proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out.slice(-500)}`)));
      proc.once('error', (err) => reject(new Error(`cannot start redis-server (apt install redis-server): ${err.message}`)));
    });
  }

  /** Stops the server; SIGTERM writes the append-only file out first. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await exited;
  }
}

/** One hub child process. */
export interface HubProc {
  proc: ChildProcess;
  port: number;
  instance: string;
  url: string;
  log: string[];
}

/** Starts a hub in cluster mode; resolves once it listens. */
export async function startHubProc(dataDir: string, redisUrl: string, opts: { demo: boolean; port?: number }): Promise<HubProc> {
  const port = opts.port ?? (await freePort());
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'server/main.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: redisUrl,
      MEDIA: 'off',
      DEMO: opts.demo ? 'on' : 'off',
      LOG_LEVEL: 'info',
      UNLOAD_IDLE_MS: '60000',
      RATE_FRAMES_PER_SECOND: '10000',
      RATE_FRAMES_BURST: '10000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  let instance = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      for (const line of d.toString().split('\n')) {
        if (!line) continue;
        log.push(line);
        const m = /"instance":"(hub-[0-9a-f]+)"/.exec(line);
        if (m) instance = m[1]!;
        if (line.includes('"hub listening"')) resolve();
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`hub exited with ${code}:\n${log.slice(-20).join('\n')}`)));
  });
  return { proc, port, instance, url: `ws://127.0.0.1:${port}/ws`, log };
}

/** A cluster of N hubs sharing one Redis and one data directory (signing key, base records). */
export class TestCluster {
  readonly hubs: HubProc[] = [];
  readonly clients: HubClient[] = [];
  private tokens: TokenService | null = null;
  readonly dataDir = tempDir('cluster-');

  constructor(readonly redis: TestRedis) {}

  async start(n: number): Promise<void> {
    this.hubs.push(await startHubProc(this.dataDir, this.redis.url, { demo: true }));
    for (let i = 1; i < n; i++) this.hubs.push(await startHubProc(this.dataDir, this.redis.url, { demo: false }));
    this.tokens = await TokenService.open(this.dataDir, 3600);
  }

  /** A client of a demo participant connected to hub `i`. */
  async connect(i: number, userId: string, role: Role, rows: string[] = []): Promise<HubClient> {
    const { token } = await this.tokens!.issue({ userId, meetingId: DEMO, role, name: userId, rows });
    const c = new HubClient({ url: this.hubs[i]!.url, token, WebSocket: WebSocket as unknown as WebSocketCtor, backoffInitialMs: 100, backoffMaxMs: 1000 });
    this.clients.push(c);
    await c.whenSynced();
    return c;
  }

  /** The hub that owns the demo meeting now (from the lease in Redis). */
  async owner(redisGet: (k: string) => Promise<string | null>): Promise<{ index: number; epoch: number }> {
    const v = await waitFor(() => redisGet(`am:lease:${DEMO}`), 'a lease');
    const at = v.lastIndexOf(':');
    const index = this.hubs.findIndex((h) => h.instance === v.slice(0, at));
    return { index, epoch: Number(v.slice(at + 1)) };
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.close();
    for (const h of this.hubs) {
      if (h.proc.exitCode === null) {
        h.proc.kill('SIGCONT');
        h.proc.kill('SIGKILL');
      }
    }
    await this.redis.stop('SIGKILL');
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
