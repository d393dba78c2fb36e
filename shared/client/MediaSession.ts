/**
 * Browser media on top of HubClient: a mediasoup-client Device, one send and one receive transport,
 * producers for the microphone, camera and screen, and the consumers the hub's media policy gives
 * this participant (everyone joins muted; audio needs the floor; video follows the stage and last-N).
 * Used by the web client and by the browser tests. Browser-only: it needs WebRTC.
 */
import { Device } from 'mediasoup-client';
import type { Consumer, Producer, Transport } from 'mediasoup-client/types';
import type { HubClient } from './HubClient.ts';
import type { ConsumerInfo, MediaSource, SfuServerEvent, TransportInfo } from '../media/signalling.ts';

/** A remote track this participant receives. */
export interface RemoteMedia {
  consumerId: string;
  peerId: string;
  source: MediaSource;
  kind: 'audio' | 'video';
  view: ConsumerInfo['view'];
  track: MediaStreamTrack;
  consumer: Consumer;
}

type Outcome<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

/** One participant's media session. */
export class MediaSession {
  private readonly device = new Device();
  private send: Transport | null = null;
  private recv: Transport | null = null;
  readonly remote = new Map<string, RemoteMedia>();
  readonly producers = new Map<MediaSource, Producer>();
  /** Called whenever the set of remote media or their views change. */
  onChange: () => void = () => {};
  /** Called for every SFU event (active speakers, layout, closed producers). */
  onEvent: (e: SfuServerEvent) => void = () => {};
  private readonly off: () => void;

  constructor(private readonly client: HubClient) {
    this.off = client.on('event', (e) => {
      if (e.type === 'media') void this.handle(e.event as SfuServerEvent);
    });
  }

  private async request<T>(req: { type: string } & Record<string, unknown>): Promise<Outcome<T>> {
    return (await this.client.media(req)) as Outcome<T>;
  }

  private async must<T>(req: { type: string } & Record<string, unknown>): Promise<T> {
    const r = await this.request<T>(req);
    if (!r.ok) throw new Error(`${req.type}: ${r.error.code}: ${r.error.message}`);
    return r.data;
  }

  /** Loads the device, creates the receive transport and asks for the consumers policy allows. */
  async join(): Promise<void> {
    const { rtpCapabilities } = await this.must<{ rtpCapabilities: Parameters<Device['load']>[0]['routerRtpCapabilities'] }>({ type: 'getRouterRtpCapabilities' });
    if (!this.device.loaded) await this.device.load({ routerRtpCapabilities: rtpCapabilities });
    this.recv = this.device.createRecvTransport(this.transportOptions(await this.must<TransportInfo>({ type: 'createTransport', direction: 'recv' })));
    this.wireConnect(this.recv);
    const { consumers } = await this.must<{ consumers: ConsumerInfo[] }>({ type: 'consume', rtpCapabilities: this.device.rtpCapabilities });
    for (const c of consumers) await this.addConsumer(c);
  }

  private transportOptions(t: TransportInfo) {
    return { id: t.transportId, iceParameters: t.iceParameters, iceCandidates: t.iceCandidates, dtlsParameters: t.dtlsParameters } as Parameters<Device['createRecvTransport']>[0];
  }

  private wireConnect(t: Transport): void {
    t.on('connect', ({ dtlsParameters }, done, fail) => {
      void this.request({ type: 'connectTransport', transportId: t.id, dtlsParameters }).then((r) => (r.ok ? done() : fail(new Error(r.error.message))));
    });
  }

  /** Sends a track (mic, cam or screen). Resolves with the hub's refusal when policy says no (e.g. no floor). */
  async produce(source: MediaSource, track: MediaStreamTrack): Promise<Outcome<{ producerId: string }>> {
    if (!this.send) {
      this.send = this.device.createSendTransport(this.transportOptions(await this.must<TransportInfo>({ type: 'createTransport', direction: 'send' })));
      this.wireConnect(this.send);
      this.send.on('produce', ({ kind, rtpParameters, appData }, done, fail) => {
        void this.request<{ producerId: string }>({ type: 'produce', transportId: this.send!.id, kind, rtpParameters, appData: { source: appData['source'] } }).then((r) =>
          r.ok ? done({ id: r.data.producerId }) : fail(Object.assign(new Error(r.error.message), { code: r.error.code })),
        );
      });
    }
    try {
      const encodings = source === 'cam' ? [{ scaleResolutionDownBy: 4, maxBitrate: 100_000 }, { scaleResolutionDownBy: 2, maxBitrate: 300_000 }, { maxBitrate: 900_000 }] : undefined;
      const producer = await this.send.produce({ track, appData: { source }, ...(encodings ? { encodings } : {}) });
      this.producers.set(source, producer);
      return { ok: true, data: { producerId: producer.id } };
    } catch (err) {
      const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : 'refused';
      return { ok: false, error: { code, message: err instanceof Error ? err.message : String(err) } };
    }
  }

  /** Stops sending a source (turning a camera or microphone off): closes the producer here and on the hub, stops its track. */
  async closeProducer(source: MediaSource): Promise<void> {
    const producer = this.producers.get(source);
    if (!producer) return;
    this.producers.delete(source);
    producer.close();
    // The hub may have closed it already (floor revoked, organizer mute): producerNotFound is fine.
    await this.request({ type: 'closeProducer', producerId: producer.id });
  }

  private async addConsumer(c: ConsumerInfo): Promise<void> {
    if (!this.recv || this.remote.has(c.consumerId)) return;
    const consumer = await this.recv.consume({ id: c.consumerId, producerId: c.producerId, kind: c.kind, rtpParameters: c.rtpParameters as never });
    this.remote.set(c.consumerId, { consumerId: c.consumerId, peerId: c.peerId, source: c.source, kind: c.kind, view: c.view, track: consumer.track, consumer });
    await this.request({ type: 'resumeConsumer', consumerId: c.consumerId });
    this.onChange();
  }

  private async handle(e: SfuServerEvent): Promise<void> {
    this.onEvent(e);
    switch (e.type) {
      case 'newConsumer':
        await this.addConsumer(e.consumer);
        return;
      case 'consumerClosed': {
        const r = this.remote.get(e.consumerId);
        r?.consumer.close();
        this.remote.delete(e.consumerId);
        this.onChange();
        return;
      }
      case 'consumerViewChanged': {
        const r = this.remote.get(e.consumerId);
        if (r) r.view = e.view;
        this.onChange();
        return;
      }
      case 'producerClosed':
        for (const [source, p] of this.producers) {
          if (p.id === e.producerId) {
            p.close();
            this.producers.delete(source);
          }
        }
        this.onChange();
        return;
      case 'reconnectMedia':
        this.close();
        await this.join();
        return;
      default:
        return;
    }
  }

  /** Inbound RTP totals per consumer (bytes, decoded frames), for the tests and the connection panel. */
  async inboundStats(): Promise<{ consumerId: string; kind: string; bytesReceived: number; framesDecoded: number }[]> {
    const out: { consumerId: string; kind: string; bytesReceived: number; framesDecoded: number }[] = [];
    for (const r of this.remote.values()) {
      const report = await r.consumer.getStats();
      report.forEach((s: { type: string; bytesReceived?: number; framesDecoded?: number }) => {
        if (s.type === 'inbound-rtp') out.push({ consumerId: r.consumerId, kind: r.kind, bytesReceived: s.bytesReceived ?? 0, framesDecoded: s.framesDecoded ?? 0 });
      });
    }
    return out;
  }

  /** Closes every transport. */
  close(): void {
    for (const p of this.producers.values()) p.close();
    this.producers.clear();
    for (const r of this.remote.values()) r.consumer.close();
    this.remote.clear();
    this.send?.close();
    this.recv?.close();
    this.send = null;
    this.recv = null;
  }

  /** Stops listening to the hub. */
  destroy(): void {
    this.close();
    this.off();
  }
}
