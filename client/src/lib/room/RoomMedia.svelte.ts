/**
 * Video and sound of the meeting room for one participant: the shared mediasoup-client
 * MediaSession (shared/client) joined over the meeting's HubClient, turned into reactive state the
 * room renders — camera streams by user id for the tiles, the screen share for the stage, floor
 * holders' microphones for hidden <audio> elements, the SFU's layout and active speakers — plus the
 * participant's own microphone, camera and screen, and a readable notice when the hub refuses one
 * or takes it away (floor revoked, organizer mute).
 *
 * Everyone joins muted. One instance lives per connection: MeetingApp makes a new one after every
 * reconnect (the hub dropped the old session's media with it) and destroys it when the participant
 * leaves the room.
 */
import { MediaSession, type RemoteMedia } from '$shared/client/MediaSession.ts';
import type { HubClient } from '$shared/client/HubClient.ts';
import type { MediaSource, SfuServerEvent } from '$shared/media/signalling.ts';
import type { MessageKey, Params } from '../i18n/index.svelte.ts';
import type { MediaPlane, RemoteAudio } from './media.ts';
import { deviceErrorKey, inLayout, pausePlan, refusalKey, type Layout, type Visibility } from './mediaPlan.ts';

/** A message about one's own media, shown beside the controls until dismissed or superseded. */
export interface MediaNotice {
  id: number;
  key: MessageKey;
  params?: Params;
  tone: 'info' | 'warn';
}

type Outcome<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

const SOURCES: readonly MediaSource[] = ['mic', 'cam', 'screen'];

function errorName(err: unknown): string {
  return typeof err === 'object' && err !== null && 'name' in err ? String((err as { name: unknown }).name) : '';
}
function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One participant's media in the room. */
export class RoomMedia implements MediaPlane {
  status = $state<'joining' | 'ready' | 'failed'>('joining');
  /** Why joining failed. */
  failure = $state('');
  streams = $state.raw<ReadonlyMap<string, MediaStream>>(new Map());
  screen = $state.raw<{ peerId: string; stream: MediaStream } | null>(null);
  audio = $state.raw<readonly RemoteAudio[]>([]);
  layout = $state.raw<Layout | null>(null);
  speakers = $state.raw<ReadonlySet<string>>(new Set());
  micOn = $state(false);
  camOn = $state(false);
  screenOn = $state(false);
  /** Sources being turned on or off right now. */
  busy = $state.raw<ReadonlySet<MediaSource>>(new Set());
  notice = $state.raw<MediaNotice | null>(null);
  /** The browser refused to play received sound without a gesture: the room offers a button. */
  audioBlocked = $state(false);
  /** Who we receive which media from (the organizer's mute buttons). */
  sending = $state.raw<ReadonlyMap<string, ReadonlySet<MediaSource>>>(new Map());

  private readonly session: MediaSession;
  /** One's own camera, shown in one's tile. */
  private localCam: MediaStream | null = null;
  /** Consumers this client paused because no tile shows them. */
  private readonly clientPaused = new Set<string>();
  /** One MediaStream per consumer, so a tile's <video> keeps its srcObject across updates. */
  private readonly streamCache = new Map<string, MediaStream>();
  private visible: Visibility | null = null;
  /** Turning sources on and off one at a time (one send transport, no crossed produce calls). */
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private noticeSeq = 0;

  constructor(
    private readonly client: HubClient,
    private readonly selfId: string,
  ) {
    this.session = new MediaSession(client);
    this.session.onChange = () => this.refresh();
    this.session.onEvent = (e) => this.onEvent(e);
  }

  /** Joins the SFU room: device, receive transport and the consumers the policy allows now. */
  async start(): Promise<void> {
    this.status = 'joining';
    try {
      await this.session.join();
      if (this.closed) return;
      this.status = 'ready';
      this.refresh();
    } catch (err) {
      if (this.closed) return;
      this.session.close();
      this.failure = errorMessage(err);
      this.status = 'failed';
    }
  }

  isOn(source: MediaSource): boolean {
    return source === 'mic' ? this.micOn : source === 'cam' ? this.camOn : this.screenOn;
  }

  /** Turns one's microphone, camera or screen share on or off (the opposite of what it is now). */
  toggle(source: MediaSource): Promise<void> {
    return this.set(source, !this.isOn(source));
  }

  /** Turns a source on or off, after whatever turning on or off is under way. */
  set(source: MediaSource, on: boolean): Promise<void> {
    const run = () => (on ? this.turnOn(source) : this.turnOff(source));
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => {});
    return next;
  }

  private setBusy(source: MediaSource, on: boolean): void {
    const next = new Set(this.busy);
    if (on) next.add(source);
    else next.delete(source);
    this.busy = next;
  }

  private async turnOn(source: MediaSource): Promise<void> {
    if (this.closed || this.status !== 'ready' || this.isOn(source)) return;
    this.setBusy(source, true);
    try {
      let track: MediaStreamTrack;
      try {
        track = await this.capture(source);
      } catch (err) {
        if (source === 'screen' && errorName(err) === 'NotAllowedError') return; // the picker was closed
        const key = navigator.mediaDevices ? deviceErrorKey(source, err) : 'media.error.insecure';
        if (key) this.say(key, 'warn', { message: errorMessage(err) });
        return;
      }
      let r: Outcome<{ producerId: string }>;
      try {
        r = this.closed ? { ok: false, error: { code: 'closed', message: 'closed' } } : await this.session.produce(source, track);
      } catch (err) {
        r = { ok: false, error: { code: 'failed', message: errorMessage(err) } };
      }
      if (!r.ok) {
        track.stop();
        if (this.closed) return;
        const key = refusalKey(source, r.error.code);
        this.say(key ?? 'media.error.other', 'warn', { message: r.error.message });
        return;
      }
      // The browser's own "stop sharing" (or an unplugged camera) ends the track.
      track.addEventListener('ended', () => {
        if (this.session.producers.get(source)?.track === track) void this.set(source, false);
      });
      this.setOn(source, true);
      if (source === 'cam') this.localCam = new MediaStream([track]);
      // A fresh success makes an old complaint about this source moot.
      if (this.notice?.tone === 'warn') this.notice = null;
    } finally {
      this.setBusy(source, false);
      this.refresh();
    }
  }

  private async turnOff(source: MediaSource): Promise<void> {
    if (!this.session.producers.has(source) && !this.isOn(source)) return;
    this.setBusy(source, true);
    this.markOff(source);
    try {
      await this.session.closeProducer(source);
    } finally {
      this.setBusy(source, false);
      this.refresh();
    }
  }

  private async capture(source: MediaSource): Promise<MediaStreamTrack> {
    const devices = navigator.mediaDevices;
    if (!devices) throw new TypeError('navigator.mediaDevices is unavailable (insecure origin)');
    if (source === 'screen') {
      const stream = await devices.getDisplayMedia({ video: { frameRate: { max: 15 } }, audio: false });
      const track = stream.getVideoTracks()[0];
      if (!track) throw new Error('no screen track');
      track.contentHint = 'detail';
      return track;
    }
    const stream = await devices.getUserMedia(
      source === 'mic'
        ? { audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true } }
        : { video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 24, max: 30 } } },
    );
    const track = source === 'mic' ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
    if (!track) throw Object.assign(new Error('no track'), { name: 'NotFoundError' });
    return track;
  }

  private setOn(source: MediaSource, on: boolean): void {
    if (source === 'mic') this.micOn = on;
    else if (source === 'cam') this.camOn = on;
    else this.screenOn = on;
  }

  /** The source is off (by us or by the hub); its producer is closed or about to be. */
  private markOff(source: MediaSource): void {
    this.setOn(source, false);
    if (source === 'cam') this.localCam = null;
  }

  /** The floor is gone (queue document) while the microphone is still on: turn it off and say why. */
  floorLost(): void {
    if (!this.micOn) return;
    this.say('media.notice.floorRevoked', 'info');
    void this.set('mic', false);
  }

  /** Organizers: silence someone server-side (mic paused, camera or screen closed). */
  async mutePeer(peerId: string, source: MediaSource): Promise<Outcome<{ producerIds: string[] }>> {
    return (await this.client.media({ type: 'mutePeer', peerId, source })) as Outcome<{ producerIds: string[] }>;
  }

  say(key: MessageKey, tone: MediaNotice['tone'], params?: Params): void {
    this.notice = { id: ++this.noticeSeq, key, tone, ...(params ? { params } : {}) };
  }

  dismissNotice(): void {
    this.notice = null;
  }

  private sourceOf(producerId: string): MediaSource | null {
    for (const [source, p] of this.session.producers) if (p.id === producerId) return source;
    return null;
  }

  private onEvent(e: SfuServerEvent): void {
    if (this.closed) return;
    switch (e.type) {
      case 'mediaLayout':
        this.layout = { stage: e.stage, thumbnails: e.thumbnails, screen: e.screen };
        this.refresh();
        return;
      case 'activeSpeakers':
        this.speakers = new Set(e.speakers.map((s) => s.peerId));
        return;
      case 'producerClosed': {
        // Called before MediaSession drops the producer, so its source is still known.
        const source = this.sourceOf(e.producerId);
        if (!source) return;
        this.markOff(source);
        if (e.reason === 'floorRevoked') {
          if (source === 'mic') this.say('media.notice.floorRevoked', 'info');
          else if (this.notice?.key !== 'media.notice.floorRevoked') this.say('media.notice.floorRevokedScreen', 'info');
        } else if (e.reason === 'organizerMute') {
          this.say(source === 'cam' ? 'media.notice.muteCam' : source === 'screen' ? 'media.notice.muteScreen' : 'media.notice.muteMic', 'warn');
        } else {
          this.say('media.notice.screenTaken', 'info');
        }
        return;
      }
      case 'producerPaused': {
        // The organizer muted our microphone: it stays paused on the hub until a new grant, so drop it.
        const source = this.sourceOf(e.producerId);
        if (!source) return;
        this.say('media.notice.muteMic', 'warn');
        void this.set(source, false);
        return;
      }
      case 'reconnectMedia':
        // MediaSession rebuilds its transports; what we sent is gone.
        for (const s of SOURCES) this.markOff(s);
        this.clientPaused.clear();
        this.say('media.notice.reconnected', 'info');
        return;
      default:
        return;
    }
  }

  private streamFor(r: RemoteMedia): MediaStream {
    const cached = this.streamCache.get(r.consumerId);
    if (cached && cached.getTracks()[0] === r.track) return cached;
    const s = new MediaStream([r.track]);
    this.streamCache.set(r.consumerId, s);
    return s;
  }

  /** Rebuilds what the room renders from the session's consumers. */
  private refresh(): void {
    if (this.closed) return;
    const streams = new Map<string, MediaStream>();
    const audio: RemoteAudio[] = [];
    const sending = new Map<string, Set<MediaSource>>();
    let screen: RoomMedia['screen'] = null;
    const live = new Set<string>();
    for (const r of this.session.remote.values()) {
      live.add(r.consumerId);
      const stream = this.streamFor(r);
      if (r.kind === 'audio') {
        audio.push({ consumerId: r.consumerId, peerId: r.peerId, stream });
      } else if (!inLayout(r, this.layout)) {
        continue;
      } else if (r.source === 'screen') {
        screen = { peerId: r.peerId, stream };
      } else {
        streams.set(r.peerId, stream);
      }
      const set = sending.get(r.peerId) ?? new Set<MediaSource>();
      set.add(r.source);
      sending.set(r.peerId, set);
    }
    for (const id of [...this.streamCache.keys()]) {
      if (!live.has(id)) {
        this.streamCache.delete(id);
        this.clientPaused.delete(id);
      }
    }
    if (this.localCam) streams.set(this.selfId, this.localCam);
    this.streams = streams;
    this.audio = audio;
    this.screen = screen;
    this.sending = sending;
    this.applyVisibility();
  }

  /** What the room shows now; video consumers of tiles off screen are paused on the SFU. */
  setVisible(v: Visibility): void {
    const prev = this.visible;
    if (prev && prev.screen === v.screen && prev.users.size === v.users.size && [...v.users].every((u) => prev.users.has(u))) return;
    this.visible = { users: new Set(v.users), screen: v.screen };
    this.applyVisibility();
  }

  private applyVisibility(): void {
    if (!this.visible || this.status !== 'ready' || this.closed) return;
    const { pause, resume } = pausePlan([...this.session.remote.values()], this.clientPaused, this.visible);
    for (const consumerId of pause) {
      this.clientPaused.add(consumerId);
      void this.client.media({ type: 'pauseConsumer', consumerId });
    }
    for (const consumerId of resume) {
      this.clientPaused.delete(consumerId);
      void this.client.media({ type: 'resumeConsumer', consumerId });
    }
  }

  /** Consumers this client keeps paused (for tests and diagnostics). */
  get pausedByClient(): ReadonlySet<string> {
    return this.clientPaused;
  }

  /** Joins again after a failure. */
  retry(): Promise<void> {
    this.session.close();
    return this.start();
  }

  /** Leaves the SFU room (if still connected), stops every local track and consumer. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.client.state === 'open') void this.client.media({ type: 'leave' });
    this.session.destroy();
    this.localCam = null;
    this.streamCache.clear();
  }
}
