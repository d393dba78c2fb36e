/**
 * One participant's media in a room: its two WebRtcTransports (send, recv), its
 * producers (mic, cam, screen: at most one each) and its consumers, plus the policy
 * state that belongs to it (organizer mutes, the device's RTP capabilities).
 *
 * A Peer holds state and closes its own mediasoup objects; the Room decides what to
 * create (policy) and reacts to closes, so the rules live in one place.
 */
import type { types as ms } from 'mediasoup';
import type {
  ConsumerView,
  MediaRole,
  MediaSource,
  RtpCapabilities,
  TransportInfo,
} from '../shared/media/signalling.ts';
import type { RouterEntry } from './Room.ts';

/** Listening addresses and limits of the WebRtcTransports; `DEFAULT_TRANSPORT_OPTIONS` documents the defaults. */
export interface TransportOptions {
  /** Local address the transports bind to. */
  listenIp: string;
  /** Public address put in ICE candidates when the hub is behind NAT (else listenIp). */
  announcedIp: string | undefined;
  enableUdp: boolean;
  enableTcp: boolean;
  preferUdp: boolean;
  /** Starting estimate of the downlink, bits per second. */
  initialAvailableOutgoingBitrate: number;
  /** Cap on what one peer may send, bits per second (simulcast with three layers fits). */
  maxIncomingBitrate: number;
}

export const DEFAULT_TRANSPORT_OPTIONS: TransportOptions = {
  listenIp: '127.0.0.1',
  announcedIp: undefined,
  enableUdp: true,
  enableTcp: true,
  preferUdp: true,
  initialAvailableOutgoingBitrate: 1_000_000,
  maxIncomingBitrate: 3_000_000,
};

export type TransportDirection = 'send' | 'recv';

/** A producer and what policy needs to know about it. */
export interface ProducerEntry {
  producer: ms.Producer;
  source: MediaSource;
}

/** A consumer and the two reasons it may be paused: the client hides it, or policy does. */
export interface ConsumerEntry {
  consumer: ms.Consumer;
  /** The producer's id (the same on every router it is piped to). */
  producerId: string;
  /** Whose media this is. */
  producerPeerId: string;
  source: MediaSource;
  view: ConsumerView;
  /** The client has not resumed it yet, or paused it (tile not shown). Starts true. */
  clientPaused: boolean;
  /** Policy wants it shown (in this viewer's layout, or a floor holder's audio). */
  visible: boolean;
  /** Room tick when it last became invisible (for closing the oldest idle consumers). */
  hiddenAt: number;
}

/** Who a peer is, as the hub authenticated it. */
export interface PeerIdentity {
  peerId: string;
  role: MediaRole;
  displayName?: string;
}

/** One participant's media state in a Room. */
export class Peer {
  readonly id: string;
  readonly role: MediaRole;
  readonly displayName: string;
  /** The room's router this peer's transports live on; null until placed (or after its worker died). */
  routerEntry: RouterEntry | null = null;
  /** The device's capabilities, from the `consume` request. */
  rtpCapabilities: RtpCapabilities | null = null;
  readonly transports = new Map<string, { transport: ms.WebRtcTransport; direction: TransportDirection }>();
  readonly producers = new Map<string, ProducerEntry>();
  readonly consumers = new Map<string, ConsumerEntry>();
  /** Sources the organizer turned off; a new grant of the floor lifts them. */
  readonly mutedByOrganizer = new Set<MediaSource>();
  /** The last `mediaLayout` sent, to send only changes. */
  lastLayoutKey = '';
  #closed = false;

  constructor(identity: PeerIdentity) {
    this.id = identity.peerId;
    this.role = identity.role;
    this.displayName = identity.displayName ?? identity.peerId;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The transport of one direction, if any. */
  transport(direction: TransportDirection): ms.WebRtcTransport | null {
    for (const t of this.transports.values()) if (t.direction === direction) return t.transport;
    return null;
  }

  producerBySource(source: MediaSource): ProducerEntry | null {
    for (const p of this.producers.values()) if (p.source === source) return p;
    return null;
  }

  consumerByProducer(producerId: string): ConsumerEntry | null {
    for (const c of this.consumers.values()) if (c.producerId === producerId) return c;
    return null;
  }

  /** Producers + consumers + 1 for the peer itself: its weight in worker placement. */
  get load(): number {
    return 1 + this.producers.size + this.consumers.size;
  }

  /**
   * Creates a WebRtcTransport of one direction on this peer's router; an existing one
   * of that direction is closed first (a client that lost ICE starts over).
   */
  async createTransport(direction: TransportDirection, options: TransportOptions): Promise<ms.WebRtcTransport> {
    const entry = this.routerEntry;
    if (entry === null) throw new Error(`peer ${this.id} is not placed on a router`);
    this.transport(direction)?.close();
    const listenIp: ms.TransportListenIp =
      options.announcedIp === undefined ? { ip: options.listenIp } : { ip: options.listenIp, announcedIp: options.announcedIp };
    const transport = await entry.router.createWebRtcTransport({
      listenIps: [listenIp],
      enableUdp: options.enableUdp,
      enableTcp: options.enableTcp,
      preferUdp: options.preferUdp,
      initialAvailableOutgoingBitrate: options.initialAvailableOutgoingBitrate,
      appData: { peerId: this.id, direction },
    });
    if (direction === 'send') await transport.setMaxIncomingBitrate(options.maxIncomingBitrate);
    this.transports.set(transport.id, { transport, direction });
    transport.observer.once('close', () => {
      this.transports.delete(transport.id);
    });
    return transport;
  }

  /** What the client needs to build its side of a transport. */
  static transportInfo(transport: ms.WebRtcTransport, direction: TransportDirection): TransportInfo {
    return {
      transportId: transport.id,
      direction,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  /** Closes every transport (and with them every producer and consumer); the peer stays. */
  closeMedia(): void {
    for (const { transport } of [...this.transports.values()]) transport.close();
    // The Room's close handlers empty these maps; clearing covers objects a dead worker took.
    this.transports.clear();
    this.producers.clear();
    this.consumers.clear();
  }

  /** Idempotent: closes all media; the Room removes the peer. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.closeMedia();
    this.routerEntry = null;
  }
}
