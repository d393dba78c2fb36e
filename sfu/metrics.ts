/**
 * SFU metrics for the hub's metrics endpoint: per worker CPU (getResourceUsage) and
 * object counts as the workers report them (dumps, so leaks show), producers and
 * consumers by kind and paused state, bitrates from transport stats, consumer scores.
 */
import type { WorkerPool } from './WorkerPool.ts';

export interface KindCounts {
  audio: { active: number; paused: number };
  video: { active: number; paused: number };
}

export interface WorkerMetrics {
  index: number;
  pid: number | null;
  alive: boolean;
  /** Cumulative CPU time of the worker process (ms), from ru_utime / ru_stime. */
  cpu: { userMs: number; systemMs: number } | null;
  /** Routers the worker itself reports (every room's, pipes included). */
  routers: number;
  /** Transports on this worker's routers (WebRtc and pipe), as the routers report them. */
  transports: number;
  /** Peers placed on this worker, across rooms. */
  peers: number;
}

export interface SfuMetrics {
  workers: WorkerMetrics[];
  rooms: number;
  peers: number;
  producers: KindCounts;
  consumers: KindCounts;
  /** Sum over peers' WebRtcTransports, bits per second (only when collected). */
  bitrate: { inBps: number; outBps: number } | null;
  /** Consumer scores (0..10, mediasoup's view of delivery quality). */
  consumerScores: { count: number; min: number | null; mean: number | null; poor: number; fair: number; good: number };
}

/** Thresholds of the consumer score buckets: poor below 4, good from 7. */
export const SCORE_FAIR_FROM = 4;
export const SCORE_GOOD_FROM = 7;

const emptyCounts = (): KindCounts => ({ audio: { active: 0, paused: 0 }, video: { active: 0, paused: 0 } });

/** Collects the metrics; `bitrates` (default true) asks every WebRtcTransport for stats. */
export async function collectSfuMetrics(pool: WorkerPool, options: { bitrates?: boolean } = {}): Promise<SfuMetrics> {
  const wantBitrates = options.bitrates ?? true;
  const usage = new Map((await pool.getResourceUsage()).map((u) => [u.workerIndex, u.usage]));
  const rooms = [...pool.rooms()];
  const producers = emptyCounts();
  const consumers = emptyCounts();
  const scores: number[] = [];
  const peersOnWorker = new Map<number, number>();
  const transportsOnWorker = new Map<number, number>();
  let peers = 0;
  let inBps = 0;
  let outBps = 0;

  for (const room of rooms) {
    for (const entry of room.routerEntries()) {
      try {
        const dump: unknown = await entry.router.dump();
        const n = idsIn(dump, 'transportIds');
        transportsOnWorker.set(entry.workerIndex, (transportsOnWorker.get(entry.workerIndex) ?? 0) + n);
      } catch (err) {
        if (!entry.router.closed) throw err;
      }
    }
    for (const peer of room.peers()) {
      peers++;
      const w = peer.routerEntry?.workerIndex;
      if (w !== undefined) peersOnWorker.set(w, (peersOnWorker.get(w) ?? 0) + 1);
      for (const { producer } of peer.producers.values()) producers[producer.kind][producer.paused ? 'paused' : 'active']++;
      for (const { consumer } of peer.consumers.values()) {
        consumers[consumer.kind][consumer.paused || consumer.producerPaused ? 'paused' : 'active']++;
        scores.push(consumer.score.score);
      }
      if (!wantBitrates) continue;
      for (const { transport } of peer.transports.values()) {
        try {
          for (const stat of await transport.getStats()) {
            inBps += stat.recvBitrate;
            outBps += stat.sendBitrate;
          }
        } catch (err) {
          if (!transport.closed) throw err;
        }
      }
    }
  }

  const workers: WorkerMetrics[] = [];
  for (const info of pool.workers()) {
    const worker = pool.worker(info.index);
    let routers = 0;
    if (worker !== null) {
      try {
        routers = idsIn(await worker.dump(), 'routerIds');
      } catch (err) {
        if (!worker.closed) throw err;
      }
    }
    const u = usage.get(info.index);
    workers.push({
      index: info.index,
      pid: info.pid,
      alive: info.alive,
      cpu: u === undefined ? null : { userMs: u.ru_utime, systemMs: u.ru_stime },
      routers,
      transports: transportsOnWorker.get(info.index) ?? 0,
      peers: peersOnWorker.get(info.index) ?? 0,
    });
  }

  return {
    workers,
    rooms: rooms.length,
    peers,
    producers,
    consumers,
    bitrate: wantBitrates ? { inBps, outBps } : null,
    consumerScores: {
      count: scores.length,
      min: scores.length === 0 ? null : Math.min(...scores),
      mean: scores.length === 0 ? null : scores.reduce((a, b) => a + b, 0) / scores.length,
      poor: scores.filter((s) => s < SCORE_FAIR_FROM).length,
      fair: scores.filter((s) => s >= SCORE_FAIR_FROM && s < SCORE_GOOD_FROM).length,
      good: scores.filter((s) => s >= SCORE_GOOD_FROM).length,
    },
  };
}

/** Length of an id list in a worker dump (untyped JSON from the worker). */
function idsIn(dump: unknown, field: string): number {
  if (typeof dump !== 'object' || dump === null || !(field in dump)) return 0;
  const ids: unknown = Reflect.get(dump, field);
  return Array.isArray(ids) ? ids.length : 0;
}
