/**
 * The plug-in point for video. The hub tells each session whether video is available
 * (`welcome.media`); when it is, a MediaSession (mediasoup-client Device, send and receive
 * transports, producers and consumers over the `media` server events of shared/media/signalling.ts)
 * fills `streams` by user id, and Stage/VideoGrid render them in their tiles. Nothing is wired yet:
 * the interface shows participants' tiles and the reason video is off.
 */

/** What the room needs from a media session. */
export interface MediaSession {
  /** Live streams by user id (video and audio of the participants the SFU forwards to us). */
  readonly streams: ReadonlyMap<string, MediaStream>;
  /** Whether the local microphone is unmuted (only with the floor). */
  readonly micOn: boolean;
  close(): void;
}

/** Streams of a room without video. */
export const NO_STREAMS: ReadonlyMap<string, MediaStream> = new Map();
