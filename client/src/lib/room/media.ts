/**
 * The plug-in point for video. The hub tells each session whether video is available
 * (`welcome.media`); when it is, MeetingApp starts a `RoomMedia` (RoomMedia.svelte.ts: the shared
 * mediasoup-client MediaSession, local camera, microphone and screen, the SFU's layout and active
 * speakers) once the participant is admitted and synced, and the room's tiles render its `streams`.
 * Without video the stage shows the hub's reason and no media buttons.
 */
import type { MediaSource } from '$shared/media/signalling.ts';
import type { Layout, Visibility } from './mediaPlan.ts';

/** A remote audio track to play (floor holders' microphones). */
export interface RemoteAudio {
  consumerId: string;
  peerId: string;
  stream: MediaStream;
}

/** What the room needs from a media session. */
export interface MediaPlane {
  /** Camera video by user id: what the SFU forwards to us now, plus one's own preview. */
  readonly streams: ReadonlyMap<string, MediaStream>;
  /** The screen share on the stage, if any (someone else's). */
  readonly screen: { peerId: string; stream: MediaStream } | null;
  /** Floor holders' microphones. */
  readonly audio: readonly RemoteAudio[];
  /** The SFU's layout for this viewer. */
  readonly layout: Layout | null;
  /** Active speakers by user id. */
  readonly speakers: ReadonlySet<string>;
  /** Whether the local microphone, camera and screen are being sent. */
  readonly micOn: boolean;
  readonly camOn: boolean;
  readonly screenOn: boolean;
  /** Turns a local source on or off; refusals become the plane's notice. */
  toggle(source: MediaSource): Promise<void>;
  /** What the room shows now, so consumers nobody sees are paused. */
  setVisible(v: Visibility): void;
  close(): void;
}

/** Streams of a room without video. */
export const NO_STREAMS: ReadonlyMap<string, MediaStream> = new Map();
