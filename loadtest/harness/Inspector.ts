/**
 * A minimal Chrome DevTools Protocol client for a server child started with `--inspect`: forces a
 * full garbage collection and reads the process' memory, so "memory per idle connection" is
 * measured on live data, not on garbage the collector has not reached yet.
 */
import WebSocket from 'ws';
import { sleep } from './clock.ts';

/** process.memoryUsage() of the child, after a full GC. */
export interface MemoryUsage {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** A DevTools connection to one process. */
export class Inspector {
  private nextId = 0;
  private readonly waiting = new Map<number, (v: { result?: unknown; error?: { message: string } }) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (d: Buffer) => {
      const m = JSON.parse(d.toString()) as { id?: number; result?: unknown; error?: { message: string } };
      if (m.id === undefined) return;
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      w?.(m);
    });
  }

  /** Connects to the inspector listening on `port`. */
  static async connect(port: number): Promise<Inspector> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
        const url = list[0]?.webSocketDebuggerUrl;
        if (url) {
          const ws = new WebSocket(url, { perMessageDeflate: false });
          await new Promise<void>((resolve, reject) => {
            ws.once('open', () => resolve());
            ws.once('error', reject);
          });
          return new Inspector(ws);
        }
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`no inspector on port ${port}`);
      await sleep(100);
    }
  }

  private call(method: string, params: object = {}): Promise<unknown> {
    const id = (this.nextId += 1);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${method}: no answer`));
      }, 30_000);
      this.waiting.set(id, (m) => {
        clearTimeout(timer);
        if (m.error) reject(new Error(`${method}: ${m.error.message}`));
        else resolve(m.result);
      });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Runs a full GC (twice: weak references die in the second), then reads memory. */
  async gcAndMemory(): Promise<MemoryUsage> {
    await this.call('HeapProfiler.collectGarbage');
    await this.call('HeapProfiler.collectGarbage');
    await sleep(300);
    const r = (await this.call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true })) as { result: { value: string } };
    return JSON.parse(r.result.value) as MemoryUsage;
  }

  close(): void {
    this.ws.close();
  }
}
