/**
 * Applies a viewer's consumer plan (sfu/policy.ts `planConsumers`) to mediasoup:
 * creates the missing consumers (paused, piping the producer in from another router
 * of the room when needed), pauses what left the viewer's layout, closes audio of
 * peers without the floor and the oldest idle video, and keeps each pipe running only
 * while a consumer on its far side runs.
 *
 * Split out of Room, which owns the state this reads through `ConsumerSyncContext`.
 */
import type { types as ms } from 'mediasoup';
import type { ConsumerInfo, ConsumerView, SfuServerEvent } from '../shared/media/signalling.ts';
import { errorInfo, type SfuLogger } from './log.ts';
import type { ConsumerEntry, Peer } from './Peer.ts';
import { consumerShouldRun, idleConsumersToClose, layersForView, type MediaPolicyOptions } from './policy.ts';
import type { RouterEntry } from './Room.ts';

/** What ConsumerSync needs from its Room. */
export interface ConsumerSyncContext {
  readonly policy: MediaPolicyOptions;
  readonly log: SfuLogger;
  readonly closed: boolean;
  peers(): Iterable<Peer>;
  /** The peer whose producer this is (the id is the same on every router it is piped to). */
  ownerOf(producerId: string): Peer | undefined;
  send(peerId: string, event: SfuServerEvent): void;
  /** Runs work in the room's operation queue (for work that close events trigger). */
  enqueue(fn: () => Promise<void>): void;
}

/** Keeps viewers' consumers and the room's pipes in line with policy. */
export class ConsumerSync {
  readonly #ctx: ConsumerSyncContext;
  /** Orders hidden consumers: the oldest hidden close first. */
  #tick = 0;

  constructor(ctx: ConsumerSyncContext) {
    this.#ctx = ctx;
  }

  /**
   * Brings one viewer's consumers in line with its plan (producer id -> view). New
   * consumers go into `created` when given (the `consume` reply), else out as
   * `newConsumer` events.
   */
  async apply(viewer: Peer, plan: ReadonlyMap<string, ConsumerView>, created: ConsumerInfo[] | null): Promise<void> {
    for (const entry of [...viewer.consumers.values()]) {
      const view = plan.get(entry.producerId);
      const wasRunning = consumerShouldRun(entry);
      if (view === undefined && entry.consumer.kind === 'audio') {
        entry.consumer.close();
        const reason = this.#ctx.ownerOf(entry.producerId) !== undefined ? 'noFloor' : 'producerClosed';
        this.#ctx.send(viewer.id, { type: 'consumerClosed', consumerId: entry.consumer.id, reason });
        continue;
      }
      if (view === undefined) {
        if (entry.visible) entry.hiddenAt = ++this.#tick;
        entry.visible = false;
      } else {
        entry.visible = true;
        if (entry.view !== view) {
          entry.view = view;
          const layers = layersForView(view, this.#ctx.policy);
          const consumer = entry.consumer;
          if (layers !== null && consumer.type === 'simulcast') {
            await closedIsFine(consumer, () => consumer.setPreferredLayers(layers));
          }
          this.#ctx.send(viewer.id, { type: 'consumerViewChanged', consumerId: entry.consumer.id, view });
        }
      }
      const running = consumerShouldRun(entry);
      if (wasRunning && !running) this.#ctx.send(viewer.id, { type: 'consumerPaused', consumerId: entry.consumer.id, reason: 'notVisible' });
      if (!wasRunning && running) this.#ctx.send(viewer.id, { type: 'consumerResumed', consumerId: entry.consumer.id });
      await this.applyState(viewer, entry);
    }

    const idle = [...viewer.consumers.values()].filter((c) => c.consumer.kind === 'video' && !c.visible);
    const toClose = new Set(
      idleConsumersToClose(
        idle.map((c) => ({ consumerId: c.consumer.id, hiddenAt: c.hiddenAt })),
        this.#ctx.policy.maxIdleVideoConsumers,
      ),
    );
    for (const c of idle) {
      if (!toClose.has(c.consumer.id)) continue;
      c.consumer.close();
      this.#ctx.send(viewer.id, { type: 'consumerClosed', consumerId: c.consumer.id, reason: 'notVisible' });
    }

    for (const [producerId, view] of plan) {
      if (viewer.consumerByProducer(producerId) !== null) continue;
      const info = await this.#create(viewer, producerId, view);
      if (info === null) continue;
      if (created !== null) created.push(info);
      else this.#ctx.send(viewer.id, { type: 'newConsumer', consumer: info });
    }
  }

  async #create(viewer: Peer, producerId: string, view: ConsumerEntry['view']): Promise<ConsumerInfo | null> {
    const owner = this.#ctx.ownerOf(producerId);
    const source = owner?.producers.get(producerId)?.source;
    const to = viewer.routerEntry;
    const recv = viewer.transport('recv');
    const caps = viewer.rtpCapabilities;
    if (owner === undefined || source === undefined || owner.routerEntry === null || to === null || recv === null || caps === null) {
      return null;
    }
    if (owner.routerEntry !== to && !(await this.#ensurePipe(producerId, owner.routerEntry, to))) return null;
    if (!to.router.canConsume({ producerId, rtpCapabilities: caps })) {
      this.#ctx.log.debug({ viewer: viewer.id, producerId }, 'device cannot consume this producer');
      await this.#syncPipe(producerId, to); // closes a pipe made for nothing
      return null;
    }
    const layers = layersForView(view, this.#ctx.policy);
    let consumer: ms.Consumer;
    try {
      consumer = await recv.consume({
        producerId,
        rtpCapabilities: caps,
        paused: true,
        ...(layers === null ? {} : { preferredLayers: layers }),
        appData: { peerId: viewer.id, producerPeerId: owner.id, source },
      });
    } catch (err) {
      // The producer or the transport closed meanwhile.
      this.#ctx.log.debug({ viewer: viewer.id, producerId, ...errorInfo(err) }, 'consume failed');
      await this.#syncPipe(producerId, to);
      return null;
    }
    if (consumer.closed || viewer.closed) return null;
    const entry: ConsumerEntry = {
      consumer,
      producerId,
      producerPeerId: owner.id,
      source,
      view,
      clientPaused: true,
      visible: true,
      hiddenAt: 0,
    };
    viewer.consumers.set(consumer.id, entry);
    consumer.on('producerclose', () => {
      this.#ctx.send(viewer.id, { type: 'consumerClosed', consumerId: consumer.id, reason: 'producerClosed' });
    });
    consumer.observer.once('close', () => {
      viewer.consumers.delete(consumer.id);
      if (!this.#ctx.closed && !to.closed) this.#ctx.enqueue(() => this.#syncPipe(producerId, to));
    });
    await this.#syncPipe(producerId, to);
    return {
      consumerId: consumer.id,
      producerId,
      peerId: owner.id,
      kind: consumer.kind,
      source,
      view,
      rtpParameters: consumer.rtpParameters,
      paused: consumer.paused,
      // The owner's producer, not the pipe (a pipe pauses while nobody on its far side watches).
      producerPaused: owner.producers.get(producerId)?.producer.paused ?? consumer.producerPaused,
    };
  }

  /** Pipes a producer into another router of the room, once; false if that failed. */
  async #ensurePipe(producerId: string, from: RouterEntry, to: RouterEntry): Promise<boolean> {
    let pipe = to.pipes.get(producerId);
    if (pipe === undefined) {
      pipe = from.router.pipeToRouter({ producerId, router: to.router }).then(
        ({ pipeConsumer, pipeProducer }) => {
          if (pipeConsumer === undefined || pipeProducer === undefined) return null;
          pipeProducer.observer.once('close', () => {
            if (to.pipes.get(producerId) === pipe) to.pipes.delete(producerId);
          });
          return { pipeConsumer, pipeProducer };
        },
        (err: unknown) => {
          this.#ctx.log.warn({ producerId, from: from.workerIndex, to: to.workerIndex, ...errorInfo(err) }, 'pipeToRouter failed');
          return null;
        },
      );
      to.pipes.set(producerId, pipe);
    }
    const result = await pipe;
    if (result === null && to.pipes.get(producerId) === pipe) to.pipes.delete(producerId);
    return result !== null;
  }

  /** A pipe carries media only while a consumer on its far side runs; with no consumer left it closes. */
  async #syncPipe(producerId: string, to: RouterEntry): Promise<void> {
    const pipe = to.pipes.get(producerId);
    if (pipe === undefined || to.closed) return;
    const piped = await pipe;
    if (piped === null || piped.pipeConsumer.closed) return;
    let consumers = 0;
    let running = 0;
    for (const peer of this.#ctx.peers()) {
      if (peer.routerEntry !== to) continue;
      const c = peer.consumerByProducer(producerId);
      if (c === null || c.consumer.closed) continue;
      consumers++;
      if (consumerShouldRun(c)) running++;
    }
    if (consumers === 0) {
      piped.pipeConsumer.close();
      if (to.pipes.get(producerId) === pipe) to.pipes.delete(producerId);
    } else if (running === 0 && !piped.pipeConsumer.paused) {
      await closedIsFine(piped.pipeConsumer, () => piped.pipeConsumer.pause());
    } else if (running > 0 && piped.pipeConsumer.paused) {
      await closedIsFine(piped.pipeConsumer, () => piped.pipeConsumer.resume());
    }
  }

  /** Makes the consumer's real pause state match policy and the client's wish. */
  async applyState(viewer: Peer, entry: ConsumerEntry): Promise<void> {
    const to = viewer.routerEntry;
    if (entry.consumer.closed || to === null) return;
    const run = consumerShouldRun(entry);
    const consumer = entry.consumer;
    await closedIsFine(consumer, async () => {
      if (run) await this.#syncPipe(entry.producerId, to);
      if (run && consumer.paused) await consumer.resume();
      else if (!run && !consumer.paused) await consumer.pause();
      if (!run) await this.#syncPipe(entry.producerId, to);
    });
  }
}

/** Runs a request on a mediasoup object; failing because it closed meanwhile is not an error. */
export async function closedIsFine(obj: { readonly closed: boolean }, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!obj.closed) throw err;
  }
}
