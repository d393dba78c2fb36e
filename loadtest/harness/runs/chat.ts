/**
 * Chat and annotation burst: every room receives `chatRate` messages per second (a share of them
 * annotations on the meeting's document), posted by admitted participants with `chat.post` and
 * `annotation.add`; every client receives every message. Measures the command acknowledgement
 * and the delivery latency from the sender to every other client, then checks that each client
 * got every acknowledged message of its room exactly once (sampled replicas are read through Yjs).
 */
import { ANNOTATED_DOC } from '../../scenarios/definitions.ts';
import { nowMs, sleep } from '../clock.ts';
import { M } from '../Agent.ts';
import { RunEnv, type RunOutcome } from '../RunEnv.ts';
import { connectAll, countSynced, round } from './common.ts';

export const CHAT_KEYS = [M.chatDelivery, M.chatAck];

type RoomStats = Record<number, { sent: number; ok: number; okChat: number; okAnnotation: number }>;

/** Seconds to wait after the last acknowledgement for deliveries still in flight. */
const DRAIN_MS = 2000;

export async function runChat(env: RunEnv): Promise<RunOutcome> {
  const o = env.opts;
  await env.connectOrganizers([]);
  const specs = env.clientsByWorker((_, member) => (o.replicaSample > 0 && member % o.replicaSample === 0 ? ['chat', 'annotations'] : []));
  const clients = specs.reduce((a, s) => a + s.length, 0);
  const total = clients + env.organizers.length;
  await env.pool.all('init', (w) => ({ server: 'hub', clients: specs[w] }));
  const joined = await connectAll(env, true);
  await env.pool.all('heartbeat', () => ({ intervalMs: o.heartbeatMs }));
  await sleep(1000);

  // Each room's rate is shared by the workers in proportion to the room's clients they hold.
  const rates = specs.map((list) => {
    const r: Record<number, number> = {};
    for (const room of env.rooms) {
      const inRoom = room.members.length - 1;
      const mine = list.filter((c) => c.room === room.room).length;
      if (mine > 0) r[room.room] = (o.chatRate * mine) / inRoom;
    }
    return r;
  });
  env.progress.setPhase('burst');
  await env.startProfile();
  const c0 = env.server.read();
  const t0 = nowMs();
  const perWorker = await env.pool.all<RoomStats>('chat', (w) => ({ rates: rates[w], durationMs: o.chatSeconds * 1000, annotationShare: o.annotationShare, chars: o.messageChars, docId: ANNOTATED_DOC }));
  const burstMs = nowMs() - t0;
  const c1 = env.server.read();
  await env.stopProfile();
  env.progress.setPhase('draining');
  await sleep(DRAIN_MS);

  const expected: Record<number, [number, number]> = {};
  let sent = 0;
  let ok = 0;
  for (const stats of perWorker) {
    for (const [room, s] of Object.entries(stats)) {
      const e = (expected[Number(room)] ??= [0, 0]);
      e[0] += s.okChat;
      e[1] += s.okAnnotation;
      sent += s.sent;
      ok += s.ok;
    }
  }
  const verify = await env.pool.all<{ missing: number; duplicates: number; replicasChecked: number; replicasDiverged: number }>('verifyDeliveries', () => ({ expected }));
  const missing = verify.reduce((a, v) => a + v.missing, 0);
  const duplicates = verify.reduce((a, v) => a + v.duplicates, 0);
  const synced = (await countSynced(env)) + env.organizers.filter((c) => c.isSynced).length;
  const live = joined.connected + env.organizers.length;
  if (synced < live) env.metrics.error('dropped', `${live - synced} of ${live} joined connections were lost during the burst`);
  const deliveries = (env.metrics.hist.get(M.chatDelivery)?.count ?? 0) + (env.metrics.hist.get(M.annotationDelivery)?.count ?? 0);
  const values: Record<string, number> = {
    connections: total,
    messagesSent: sent,
    messagesAcknowledged: ok,
    messagesPerSecond: round(ok / (burstMs / 1000)),
    messagesPerSecondPerRoom: round(ok / (burstMs / 1000) / env.rooms.length),
    deliveries,
    deliveriesPerSecond: round(deliveries / (burstMs / 1000)),
    missingDeliveries: missing,
    duplicateDeliveries: duplicates,
    replicasChecked: verify.reduce((a, v) => a + v.replicasChecked, 0),
    burstCpuPct: round(((c1.cpuMs - c0.cpuMs) / burstMs) * 100),
    cpuUsPerDelivery: deliveries > 0 ? round(((c1.cpuMs - c0.cpuMs) * 1000) / deliveries) : 0,
  };
  const checks: RunOutcome['checks'] = [
    { name: 'every acknowledged message delivered to every client once', target: '= 0 missing', value: missing + duplicates, unit: 'deliveries', pass: missing + duplicates === 0 },
    { name: 'connections held', target: `= ${total}`, value: synced, unit: 'connections', pass: synced === total },
  ];
  return { values, checks, connections: total };
}
