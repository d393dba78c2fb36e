/**
 * Reconnect storm: every participant's connection drops at the same instant (as in a network
 * failure: sockets terminated without a close frame) and reconnects at once, resending the state
 * vectors of its replicas as the client library does. Measures the time from each drop to that
 * client's full resync (welcome plus every document synced), and the time until the last client
 * of the whole storm is resynced.
 */
import { TARGETS } from '../../scenarios/definitions.ts';
import { sleep } from '../clock.ts';
import { M } from '../Agent.ts';
import { RunEnv, type RunOutcome } from '../RunEnv.ts';
import { connectAll, countSynced, round } from './common.ts';

export const RECONNECT_KEYS = [M.resync];

export async function runReconnect(env: RunEnv): Promise<RunOutcome> {
  const o = env.opts;
  await env.connectOrganizers([]);
  // Replicas of every document: a reconnecting client asks only for what it missed (state-vector
  // diff). Each room's replicas are shared by its clients in a worker (each update applied once),
  // so a thousand simulated clients do not make the generator the bottleneck.
  const specs = env.clientsByWorker(() => ['*']);
  const clients = specs.reduce((a, s) => a + s.length, 0);
  const total = clients + env.organizers.length;
  await env.pool.all('init', (w) => ({ server: 'hub', clients: specs[w], sharedReplicas: true }));
  const joined = await connectAll(env, true);
  await env.pool.all('heartbeat', () => ({ intervalMs: o.heartbeatMs }));
  env.progress.setPhase('settling');
  await sleep(o.reconnectSettleSeconds * 1000);

  env.progress.setPhase('storm');
  await env.startProfile();
  const c0 = env.server.read();
  const res = await env.pool.all<{ resynced: number; failed: number; lastSyncedAt: number; firstDropAt: number }>('storm', () => ({ timeoutMs: o.reconnectTimeoutSeconds * 1000 }));
  const c1 = env.server.read();
  await env.stopProfile();
  const firstDrop = Math.min(...res.map((r) => r.firstDropAt));
  const lastSynced = Math.max(...res.map((r) => r.lastSyncedAt));
  const resynced = res.reduce((a, r) => a + r.resynced, 0);
  const failed = res.reduce((a, r) => a + r.failed, 0);
  const allResyncedMs = failed === 0 ? lastSynced - firstDrop : Number.POSITIVE_INFINITY;
  env.progress.setPhase('after');
  await sleep(1000);
  const synced = (await countSynced(env)) + env.organizers.filter((c) => c.isSynced).length;
  const live = joined.connected + env.organizers.length;
  if (synced < live) env.metrics.error('dropped', `${live - synced} of ${live} joined connections were not synced after the storm`);
  const values: Record<string, number> = {
    connections: total,
    dropped: joined.connected,
    resynced,
    failed,
    allResyncedMs: round(allResyncedMs),
    stormCpuMs: round(c1.cpuMs - c0.cpuMs),
    reconnectsPerSecond: round(resynced / ((lastSynced - firstDrop) / 1000)),
  };
  const checks: RunOutcome['checks'] = [
    { name: 'every client fully resynced', target: `< ${TARGETS.resyncAllMs} ms`, value: values.allResyncedMs!, unit: 'ms', pass: allResyncedMs < TARGETS.resyncAllMs },
    { name: 'clients resynced', target: `= ${clients}`, value: resynced, unit: 'clients', pass: resynced === clients },
  ];
  const notes = ['Organizers stay connected; every other participant drops at once and reconnects immediately (no backoff), the worst case of a network blip.'];
  return { values, checks, notes, connections: total };
}
