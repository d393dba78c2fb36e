/**
 * Test helpers: real mediasoup workers (no mocks) and a scripted client that speaks
 * the SFU signalling through the same parse + handler path as the hub.
 */
import { expect } from 'vitest';
import {
  sfuRequestSchema,
  type MediaRole,
  type MediaSource,
  type RtpCapabilities,
  type RtpParameters,
  type SfuRequestType,
  type SfuResponseMap,
  type SfuServerEvent,
} from '../../shared/media/signalling.ts';
import type { Room } from '../Room.ts';
import { handleSfuRequest, type SfuReply } from '../signalling.ts';
import { WorkerPool, type WorkerPoolOptions } from '../WorkerPool.ts';
import { loadMediasoupIfAvailable, workerBinaryOptionsFromEnv, type Mediasoup } from '../workerBinary.ts';

/**
 * Loads mediasoup with the built worker, or fails the test with the reason. Never
 * skips: CI builds the worker (`npm run setup`), so a missing one is a real failure.
 */
export async function requireMediasoup(): Promise<Mediasoup> {
  const result = await loadMediasoupIfAvailable(workerBinaryOptionsFromEnv(process.env));
  if (!result.ok) {
    throw new Error(
      `mediasoup worker binary missing, SFU tests cannot run: ${result.reason}. ` +
        'Build it with `npm run setup` or `bash sfu/build/build-worker.sh`.',
    );
  }
  return result.mediasoup;
}

/**
 * A pool for one test file: `portBase` keeps files (which run in parallel) on
 * disjoint port ranges.
 */
export async function createTestPool(portBase: number, options: Partial<WorkerPoolOptions> = {}): Promise<WorkerPool> {
  const mediasoup = await requireMediasoup();
  return WorkerPool.create(mediasoup, {
    numWorkers: 2,
    rtcMinPort: portBase,
    rtcMaxPort: portBase + 199,
    respawnDelayMs: 50,
    ...options,
  });
}

let ssrc = 10_000_000;

/** Opus parameters as a browser would send them (one SSRC, audio-level extension). */
export function audioRtpParameters(): RtpParameters {
  return {
    codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 } }],
    headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level', id: 10 }],
    encodings: [{ ssrc: ssrc++ }],
    rtcp: { cname: 'test' },
  };
}

/** VP8 with three simulcast encodings, as a browser camera would send. */
export function videoRtpParameters(simulcast = true): RtpParameters {
  const feedback = [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }, { type: 'goog-remb' }];
  const encodings = simulcast
    ? [{ ssrc: ssrc++, scaleResolutionDownBy: 4 }, { ssrc: ssrc++, scaleResolutionDownBy: 2 }, { ssrc: ssrc++ }]
    : [{ ssrc: ssrc++ }];
  return {
    codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000, rtcpFeedback: feedback }],
    encodings,
    rtcp: { cname: 'test' },
  };
}

/** A participant's client: sends requests through schema + handler, records server events. */
export class TestClient {
  readonly events: SfuServerEvent[] = [];
  sendTransportId: string | null = null;
  recvTransportId: string | null = null;
  rtpCapabilities: RtpCapabilities | null = null;
  readonly #unsubscribe: () => void;

  constructor(
    readonly room: Room,
    readonly peerId: string,
    readonly role: MediaRole = 'participant',
  ) {
    room.join({ peerId, role });
    this.#unsubscribe = room.onEvent((to, event) => {
      if (to === peerId) this.events.push(event);
    });
  }

  /** Parses like the hub does (unknown JSON in), then handles. */
  async request(raw: unknown): Promise<SfuReply> {
    const parsed = sfuRequestSchema.parse(JSON.parse(JSON.stringify(raw)));
    return handleSfuRequest({ room: this.room, peerId: this.peerId, role: this.role }, parsed);
  }

  /** Like `request`, but the result must be ok; returns its data. */
  async ok<T extends SfuRequestType>(raw: { type: T } & Record<string, unknown>): Promise<SfuResponseMap[T]> {
    const reply = await this.request(raw);
    if (!reply.result.ok) throw new Error(`${raw.type} failed: ${reply.result.error.code}: ${reply.result.error.message}`);
    expect(reply.type).toBe(raw.type);
    return reply.result.data as SfuResponseMap[T];
  }

  /** Capabilities, both transports, and (if `consume`) ready to receive. */
  async connect(options: { send?: boolean; recv?: boolean; consume?: boolean } = {}): Promise<void> {
    this.rtpCapabilities = (await this.ok({ type: 'getRouterRtpCapabilities' })).rtpCapabilities;
    if (options.send ?? true) this.sendTransportId = (await this.ok({ type: 'createTransport', direction: 'send' })).transportId;
    if (options.recv ?? true) this.recvTransportId = (await this.ok({ type: 'createTransport', direction: 'recv' })).transportId;
    if (options.consume ?? true) await this.consume();
  }

  async consume(): Promise<string[]> {
    const r = await this.ok({ type: 'consume', rtpCapabilities: this.rtpCapabilities });
    return r.consumers.map((c) => c.consumerId);
  }

  produceRequest(source: MediaSource, kind: 'audio' | 'video' = source === 'mic' ? 'audio' : 'video'): Record<string, unknown> & { type: 'produce' } {
    return {
      type: 'produce',
      transportId: this.sendTransportId,
      kind,
      rtpParameters: kind === 'audio' ? audioRtpParameters() : videoRtpParameters(source === 'cam'),
      appData: { source },
    };
  }

  async produce(source: MediaSource): Promise<string> {
    return (await this.ok(this.produceRequest(source))).producerId;
  }

  /** The events of one type this client received. */
  eventsOf<T extends SfuServerEvent['type']>(type: T): Extract<SfuServerEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<SfuServerEvent, { type: T }> => e.type === type);
  }

  close(): void {
    this.#unsubscribe();
  }
}

/** Polls until `check` passes (events arrive after the request that caused them). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Producer ids a router holds (its own and piped in), from the worker's dump. */
export async function routerProducerIds(router: { dump(): Promise<unknown> }): Promise<string[]> {
  const dump = await router.dump();
  if (typeof dump !== 'object' || dump === null || !('mapProducerIdConsumerIds' in dump)) return [];
  const map = dump.mapProducerIdConsumerIds;
  return typeof map === 'object' && map !== null ? Object.keys(map) : [];
}
