/**
 * Worker-thread entry: runs an Agent and answers the main thread's calls. Once a second it sends
 * the measurements recorded since the last report and its event-loop utilization (a generator
 * thread near 1.0 is saturated and its latencies are an upper bound).
 */
import { parentPort, threadId } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { Agent } from './Agent.ts';
import type { FromWorker, ToWorker } from './WorkerPool.ts';

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');

const agent = new Agent();
const REPORT_MS = 1000;
let elu = performance.eventLoopUtilization();

const report = () => {
  agent.sampleTraffic();
  const now = performance.eventLoopUtilization();
  const delta = performance.eventLoopUtilization(now, elu);
  elu = now;
  const msg: FromWorker = { t: 'metrics', thread: threadId, delta: agent.rec.drain(), elu: delta.utilization, heapUsed: process.memoryUsage().heapUsed };
  port.postMessage(msg);
};
const timer = setInterval(report, REPORT_MS);

port.on('message', (m: ToWorker) => {
  if (m.t === 'stop') {
    clearInterval(timer);
    report();
    port.close();
    return;
  }
  const method = (agent as unknown as Record<string, (a: unknown) => unknown>)[m.method];
  if (typeof method !== 'function') {
    port.postMessage({ t: 'reply', id: m.id, ok: false, error: `no method ${m.method}` } satisfies FromWorker);
    return;
  }
  Promise.resolve()
    .then(() => method.call(agent, m.args))
    .then(
      (value) => {
        // Send the measurements of this step before its answer, so the main thread has them when the step resolves.
        report();
        port.postMessage({ t: 'reply', id: m.id, ok: true, value } satisfies FromWorker);
      },
      (err: unknown) => port.postMessage({ t: 'reply', id: m.id, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) } satisfies FromWorker),
    );
});
