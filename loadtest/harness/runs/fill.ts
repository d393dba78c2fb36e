/**
 * Fill: every connection authenticates, syncs all documents and stays, publishing presence on the
 * awareness heartbeat. Measures join latencies, the connect rate reached, the hub's CPU while
 * idle connections heartbeat, and memory per idle connection (after a forced GC).
 */
import { TARGETS } from '../../scenarios/definitions.ts';
import { nowMs, sleep } from '../clock.ts';
import { M } from '../Agent.ts';
import { RunEnv, type RunOutcome } from '../RunEnv.ts';
import { connectAll, countSynced, round } from './common.ts';

export const FILL_KEYS = [M.synced];

export async function runFill(env: RunEnv): Promise<RunOutcome> {
  const o = env.opts;
  await env.connectOrganizers([]);
  const specs = env.clientsByWorker(() => []);
  const clients = specs.reduce((a, s) => a + s.length, 0);
  const total = clients + env.organizers.length;
  await env.pool.all('init', (w) => ({ server: 'hub', clients: specs[w] }));
  await sleep(500);
  const before = await env.memory();
  await env.startProfile();
  const { seconds: connectSeconds, connected } = await connectAll(env, true, 'measure');
  env.progress.setPhase('holding');
  await env.pool.all('heartbeat', () => ({ intervalMs: o.heartbeatMs }));
  const h0 = env.server.read();
  const holdStart = nowMs();
  await sleep(o.holdSeconds * 1000);
  const h1 = env.server.read();
  const holdMs = nowMs() - holdStart;
  await env.stopProfile();
  const synced = (await countSynced(env)) + env.organizers.filter((c) => c.isSynced).length;
  const live = connected + env.organizers.length;
  if (synced < live) env.metrics.error('dropped', `${live - synced} of ${live} joined connections were lost during the hold`);
  await env.pool.all('heartbeat', () => ({ intervalMs: 0 }));
  await sleep(500);
  const after = await env.memory();
  // Then everyone leaves: what RSS gives back is what the connections held; what stays is allocator retention.
  await env.pool.all('closeAll');
  await sleep(1500);
  const left = await env.memory();
  const values: Record<string, number> = {
    connections: total,
    connectedAtEnd: synced,
    connectSeconds: round(connectSeconds),
    connectsPerSecond: round(connected / connectSeconds),
    holdCpuPct: round(((h1.cpuMs - h0.cpuMs) / holdMs) * 100),
  };
  const checks: RunOutcome['checks'] = [{ name: 'connections held', target: `= ${total}`, value: synced, unit: 'connections', pass: synced === total }];
  const notes: string[] = [];
  if (before && after) {
    values.rssPerConnectionKB = round((after.procRss - before.procRss) / clients / 1024);
    values.heapPerConnectionKB = round((after.heapUsed - before.heapUsed) / clients / 1024);
    // Where RSS growth beyond the live heap sits: heap pages V8 keeps committed, and memory outside the heap (buffers).
    values.heapCommittedPerConnectionKB = round((after.heapTotal - before.heapTotal) / clients / 1024);
    values.externalPerConnectionKB = round((after.external - before.external) / clients / 1024);
    values.rssMB = round(after.procRss / 1024 / 1024);
    if (left) values.rssReleasedPerConnectionKB = round((after.procRss - left.procRss) / clients / 1024);
    checks.push({ name: 'memory per idle connection (RSS growth / connections, after GC)', target: `< ${TARGETS.idleBytesPerConnection / 1024} KB`, value: values.rssPerConnectionKB, unit: 'KB', pass: values.rssPerConnectionKB < TARGETS.idleBytesPerConnection / 1024 });
    notes.push(
      `Memory is measured after a forced full GC (inspector): RSS growth ${values.rssPerConnectionKB} KB and JS heap growth ${values.heapPerConnectionKB} KB per connection; when everyone leaves RSS drops by ${values.rssReleasedPerConnectionKB ?? '?'} KB per connection. Beyond the JS heap, uWebSockets.js 20.30 (the build that loads on glibc 2.36) keeps each socket's send buffer at the size of the largest frame it was sent (uWebSockets.js issue #1150, fixed upstream in 2025); every joiner is sent the roster of the room (about 167 bytes per participant), so the hub compresses frames above 16 KB for clients that offer permessage-deflate (these load clients do, as browsers do).`,
    );
  }
  return { values, checks, notes, connections: total };
}
