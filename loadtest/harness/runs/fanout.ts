/**
 * The peer comparison: one writer, N readers, a Yjs update stream at a fixed rate, against our
 * hub and against Hocuspocus on the same machine in the same run.
 *
 * Why organizer updates to `drafts` and not chat.post: Hocuspocus relays Yjs updates and has no
 * commands, so the like-for-like workload is a client's Yjs update relayed to every replica. On
 * our hub that is an organizer editing the collaborative `drafts` document (the only client-written
 * Yjs document); the writer appends the same text (same bytes, same Y.Text) on both servers, and
 * the readers run the same code: scan the raw update for the latency marker (every 50th reader
 * also applies it to a Y.Doc with y-protocols and is checked at the end). Only the framing differs (our opcode + document name, Hocuspocus'
 * document name + message type). Our hub makes each update durable (SQLite, synchronous=FULL)
 * before broadcasting it; Hocuspocus broadcasts first and stores the whole document, debounced.
 *
 * The cluster variant runs CLUSTER_SIZE processes of each server on one Redis (configured the same
 * for both): our hubs (the writer's hub owns the meeting, appends its log to a Redis stream and
 * publishes; the others relay to their readers) against Hocuspocus with its Redis extension (every
 * instance publishes what it receives and applies what the others publish).
 */
import fs from 'node:fs';
import path from 'node:path';
import { FANOUT_TEXT, markerText, MarkerKind } from '../../scenarios/index.ts';
import { syncUpdateFrame } from '../../scenarios/wire.ts';
import type { BenchOptions, FanoutComparison, FanoutNumbers, FanoutTopology, RunSummary } from '../options.ts';
import type { ProvisionedRoom } from '../provision.ts';
import { RunEnv, type RunOutcome } from '../RunEnv.ts';
import { LoadClient } from '../LoadClient.ts';
import { HocuspocusClient } from '../HocuspocusClient.ts';
import { REPO_ROOT, ServerProcess, TSX_LOADER, freePort, startHubProcess } from '../ServerProcess.ts';
import { ServerGroup, copyClusterState } from '../ServerGroup.ts';
import { TestRedis } from '../../../server/test/clusterHarness.ts';
import { M } from '../Agent.ts';
import { nowMs, sleep } from '../clock.ts';
import { round } from './common.ts';
import type * as Y from 'yjs';

const DRAIN_MS = 2000;
const HOCUSPOCUS_DOC = 'loadtest-fanout';

/** Processes in the cluster variant: the writer's server and one more, readers split between them. */
export const CLUSTER_SIZE = 2;

/** Where each topology's runs start from: the provisioned room and its template directory. */
export interface FanoutSetup {
  room: ProvisionedRoom;
  template: string;
}

/**
 * Runs the fan-out with `readers` readers on our hub and on each peer, in one topology; returns
 * the runs and the comparison.
 */
export async function runFanout(opts: BenchOptions, setup: FanoutSetup, topology: FanoutTopology, readers: number, log: (l: string) => void): Promise<{ runs: RunSummary[]; comparison: FanoutComparison | null }> {
  const room: ProvisionedRoom = { ...setup.room, members: setup.room.members.slice(0, readers + 1) };
  if (room.members.length < readers + 1) throw new Error(`fan-out needs ${readers + 1} participants, ${room.members.length} provisioned`);
  const runs: RunSummary[] = [];
  const servers: ('hub' | 'hocuspocus')[] = ['hub', ...opts.peers];
  const suffix = topology === 'cluster' ? '-cluster' : '';
  for (const kind of servers) {
    const dir = path.join(opts.outDir, 'runs', `fanout-n${readers}-${kind}${suffix}`);
    fs.mkdirSync(dir, { recursive: true });
    const env = new RunEnv(opts, 'fanout', `n${readers}-${kind}${suffix}`, [room], dir);
    env.serverKind = kind;
    const where = topology === 'cluster' ? `, ${CLUSTER_SIZE} server processes and Redis, readers split between them` : '';
    log(`\n== ${env.name}: 1 writer, ${readers} readers, ${opts.fanoutRate} updates/s for ${opts.fanoutSeconds} s${where}`);
    let outcome: RunOutcome | null = null;
    let failure: unknown = null;
    try {
      await env.waitQuiet();
      if (topology === 'cluster') await env.attach(kind === 'hub' ? await startHubCluster(opts, setup.template, dir) : await startHocuspocusCluster(dir), [M.fanout]);
      else if (kind === 'hub') await env.startHub(setup.template, [M.fanout]);
      else await env.attach(await startHocuspocus(dir), [M.fanout]);
      outcome = await fanoutRun(env, kind, readers, topology);
    } catch (err) {
      failure = err;
      log(`run ${env.name} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    }
    runs.push(await env.finish(outcome, failure));
  }
  const ours = runs.find((r) => r.server === 'hub');
  const peer = runs.find((r) => r.server !== 'hub');
  if (!ours || !peer) return { runs, comparison: null };
  const a = numbers(ours);
  const b = numbers(peer);
  const ratio = (x: number, y: number) => (y > 0 ? round(x / y) : 0);
  return {
    runs,
    comparison: {
      readers,
      topology,
      ours: a,
      peer: { ...b, name: peer.server },
      ratios: { p50: ratio(b.p50, a.p50), p99: ratio(b.p99, a.p99), cpuPerDelivery: ratio(b.cpuUsPerDelivery, a.cpuUsPerDelivery), memoryPerConnection: ratio(b.rssKBPerConnection, a.rssKBPerConnection) },
    },
  };
}

function numbers(r: RunSummary): FanoutNumbers {
  const l = r.latency[M.fanout];
  return {
    p50: l?.p50 ?? 0,
    p99: l?.p99 ?? 0,
    cpuUsPerDelivery: r.values.cpuUsPerDelivery ?? 0,
    rssKBPerConnection: r.values.rssPerConnectionKB ?? 0,
    heapKBPerConnection: r.values.heapPerConnectionKB ?? 0,
    deliveries: l?.count ?? 0,
    errors: r.errors.total,
  };
}

/** Starts the Hocuspocus peer server (loadtest/peers/hocuspocus.ts) in its own process. */
async function startHocuspocus(dir: string, name = 'hocuspocus', env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  return ServerProcess.start({
    name,
    args: ['--import', TSX_LOADER, path.join(REPO_ROOT, 'loadtest', 'peers', 'hocuspocus.ts')],
    env: { PORT: String(port), DATA_DIR: path.join(dir, 'data'), ...env },
    port,
    readyPath: '/',
    logFile: path.join(dir, `${name}.log`),
    inspectPort: await freePort(),
  });
}

/** Stops what was started if the rest of a cluster fails to start. */
async function startGroup(name: string, redis: TestRedis, start: (i: number) => Promise<ServerProcess>): Promise<ServerGroup> {
  const members: ServerProcess[] = [];
  try {
    for (let i = 0; i < CLUSTER_SIZE; i++) members.push(await start(i));
  } catch (err) {
    await Promise.all(members.map((m) => m.stop()));
    await redis.stop();
    throw err;
  }
  return new ServerGroup(name, members, redis);
}

/**
 * Our hub as a cluster: Redis and the SQLite data as provisioned (copied), CLUSTER_SIZE hubs on
 * them. The writer's hub (the first) takes the meeting's lease when the writer joins; the others
 * keep replicas fed through Redis.
 */
async function startHubCluster(opts: BenchOptions, template: string, dir: string): Promise<ServerGroup> {
  const { dataDir, redisDir } = copyClusterState(template, dir);
  const redis = await TestRedis.start(redisDir);
  return startGroup('hub cluster', redis, (i) =>
    startHubProcess({ dataDir, logFile: path.join(dir, `hub-${i}.log`), env: { ...opts.hubEnv, REDIS_URL: redis.url, DEMO: 'off' }, inspect: true }),
  );
}

/** Hocuspocus as a cluster: CLUSTER_SIZE instances with its Redis extension, one Redis configured like ours. */
async function startHocuspocusCluster(dir: string): Promise<ServerGroup> {
  const redis = await TestRedis.start(path.join(dir, 'redis'));
  return startGroup('hocuspocus cluster', redis, (i) => startHocuspocus(dir, `hocuspocus-${i}`, { REDIS_URL: redis.url }));
}

/** The writer: a Y.Doc whose local changes are sent to the server. */
interface Writer {
  doc: Y.Doc;
  connect(): Promise<unknown>;
  close(): void;
}

function hubWriter(env: RunEnv, room: ProvisionedRoom): Writer {
  const o = room.members[0]!;
  const c = new LoadClient({ idx: 3_000_000, room: 0, member: 0, userId: o.userId, role: 'organizer', token: o.token, url: `${env.server.wsBase}/ws`, replica: ['drafts'] });
  c.hooks = { unexpectedClose: (_, code, reason) => env.metrics.error('close', `writer: ${code} ${reason}`) };
  const doc = c.docs.get('drafts')!;
  doc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin !== c) c.send(syncUpdateFrame('drafts', update));
  });
  return { doc, connect: () => c.connectRetrying(60_000, (msg) => env.metrics.error('abrupt-close', `writer: ${msg} (reconnected)`)), close: () => c.destroy() };
}

function hocuspocusWriter(env: RunEnv, room: ProvisionedRoom): Writer {
  const o = room.members[0]!;
  const c = new HocuspocusClient({ idx: 0, room: 0, member: 0, userId: o.userId, role: 'organizer', token: 'writer', url: env.server.wsBase, replica: [] }, HOCUSPOCUS_DOC);
  c.hooks = { unexpectedClose: (_, code, reason) => env.metrics.error('close', `writer: ${code} ${reason}`) };
  c.doc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin !== c) c.sendUpdate(update);
  });
  return { doc: c.doc, connect: () => c.connect(60_000), close: () => c.destroy() };
}

async function fanoutRun(env: RunEnv, kind: 'hub' | 'hocuspocus', readers: number, topology: FanoutTopology): Promise<RunOutcome> {
  const o = env.opts;
  const room = env.rooms[0]!;
  const writer = kind === 'hub' ? hubWriter(env, room) : hocuspocusWriter(env, room);
  await writer.connect();
  // Readers scan each update for its marker; sampled readers also apply it to a Y.Doc and are checked at the end.
  const specs = env.clientsByWorker((_, member) => (o.replicaSample > 0 && member % o.replicaSample === 0 ? ['drafts'] : []));
  // Readers round-robin over the servers (one in the single topology); the writer is on the first.
  const bases = env.server instanceof ServerGroup ? env.server.wsBases : [env.server.wsBase];
  for (const list of specs) for (const s of list) s.url = kind === 'hub' ? `${bases[s.idx % bases.length]}/ws` : bases[s.idx % bases.length]!;
  await env.pool.all('init', (w) => ({ server: kind, docName: HOCUSPOCUS_DOC, clients: specs[w] }));
  await sleep(500);
  const before = await env.memory();
  env.progress.setPhase('connecting');
  env.progress.connections = () => env.metrics.count('join.ok') + 1;
  const res = await env.pool.all<{ connected: number; failed: number }>('connect', () => ({ rate: 500 / o.workers, timeoutMs: 60_000, presence: false, maxInFlight: 50 }));
  const connected = res.reduce((a, r) => a + r.connected, 0);
  await sleep(1000);
  const after = await env.memory();

  const warmupSeq = Math.round(o.fanoutRate * o.fanoutWarmupSeconds);
  await env.pool.all('fanoutArm', () => ({ warmupSeq }));
  env.progress.setPhase('warm-up');
  const text = writer.doc.getText(FANOUT_TEXT);
  const total = Math.round(o.fanoutRate * (o.fanoutSeconds + o.fanoutWarmupSeconds));
  let seq = 0;
  let c0 = env.server.read();
  let t0 = nowMs();
  const start = nowMs();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((nowMs() - start) * o.fanoutRate) / 1000));
      for (; seq < due; seq++) {
        if (seq === warmupSeq) {
          env.progress.setPhase('stream');
          void env.startProfile();
          c0 = env.server.read();
          t0 = nowMs();
        }
        text.insert(text.length, markerText(MarkerKind.Fanout, 0, 0, seq, nowMs(), o.fanoutChars));
      }
      if (seq >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  const streamMs = nowMs() - t0;
  env.progress.setPhase('draining');
  await sleep(DRAIN_MS);
  const c1 = env.server.read();
  await env.stopProfile();
  const verify = await env.pool.all<{ missing: number; duplicates: number; replicasChecked: number }>('fanoutVerify', () => ({ expected: total, text: FANOUT_TEXT }));
  writer.close();
  const measured = total - warmupSeq;
  const deliveries = measured * connected;
  const cpuMs = c1.cpuMs - c0.cpuMs;
  const values: Record<string, number> = {
    readers,
    connected,
    updatesSent: total,
    updatesMeasured: measured,
    updateBytes: o.fanoutChars,
    deliveriesPerSecond: round(deliveries / (streamMs / 1000)),
    streamCpuPct: round((cpuMs / (streamMs + DRAIN_MS)) * 100),
    cpuUsPerDelivery: deliveries > 0 ? round((cpuMs * 1000) / deliveries) : 0,
    missingDeliveries: verify.reduce((a, v) => a + v.missing, 0),
    duplicateDeliveries: verify.reduce((a, v) => a + v.duplicates, 0),
    replicasChecked: verify.reduce((a, v) => a + v.replicasChecked, 0),
  };
  if (before && after) {
    values.rssPerConnectionKB = round((after.procRss - before.procRss) / connected / 1024);
    values.heapPerConnectionKB = round((after.heapUsed - before.heapUsed) / connected / 1024);
  }
  const checks: RunOutcome['checks'] = [{ name: 'every update delivered to every reader', target: '= 0 missing', value: values.missingDeliveries! + values.duplicateDeliveries!, unit: 'deliveries', pass: values.missingDeliveries === 0 && values.duplicateDeliveries === 0 }];
  const notes = [
    `CPU per delivered update = server CPU time from the end of the warm-up to ${DRAIN_MS / 1000} s after the last update, divided by updates x readers.`,
  ];
  if (topology === 'cluster') {
    notes.push(`Cluster: ${CLUSTER_SIZE} server processes and one Redis (appendfsync always); the writer on the first process, readers round-robin over all. CPU and memory are summed over the server processes and Redis.`);
  }
  return { values, checks, notes, connections: connected + 1 };
}
