/**
 * The main thread's side of the load generators: a few worker threads (each an Agent with a share
 * of the clients), called by method name, streaming their measurements once a second. Threads
 * let the generator use the cores the hub does not, without one event loop starving a thousand
 * sockets.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import type { MetricsDelta } from './Recorder.ts';

/** Main thread -> worker. */
export type ToWorker = { t: 'call'; id: number; method: string; args: unknown } | { t: 'stop' };

/** Worker -> main thread. */
export type FromWorker =
  | { t: 'reply'; id: number; ok: true; value: unknown }
  | { t: 'reply'; id: number; ok: false; error: string }
  | { t: 'metrics'; thread: number; delta: MetricsDelta; elu: number; heapUsed: number };

/** What a worker reported in one second. */
export type WorkerMetrics = Extract<FromWorker, { t: 'metrics' }>;

const WORKER_ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));
let bundled: Promise<string> | null = null;

/**
 * The worker bundled into one ES module (esbuild, once per process): workers start in a few
 * milliseconds instead of compiling TypeScript through tsx in every thread.
 */
function workerBundle(): Promise<string> {
  bundled ??= (async () => {
    const outfile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'agora-loadtest-')), 'worker.mjs');
    await build({
      entryPoints: [WORKER_ENTRY],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      // ws' optional native helpers are loaded with try/catch; createRequire shims CommonJS requires.
      external: ['bufferutil', 'utf-8-validate'],
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      logLevel: 'error',
    });
    process.once('exit', () => fs.rmSync(path.dirname(outfile), { recursive: true, force: true }));
    return outfile;
  })();
  return bundled;
}

/** A fixed set of worker threads. */
export class WorkerPool {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  private constructor(
    private readonly workers: Worker[],
    onMetrics: (worker: number, m: WorkerMetrics) => void,
  ) {
    workers.forEach((w, i) => {
      w.on('message', (m: FromWorker) => {
        if (m.t === 'metrics') {
          onMetrics(i, m);
          return;
        }
        const p = this.waiting.get(m.id);
        if (!p) return;
        this.waiting.delete(m.id);
        if (m.ok) p.resolve(m.value);
        else p.reject(new Error(`worker ${i}: ${m.error}`));
      });
      w.on('error', (err) => this.fail(new Error(`worker ${i} crashed: ${err.stack ?? err.message}`)));
      w.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`worker ${i} exited with code ${code}`));
      });
    });
  }

  /** Starts `n` workers from the bundled worker module. */
  static async start(n: number, onMetrics: (worker: number, m: WorkerMetrics) => void): Promise<WorkerPool> {
    const file = await workerBundle();
    const workers = Array.from({ length: n }, () => new Worker(file, { execArgv: [] }));
    return new WorkerPool(workers, onMetrics);
  }

  get size(): number {
    return this.workers.length;
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.waiting.values()) p.reject(err);
    this.waiting.clear();
  }

  /** Calls an Agent method on one worker. */
  call<T>(worker: number, method: string, args: unknown = {}): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = (this.nextId += 1);
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.workers[worker]!.postMessage({ t: 'call', id, method, args } satisfies ToWorker);
    });
  }

  /** Calls an Agent method on every worker (arguments per worker), in parallel. */
  all<T>(method: string, args: (worker: number) => unknown = () => ({})): Promise<T[]> {
    return Promise.all(this.workers.map((_, i) => this.call<T>(i, method, args(i))));
  }

  /** Stops every worker after its last report. */
  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void w.terminate().then(() => resolve()), 5000);
            w.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            w.postMessage({ t: 'stop' } satisfies ToWorker);
          }),
      ),
    );
  }
}
