/**
 * One meeting's media: a router on each worker that hosts some of its peers, pipes
 * between those routers for the producers somebody on the other side consumes, an
 * AudioLevelObserver per router for active speakers, and the media policy applied to
 * every peer (sfu/policy.ts decides, this class carries it out).
 *
 * Operations that create or close mediasoup objects run one at a time per room
 * (a promise queue), so policy checks and their effects cannot interleave.
 */
import type { types as ms } from 'mediasoup';
import type {
  ConsumerInfo,
  DtlsParameters,
  MediaKind,
  MediaSource,
  PreferredLayers,
  RtpCapabilities,
  RtpParameters,
  SfuError,
  SfuResult,
  SfuServerEvent,
  TransportInfo,
} from '../shared/media/signalling.ts';
import { errorInfo, silentLogger, type SfuLogger } from './log.ts';
import { DEFAULT_TRANSPORT_OPTIONS, Peer, type PeerIdentity, type TransportOptions } from './Peer.ts';
import {
  DEFAULT_MEDIA_POLICY,
  bumpSpeakerOrder,
  checkFloor,
  checkMute,
  checkProduce,
  checkResumeProducer,
  choosePlacement,
  clampPreferredLayers,
  computeVideoLayout,
  consumerShouldRun,
  muteAction,
  planConsumers,
  topSpeakers,
  type MediaPolicyOptions,
  type ProducerRef,
} from './policy.ts';
import { ConsumerSync } from './ConsumerSync.ts';
import { SafeEmitter } from './SafeEmitter.ts';
import type { WorkerPool } from './WorkerPool.ts';

/** Codecs every router of a room offers: Opus, VP8 (simulcast), H264 baseline. */
export const DEFAULT_MEDIA_CODECS: ms.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 1000 } },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
  },
];

/** AudioLevelObserver settings; `DEFAULT_AUDIO_LEVEL` documents the defaults. */
export interface AudioLevelOptions {
  /** How often volumes are reported (ms): also the pace of last-N video changes. */
  intervalMs: number;
  /** Below this (dBov) a producer counts as silent. */
  thresholdDb: number;
}
export const DEFAULT_AUDIO_LEVEL: AudioLevelOptions = { intervalMs: 800, thresholdDb: -70 };

/** Load units a worker without this room's router costs extra when placing a peer (see `choosePlacement`). */
export const DEFAULT_NEW_ROUTER_PENALTY = 8;
/** Placement attempts before a request fails (a worker may die while a router is created). */
const MAX_PLACEMENT_ATTEMPTS = 3;

export interface RoomOptions {
  policy?: Partial<MediaPolicyOptions>;
  transport?: Partial<TransportOptions>;
  mediaCodecs?: ms.RtpCodecCapability[];
  audioLevel?: Partial<AudioLevelOptions>;
  newRouterPenalty?: number;
  logger?: SfuLogger;
}

/** This room's router on one worker. */
export interface RouterEntry {
  workerIndex: number;
  router: ms.Router;
  audioLevelObserver: ms.AudioLevelObserver;
  /** Producers piped in from the room's other routers, by producer id (null: piping failed). */
  pipes: Map<string, Promise<{ pipeConsumer: ms.Consumer; pipeProducer: ms.Producer } | null>>;
  /** The last volumes its observer reported. */
  volumes: { peerId: string; volume: number }[];
  closed: boolean;
}

type RoomEvents = { event: [peerId: string, event: SfuServerEvent]; close: [] };

const ok = <T>(data: T): SfuResult<T> => ({ ok: true, data });
const fail = <T>(code: SfuError['code'], message: string): SfuResult<T> => ({ ok: false, error: { code, message } });

/** One meeting's media. Created by `WorkerPool.createRoom`. */
export class Room {
  readonly id: string;
  readonly policy: MediaPolicyOptions;
  readonly #pool: WorkerPool;
  readonly #transportOptions: TransportOptions;
  readonly #mediaCodecs: ms.RtpCodecCapability[];
  readonly #audioLevel: AudioLevelOptions;
  readonly #newRouterPenalty: number;
  readonly #log: SfuLogger;
  readonly #peers = new Map<string, Peer>();
  readonly #routers = new Map<number, RouterEntry>();
  readonly #producerOwners = new Map<string, Peer>();
  readonly #events: SafeEmitter<RoomEvents>;
  readonly #consumers: ConsumerSync;
  #floor = new Set<string>();
  #pinned: string | null = null;
  #speakerOrder: string[] = [];
  #camOrder: string[] = [];
  #activeKey = '';
  #queue: Promise<unknown> = Promise.resolve();
  #reconcilePending = false;
  #closed = false;

  /** @internal use `WorkerPool.createRoom`. */
  constructor(id: string, pool: WorkerPool, options: RoomOptions = {}) {
    this.id = id;
    this.#pool = pool;
    this.policy = { ...DEFAULT_MEDIA_POLICY, ...options.policy };
    this.#transportOptions = { ...DEFAULT_TRANSPORT_OPTIONS, ...options.transport };
    this.#mediaCodecs = options.mediaCodecs ?? DEFAULT_MEDIA_CODECS;
    this.#audioLevel = { ...DEFAULT_AUDIO_LEVEL, ...options.audioLevel };
    this.#newRouterPenalty = options.newRouterPenalty ?? DEFAULT_NEW_ROUTER_PENALTY;
    this.#log = (options.logger ?? silentLogger).child({ room: id });
    this.#events = new SafeEmitter((event, err) => this.#log.error({ event, ...errorInfo(err) }, 'room listener threw'));
    const room = this;
    this.#consumers = new ConsumerSync({
      policy: this.policy,
      log: this.#log,
      get closed() {
        return room.closed;
      },
      peers: () => this.#peers.values(),
      ownerOf: (producerId) => this.#producerOwners.get(producerId),
      send: (peerId, event) => this.#send(peerId, event),
      enqueue: (fn) => void this.#enqueue(fn),
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Listens to the events the hub must push to one peer; returns the unsubscribe function. */
  onEvent(listener: (peerId: string, event: SfuServerEvent) => void): () => void {
    return this.#events.on('event', listener);
  }

  /** Called once, after the room closed (the pool forgets it). */
  onClose(listener: () => void): () => void {
    return this.#events.on('close', listener);
  }

  getPeer(peerId: string): Peer | undefined {
    return this.#peers.get(peerId);
  }

  peers(): IterableIterator<Peer> {
    return this.#peers.values();
  }

  /** This room's live routers, by worker index. */
  routerEntries(): RouterEntry[] {
    return [...this.#routers.values()].filter((e) => !e.closed);
  }

  get floorHolders(): string[] {
    return [...this.#floor];
  }

  /** Adds a peer, muted. A peer id already present is replaced (a reconnected session). */
  join(identity: PeerIdentity): Peer {
    if (this.#closed) throw new Error(`room ${this.id} is closed`);
    this.leave(identity.peerId);
    const peer = new Peer(identity);
    this.#peers.set(peer.id, peer);
    return peer;
  }

  /** Removes a peer and all its media; others' consumers of it close. */
  leave(peerId: string): boolean {
    const peer = this.#peers.get(peerId);
    if (peer === undefined) return false;
    this.#peers.delete(peerId);
    const entry = peer.routerEntry;
    peer.close();
    if (entry !== null) void this.#enqueue(async () => this.#closeRouterIfEmpty(entry));
    this.#scheduleReconcile();
    return true;
  }

  /** The hub's floor decision: who may send audio. Revoked holders' mics are closed. */
  setFloor(holders: readonly string[]): SfuResult<{ holders: string[] }> {
    const checked = checkFloor(holders, this.policy.maxSpeakers);
    if (!checked.ok) return checked;
    const next = new Set(checked.holders);
    for (const id of next) if (!this.#floor.has(id)) this.#peers.get(id)?.mutedByOrganizer.clear();
    for (const id of this.#floor) {
      if (next.has(id)) continue;
      const peer = this.#peers.get(id);
      if (peer === undefined) continue;
      this.#closeProducerBySource(peer, 'mic', 'floorRevoked');
      if (peer.role !== 'organizer') this.#closeProducerBySource(peer, 'screen', 'floorRevoked');
    }
    this.#floor = next;
    this.#scheduleReconcile();
    return ok({ holders: checked.holders });
  }

  /** Pins a peer's camera to everyone's stage (null: no stage). */
  setStage(peerId: string | null): void {
    this.#pinned = peerId;
    this.#scheduleReconcile();
  }

  getRouterRtpCapabilities(peerId: string): Promise<SfuResult<{ rtpCapabilities: RtpCapabilities }>> {
    return this.#withPeer(peerId, async (peer) => {
      const entry = await this.#ensurePlaced(peer);
      if (entry === null) return fail('mediaUnavailable', 'no media worker is available');
      return ok({ rtpCapabilities: entry.router.rtpCapabilities });
    });
  }

  createTransport(peerId: string, direction: 'send' | 'recv'): Promise<SfuResult<TransportInfo>> {
    return this.#withPeer(peerId, async (peer) => {
      const entry = await this.#ensurePlaced(peer);
      if (entry === null) return fail('mediaUnavailable', 'no media worker is available');
      let transport: ms.WebRtcTransport;
      try {
        transport = await peer.createTransport(direction, this.#transportOptions);
      } catch (err) {
        // Its worker died meanwhile: the peer gets reconnectMedia and starts over.
        if (entry.closed || peer.closed) return fail('mediaUnavailable', 'the media server restarted; reconnect media');
        throw err;
      }
      if (peer.closed) {
        transport.close();
        return fail('notJoined', 'left while the transport was created');
      }
      return ok(Peer.transportInfo(transport, direction));
    });
  }

  async connectTransport(peerId: string, transportId: string, dtlsParameters: DtlsParameters): Promise<SfuResult<{ connected: true }>> {
    const peer = this.#peers.get(peerId);
    if (peer === undefined) return fail('notJoined', 'not in this room');
    const t = peer.transports.get(transportId);
    if (t === undefined) return fail('transportNotFound', `no transport ${transportId}`);
    try {
      await t.transport.connect({ dtlsParameters });
      return ok({ connected: true });
    } catch (err) {
      return this.#rejected(peer, 'connectTransport', err);
    }
  }

  produce(
    peerId: string,
    req: { transportId: string; kind: MediaKind; rtpParameters: RtpParameters; source: MediaSource },
  ): Promise<SfuResult<{ producerId: string }>> {
    return this.#withPeer(peerId, async (peer) => {
      const t = peer.transports.get(req.transportId);
      if (t === undefined || t.direction !== 'send') return fail('transportNotFound', `no send transport ${req.transportId}`);
      const check = () =>
        checkProduce({
          peerId: peer.id,
          role: peer.role,
          kind: req.kind,
          source: req.source,
          holdsFloor: this.#floor.has(peer.id),
          alreadyProducing: peer.producerBySource(req.source) !== null,
          mutedByOrganizer: peer.mutedByOrganizer.has(req.source),
          screenSharer: this.#screenSharer(),
        });
      const decision = check();
      if (!decision.ok) return decision;
      let producer: ms.Producer;
      try {
        producer = await t.transport.produce({
          kind: req.kind,
          rtpParameters: req.rtpParameters,
          appData: { peerId: peer.id, source: req.source },
        });
      } catch (err) {
        return this.#rejected(peer, 'produce', err);
      }
      if (producer.closed || peer.closed) return fail('notJoined', 'left while producing');
      // The floor may have been revoked while the worker created it (setFloor is not queued).
      const still = check();
      if (!still.ok) {
        producer.close();
        return still;
      }
      await this.#registerProducer(peer, producer, req.source);
      return ok({ producerId: producer.id });
    });
  }

  /** Ready to receive: stores the device's capabilities and creates what policy allows (paused). */
  consume(peerId: string, rtpCapabilities: RtpCapabilities): Promise<SfuResult<{ consumers: ConsumerInfo[] }>> {
    return this.#withPeer(peerId, async (peer) => {
      if (peer.transport('recv') === null) return fail('noRecvTransport', 'create a recv transport first');
      peer.rtpCapabilities = rtpCapabilities;
      const created: ConsumerInfo[] = [];
      await this.#reconcileViewer(peer, created);
      return ok({ consumers: created });
    });
  }

  /** The client shows (resume) or hides (pause) a consumer; policy may still keep it paused. */
  setConsumerPaused(peerId: string, consumerId: string, paused: boolean): Promise<SfuResult<{ paused: boolean }>> {
    return this.#withPeer(peerId, async (peer) => {
      const entry = peer.consumers.get(consumerId);
      if (entry === undefined) return fail('consumerNotFound', `no consumer ${consumerId}`);
      entry.clientPaused = paused;
      await this.#consumers.applyState(peer, entry);
      return ok({ paused: entry.consumer.paused });
    });
  }

  /** A client may lower the layers of a consumer (a small window), never raise them past its view. */
  setPreferredLayers(peerId: string, consumerId: string, layers: PreferredLayers): Promise<SfuResult<{ layers: PreferredLayers }>> {
    return this.#withPeer(peerId, async (peer) => {
      const entry = peer.consumers.get(consumerId);
      if (entry === undefined) return fail('consumerNotFound', `no consumer ${consumerId}`);
      const clamped = clampPreferredLayers(layers, entry.view, this.policy);
      if (clamped === null) return fail('kindMismatch', 'audio consumers have no layers');
      if (entry.consumer.type === 'simulcast' || entry.consumer.type === 'svc') await entry.consumer.setPreferredLayers(clamped);
      return ok({ layers: clamped });
    });
  }

  /** The peer pauses or resumes its own producer (resuming a mic needs the floor). */
  setProducerPaused(peerId: string, producerId: string, paused: boolean): Promise<SfuResult<{ paused: boolean }>> {
    return this.#withPeer(peerId, async (peer) => {
      const entry = peer.producers.get(producerId);
      if (entry === undefined) return fail('producerNotFound', `no producer ${producerId}`);
      if (!paused) {
        const decision = checkResumeProducer({
          source: entry.source,
          holdsFloor: this.#floor.has(peer.id),
          mutedByOrganizer: peer.mutedByOrganizer.has(entry.source),
        });
        if (!decision.ok) return decision;
      }
      await this.#setProducerPaused(entry.producer, paused);
      return ok({ paused: entry.producer.paused });
    });
  }

  closeProducer(peerId: string, producerId: string): Promise<SfuResult<{ closed: true }>> {
    return this.#withPeer(peerId, async (peer) => {
      const entry = peer.producers.get(producerId);
      if (entry === undefined) return fail('producerNotFound', `no producer ${producerId}`);
      entry.producer.close();
      return ok({ closed: true });
    });
  }

  /** Organizer only: a mic is paused, cam or screen closed; the peer cannot undo it until granted the floor again. */
  mutePeer(
    actor: { peerId: string; role: PeerIdentity['role'] },
    targetPeerId: string,
    source: MediaSource,
  ): Promise<SfuResult<{ producerIds: string[] }>> {
    return this.#enqueue(async () => {
      const decision = checkMute(actor, targetPeerId);
      if (!decision.ok) return decision;
      const target = this.#peers.get(targetPeerId);
      if (target === undefined) return fail('peerNotFound', `no peer ${targetPeerId}`);
      target.mutedByOrganizer.add(source);
      const entry = target.producerBySource(source);
      if (entry === null) return ok({ producerIds: [] });
      if (muteAction(source) === 'pause') {
        await this.#setProducerPaused(entry.producer, true);
        this.#send(target.id, { type: 'producerPaused', producerId: entry.producer.id, reason: 'organizerMute' });
      } else {
        this.#closeProducerBySource(target, source, 'organizerMute');
      }
      this.#log.info({ actor: actor.peerId, target: targetPeerId, source }, 'organizer mute');
      return ok({ producerIds: [entry.producer.id] });
    });
  }

  /** Load this room puts on a worker: peers + their producers and consumers. */
  loadOnWorker(workerIndex: number): number {
    let load = 0;
    for (const peer of this.#peers.values()) if (peer.routerEntry?.workerIndex === workerIndex) load += peer.load;
    return load;
  }

  /**
   * @internal called by the pool when a worker died (its routers already closed):
   * the peers it hosted lose their media and are told to reconnect. Returns their ids.
   */
  handleWorkerDied(workerIndex: number): string[] {
    const entry = this.#routers.get(workerIndex);
    if (entry === undefined) return [];
    this.#routers.delete(workerIndex);
    entry.closed = true;
    entry.volumes = [];
    const affected: string[] = [];
    for (const peer of this.#peers.values()) {
      if (peer.routerEntry !== entry) continue;
      for (const producerId of peer.producers.keys()) this.#producerOwners.delete(producerId);
      peer.closeMedia();
      peer.routerEntry = null;
      peer.lastLayoutKey = '';
      affected.push(peer.id);
      this.#send(peer.id, { type: 'reconnectMedia', reason: 'workerDied' });
    }
    this.#log.warn({ workerIndex, peers: affected.length }, 'worker died; peers must reconnect media');
    this.#onVolumes();
    this.#scheduleReconcile();
    return affected;
  }

  /** Idempotent: closes peers, then routers, then tells the pool. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const peer of this.#peers.values()) peer.close();
    this.#peers.clear();
    for (const entry of this.#routers.values()) {
      entry.closed = true;
      entry.router.close();
    }
    this.#routers.clear();
    this.#producerOwners.clear();
    this.#events.emit('close');
    this.#events.removeAll();
  }

  // -------------------------------------------------------------------------

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Runs a queued operation for a peer that must be in the room (and still be, after it). */
  #withPeer<T>(peerId: string, fn: (peer: Peer) => Promise<SfuResult<T>>): Promise<SfuResult<T>> {
    return this.#enqueue(async () => {
      if (this.#closed) return fail('mediaUnavailable', 'the room is closed');
      const peer = this.#peers.get(peerId);
      if (peer === undefined || peer.closed) return fail('notJoined', 'not in this room');
      return fn(peer);
    });
  }

  /** mediasoup refused client input (ORTC validation, unknown codec, bad DTLS): a value, logged at warn. */
  #rejected<T>(peer: Peer, op: string, err: unknown): SfuResult<T> {
    if (peer.closed) return fail('notJoined', 'not in this room');
    const message = err instanceof Error ? err.message : String(err);
    this.#log.warn({ peer: peer.id, op, message }, 'media server rejected client input');
    return fail('rejectedByMediaServer', message);
  }

  #send(peerId: string, event: SfuServerEvent): void {
    this.#events.emit('event', peerId, event);
  }

  #screenSharer(): string | null {
    for (const peer of this.#peers.values()) if (peer.producerBySource('screen') !== null) return peer.id;
    return null;
  }

  /** Places a peer on the least-loaded worker (see `choosePlacement`), creating the room's router there if needed. */
  async #ensurePlaced(peer: Peer): Promise<RouterEntry | null> {
    if (peer.routerEntry !== null && !peer.routerEntry.closed) return peer.routerEntry;
    for (let attempt = 0; attempt < MAX_PLACEMENT_ATTEMPTS; attempt++) {
      if (this.#closed || peer.closed) return null;
      const live = this.#pool.liveWorkerIndexes();
      if (live.length === 0) {
        if (!(await this.#pool.whenWorkerAvailable())) return null;
        continue;
      }
      const index = choosePlacement(
        live.map((i) => ({
          workerIndex: i,
          load: this.#pool.workerLoad(i),
          roomHasRouter: this.#routers.get(i)?.closed === false,
        })),
        this.#newRouterPenalty,
      );
      if (index === null) continue;
      try {
        const entry = await this.#routerOn(index);
        if (peer.closed || this.#closed) return null;
        if (entry.closed) continue; // its worker died meanwhile
        peer.routerEntry = entry;
        return entry;
      } catch (err) {
        this.#log.warn({ workerIndex: index, ...errorInfo(err) }, 'could not create a router; trying again');
      }
    }
    return null;
  }

  async #routerOn(workerIndex: number): Promise<RouterEntry> {
    const existing = this.#routers.get(workerIndex);
    if (existing !== undefined && !existing.closed) return existing;
    const router = await this.#pool.createRouter(workerIndex, { mediaCodecs: this.#mediaCodecs, appData: { roomId: this.id } });
    if (this.#closed) {
      router.close();
      throw new Error('room closed');
    }
    const audioLevelObserver = await router.createAudioLevelObserver({
      maxEntries: this.policy.maxSpeakers,
      threshold: this.#audioLevel.thresholdDb,
      interval: this.#audioLevel.intervalMs,
    });
    const entry: RouterEntry = { workerIndex, router, audioLevelObserver, pipes: new Map(), volumes: [], closed: false };
    // A dead worker closes its routers before the pool hears 'died'; handleWorkerDied removes the entry.
    router.observer.once('close', () => {
      entry.closed = true;
    });
    audioLevelObserver.on('volumes', (volumes: ms.AudioLevelObserverVolume[]) => {
      entry.volumes = volumes.flatMap((v) => {
        const owner = this.#producerOwners.get(v.producer.id);
        return owner === undefined ? [] : [{ peerId: owner.id, volume: v.volume }];
      });
      this.#onVolumes();
    });
    audioLevelObserver.on('silence', () => {
      entry.volumes = [];
      this.#onVolumes();
    });
    this.#routers.set(workerIndex, entry);
    return entry;
  }

  #closeRouterIfEmpty(entry: RouterEntry): void {
    if (entry.closed || this.#closed) return;
    for (const peer of this.#peers.values()) if (peer.routerEntry === entry) return;
    entry.closed = true;
    entry.router.close();
    if (this.#routers.get(entry.workerIndex) === entry) this.#routers.delete(entry.workerIndex);
  }

  async #registerProducer(peer: Peer, producer: ms.Producer, source: MediaSource): Promise<void> {
    peer.producers.set(producer.id, { producer, source });
    this.#producerOwners.set(producer.id, peer);
    if (source === 'cam') this.#camOrder.push(peer.id);
    producer.observer.once('close', () => {
      peer.producers.delete(producer.id);
      this.#producerOwners.delete(producer.id);
      if (source === 'cam') this.#camOrder = this.#camOrder.filter((p) => p !== peer.id);
      this.#scheduleReconcile();
    });
    if (source === 'mic' && peer.routerEntry !== null) {
      await peer.routerEntry.audioLevelObserver.addProducer({ producerId: producer.id }).catch((err: unknown) => {
        if (!producer.closed) this.#log.error({ producer: producer.id, ...errorInfo(err) }, 'audio level observer refused a producer');
      });
    }
    this.#scheduleReconcile();
  }

  #closeProducerBySource(peer: Peer, source: MediaSource, reason: 'floorRevoked' | 'organizerMute'): void {
    const entry = peer.producerBySource(source);
    if (entry === null) return;
    entry.producer.close();
    this.#send(peer.id, { type: 'producerClosed', producerId: entry.producer.id, reason });
  }

  /** Pauses or resumes a producer and tells its viewers why their consumer stopped or started. */
  async #setProducerPaused(producer: ms.Producer, paused: boolean): Promise<void> {
    if (producer.paused === paused) return;
    if (paused) await producer.pause();
    else await producer.resume();
    for (const viewer of this.#peers.values()) {
      const c = viewer.consumerByProducer(producer.id);
      if (c === null || !consumerShouldRun(c)) continue;
      this.#send(
        viewer.id,
        paused ? { type: 'consumerPaused', consumerId: c.consumer.id, reason: 'producerPaused' } : { type: 'consumerResumed', consumerId: c.consumer.id },
      );
    }
  }

  #onVolumes(): void {
    const speakers = topSpeakers(
      [...this.#routers.values()].flatMap((e) => e.volumes),
      this.policy.maxSpeakers,
    );
    const key = speakers.map((s) => s.peerId).join('\n');
    if (key === this.#activeKey) return;
    this.#activeKey = key;
    for (const peer of this.#peers.values()) this.#send(peer.id, { type: 'activeSpeakers', speakers });
    if (speakers.length > 0) {
      this.#speakerOrder = bumpSpeakerOrder(this.#speakerOrder, speakers.map((s) => s.peerId)).filter((p) => this.#peers.has(p));
      this.#scheduleReconcile();
    }
  }

  /** Coalesces policy re-evaluation: at most one pending pass per room. */
  #scheduleReconcile(): void {
    if (this.#reconcilePending || this.#closed) return;
    this.#reconcilePending = true;
    void this.#enqueue(async () => {
      this.#reconcilePending = false;
      for (const peer of [...this.#peers.values()]) {
        if (this.#closed) return;
        try {
          await this.#reconcileViewer(peer, null);
        } catch (err) {
          this.#log.error({ peer: peer.id, ...errorInfo(err) }, 'reconciling consumers failed');
        }
      }
    });
  }

  #producerRefs(): ProducerRef[] {
    const refs: ProducerRef[] = [];
    for (const peer of this.#peers.values()) {
      for (const [producerId, p] of peer.producers) refs.push({ producerId, peerId: peer.id, source: p.source });
    }
    return refs;
  }

  /**
   * Brings one viewer's consumers in line with policy: creates the missing ones (paused;
   * into `created`, else as `newConsumer` events), pauses what left its layout, closes
   * audio of speakers without the floor and the oldest idle video.
   */
  async #reconcileViewer(viewer: Peer, created: ConsumerInfo[] | null): Promise<void> {
    if (viewer.closed || viewer.rtpCapabilities === null || viewer.routerEntry === null) return;
    if (viewer.transport('recv') === null) return;
    const layout = computeVideoLayout({
      viewerId: viewer.id,
      camPeers: this.#camOrder,
      speakerOrder: this.#speakerOrder,
      floorHolders: [...this.#floor],
      pinned: this.#pinned,
      screenSharer: this.#screenSharer(),
      lastN: this.policy.lastN,
    });
    const layoutKey = JSON.stringify(layout);
    if (layoutKey !== viewer.lastLayoutKey) {
      viewer.lastLayoutKey = layoutKey;
      this.#send(viewer.id, { type: 'mediaLayout', ...layout });
    }
    const plan = planConsumers({ viewerId: viewer.id, producers: this.#producerRefs(), floorHolders: this.#floor, layout });
    await this.#consumers.apply(viewer, plan, created);
  }
}
