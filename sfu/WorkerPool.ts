/**
 * The mediasoup workers of one hub process (one per core by default), each with its
 * own slice of the RTC port range, and the rooms that use them.
 *
 * A worker that dies is reported (`workerDied`, naming the rooms and peers that must
 * reconnect media: those rooms already told their peers) and replaced in the same
 * slot, with the same ports, after `respawnDelayMs` (doubling up to
 * `maxRespawnDelayMs` while spawning fails).
 */
import { availableParallelism } from 'node:os';
import type { types as ms } from 'mediasoup';
import { errorInfo, silentLogger, type SfuLogger } from './log.ts';
import { collectSfuMetrics, type SfuMetrics } from './metrics.ts';
import { Room, type RoomOptions } from './Room.ts';
import { SafeEmitter } from './SafeEmitter.ts';
import type { Mediasoup } from './workerBinary.ts';

/** Pool settings; `DEFAULT_WORKER_POOL_OPTIONS` documents the defaults. */
export interface WorkerPoolOptions {
  /** Workers to run; default one per core. */
  numWorkers: number;
  /** RTC (ICE/DTLS/RTP) ports, split evenly between the workers. */
  rtcMinPort: number;
  rtcMaxPort: number;
  /** mediasoup's own log level inside the workers. */
  logLevel: ms.WorkerLogLevel;
  logTags: ms.WorkerLogTag[];
  /** Wait before replacing a dead worker; doubles while spawning fails, up to the max. */
  respawnDelayMs: number;
  maxRespawnDelayMs: number;
  /** Defaults for every room (each `createRoom` may override). */
  room: RoomOptions;
  logger: SfuLogger;
}

/** Fewest ports a worker may get: each WebRtcTransport takes one (mediasoup 3.8 has no WebRtcServer). */
export const MIN_PORTS_PER_WORKER = 16;

export const DEFAULT_WORKER_POOL_OPTIONS: WorkerPoolOptions = {
  numWorkers: availableParallelism(),
  rtcMinPort: 40000,
  rtcMaxPort: 49999,
  logLevel: 'warn',
  logTags: [],
  respawnDelayMs: 1000,
  maxRespawnDelayMs: 30_000,
  room: {},
  logger: silentLogger,
};

/** What a worker's death did: who must build their media again. */
export interface WorkerDeathReport {
  workerIndex: number;
  pid: number;
  error: string;
  affected: { roomId: string; peerIds: string[] }[];
}

type PoolEvents = {
  workerDied: [report: WorkerDeathReport];
  workerReplaced: [info: { workerIndex: number; pid: number }];
  workerRespawnFailed: [info: { workerIndex: number; error: string; retryInMs: number }];
};

/** One worker slot: its ports stay, the process may be replaced. */
interface Slot {
  readonly index: number;
  readonly rtcMinPort: number;
  readonly rtcMaxPort: number;
  worker: ms.Worker | null;
  respawnTimer: NodeJS.Timeout | null;
  respawnDelayMs: number;
}

/** A worker as the metrics and the tests see it. */
export interface WorkerInfo {
  index: number;
  pid: number | null;
  alive: boolean;
  rtcMinPort: number;
  rtcMaxPort: number;
}

/** Splits [min, max] into `n` equal, disjoint port ranges. */
export function splitPortRange(min: number, max: number, n: number): { rtcMinPort: number; rtcMaxPort: number }[] {
  const size = Math.floor((max - min + 1) / n);
  if (!Number.isInteger(n) || n < 1 || size < MIN_PORTS_PER_WORKER) {
    throw new RangeError(`ports ${min}-${max} cannot give ${n} workers ${MIN_PORTS_PER_WORKER} ports each`);
  }
  return Array.from({ length: n }, (_, i) => ({ rtcMinPort: min + i * size, rtcMaxPort: min + (i + 1) * size - 1 }));
}

/** mediasoup workers plus the rooms on them. Create with `WorkerPool.create`. */
export class WorkerPool {
  readonly options: WorkerPoolOptions;
  readonly #mediasoup: Mediasoup;
  readonly #slots: Slot[];
  readonly #rooms = new Map<string, Room>();
  readonly #events: SafeEmitter<PoolEvents>;
  readonly #log: SfuLogger;
  #waiters: ((alive: boolean) => void)[] = [];
  #closed = false;

  /** Starts the workers; rejects (and closes the ones started) if any fails to start. */
  static async create(mediasoup: Mediasoup, options: Partial<WorkerPoolOptions> = {}): Promise<WorkerPool> {
    const pool = new WorkerPool(mediasoup, { ...DEFAULT_WORKER_POOL_OPTIONS, ...options });
    try {
      await Promise.all(pool.#slots.map(async (slot) => pool.#attach(slot, await pool.#spawn(slot))));
    } catch (err) {
      pool.close();
      throw err;
    }
    return pool;
  }

  private constructor(mediasoup: Mediasoup, options: WorkerPoolOptions) {
    this.options = options;
    this.#mediasoup = mediasoup;
    this.#log = options.logger.child({ component: 'sfu' });
    this.#events = new SafeEmitter((event, err) => this.#log.error({ event, ...errorInfo(err) }, 'pool listener threw'));
    this.#slots = splitPortRange(options.rtcMinPort, options.rtcMaxPort, options.numWorkers).map((ports, index) => ({
      index,
      ...ports,
      worker: null,
      respawnTimer: null,
      respawnDelayMs: options.respawnDelayMs,
    }));
  }

  get closed(): boolean {
    return this.#closed;
  }

  on<K extends keyof PoolEvents>(event: K, listener: (...args: PoolEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  workers(): WorkerInfo[] {
    return this.#slots.map((s) => ({
      index: s.index,
      pid: s.worker?.pid ?? null,
      alive: s.worker !== null && !s.worker.closed,
      rtcMinPort: s.rtcMinPort,
      rtcMaxPort: s.rtcMaxPort,
    }));
  }

  /** @internal the live mediasoup worker of a slot (metrics, tests). */
  worker(index: number): ms.Worker | null {
    const w = this.#slots[index]?.worker ?? null;
    return w !== null && !w.closed ? w : null;
  }

  liveWorkerIndexes(): number[] {
    return this.#slots.filter((s) => s.worker !== null && !s.worker.closed).map((s) => s.index);
  }

  /** Resolves true once some worker is alive, false if the pool closes first. */
  whenWorkerAvailable(): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    if (this.liveWorkerIndexes().length > 0) return Promise.resolve(true);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Load on a worker across all rooms (peers + producers + consumers), for placement. */
  workerLoad(index: number): number {
    let load = 0;
    for (const room of this.#rooms.values()) load += room.loadOnWorker(index);
    return load;
  }

  /** @internal for Room: a router on one worker. */
  async createRouter(index: number, options: ms.RouterOptions): Promise<ms.Router> {
    const worker = this.worker(index);
    if (worker === null) throw new Error(`worker ${index} is not running`);
    return worker.createRouter(options);
  }

  /** A new room (one per meeting). Creating an id twice is a bug. */
  createRoom(id: string, options: RoomOptions = {}): Room {
    if (this.#closed) throw new Error('the worker pool is closed');
    if (this.#rooms.has(id)) throw new Error(`room ${id} exists`);
    const defaults = this.options.room;
    const room = new Room(id, this, {
      logger: this.#log,
      ...defaults,
      ...options,
      policy: { ...defaults.policy, ...options.policy },
      transport: { ...defaults.transport, ...options.transport },
      audioLevel: { ...defaults.audioLevel, ...options.audioLevel },
    });
    this.#rooms.set(id, room);
    room.onClose(() => {
      if (this.#rooms.get(id) === room) this.#rooms.delete(id);
    });
    return room;
  }

  getRoom(id: string): Room | undefined {
    return this.#rooms.get(id);
  }

  rooms(): IterableIterator<Room> {
    return this.#rooms.values();
  }

  /** CPU time of each live worker (mediasoup `getResourceUsage`, ms). */
  async getResourceUsage(): Promise<{ workerIndex: number; pid: number; usage: ms.WorkerResourceUsage }[]> {
    const out: { workerIndex: number; pid: number; usage: ms.WorkerResourceUsage }[] = [];
    for (const slot of this.#slots) {
      const w = this.worker(slot.index);
      if (w === null) continue;
      try {
        out.push({ workerIndex: slot.index, pid: w.pid, usage: await w.getResourceUsage() });
      } catch (err) {
        if (!w.closed) throw err;
      }
    }
    return out;
  }

  /** Counts, CPU, bitrates and scores for the hub's metrics endpoint. */
  getMetrics(options: { bitrates?: boolean } = {}): Promise<SfuMetrics> {
    return collectSfuMetrics(this, options);
  }

  /** Idempotent: closes the rooms (children) first, then the workers. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const room of [...this.#rooms.values()]) room.close();
    this.#rooms.clear();
    for (const slot of this.#slots) {
      if (slot.respawnTimer !== null) clearTimeout(slot.respawnTimer);
      slot.respawnTimer = null;
      slot.worker?.close();
      slot.worker = null;
    }
    for (const resolve of this.#waiters.splice(0)) resolve(false);
    this.#events.removeAll();
  }

  // -------------------------------------------------------------------------

  #spawn(slot: Slot): Promise<ms.Worker> {
    return this.#mediasoup.createWorker({
      logLevel: this.options.logLevel,
      logTags: this.options.logTags,
      rtcMinPort: slot.rtcMinPort,
      rtcMaxPort: slot.rtcMaxPort,
      appData: { index: slot.index },
    });
  }

  #attach(slot: Slot, worker: ms.Worker): void {
    if (this.#closed) {
      worker.close();
      return;
    }
    slot.worker = worker;
    slot.respawnDelayMs = this.options.respawnDelayMs;
    worker.on('died', (error: Error) => this.#onDied(slot, worker, error));
    for (const resolve of this.#waiters.splice(0)) resolve(true);
  }

  #onDied(slot: Slot, worker: ms.Worker, error: Error): void {
    if (this.#closed || slot.worker !== worker) return;
    slot.worker = null;
    const affected: WorkerDeathReport['affected'] = [];
    for (const room of [...this.#rooms.values()]) {
      try {
        const peerIds = room.handleWorkerDied(slot.index);
        if (peerIds.length > 0) affected.push({ roomId: room.id, peerIds });
      } catch (err) {
        this.#log.error({ room: room.id, ...errorInfo(err) }, 'room failed to handle a worker death');
      }
    }
    this.#log.error({ workerIndex: slot.index, pid: worker.pid, error: error.message, affected }, 'mediasoup worker died');
    this.#events.emit('workerDied', { workerIndex: slot.index, pid: worker.pid, error: error.message, affected });
    this.#scheduleRespawn(slot);
  }

  #scheduleRespawn(slot: Slot): void {
    if (this.#closed || slot.respawnTimer !== null) return;
    slot.respawnTimer = setTimeout(() => {
      slot.respawnTimer = null;
      this.#spawn(slot).then(
        (worker) => {
          if (this.#closed) {
            worker.close();
            return;
          }
          this.#attach(slot, worker);
          this.#log.info({ workerIndex: slot.index, pid: worker.pid }, 'mediasoup worker replaced');
          this.#events.emit('workerReplaced', { workerIndex: slot.index, pid: worker.pid });
        },
        (err: unknown) => {
          if (this.#closed) return;
          slot.respawnDelayMs = Math.min(slot.respawnDelayMs * 2 || 1, this.options.maxRespawnDelayMs);
          const message = err instanceof Error ? err.message : String(err);
          this.#log.error({ workerIndex: slot.index, error: message }, 'replacing a mediasoup worker failed');
          this.#events.emit('workerRespawnFailed', { workerIndex: slot.index, error: message, retryInMs: slot.respawnDelayMs });
          this.#scheduleRespawn(slot);
        },
      );
    }, slot.respawnDelayMs);
  }
}
