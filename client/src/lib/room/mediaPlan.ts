/**
 * The pure decisions behind the room's video: which received consumers to pause because no tile on
 * screen shows them, which video each tile gets from the SFU's layout, and which message explains a
 * refusal or a device error. RoomMedia applies them; the unit tests check them without a browser.
 */
import type { ConsumerView, MediaSource } from '$shared/media/signalling.ts';
import type { MessageKey } from '../i18n/ru.ts';

/** A consumer as the plan sees it. */
export interface ConsumerRef {
  consumerId: string;
  peerId: string;
  kind: 'audio' | 'video';
  source: MediaSource;
}

/** What is on screen now: the users whose tiles are shown (stage and current grid page), and whether the stage (with a screen share) is. */
export interface Visibility {
  users: ReadonlySet<string>;
  screen: boolean;
}

/** The SFU's layout for this viewer (`mediaLayout`). */
export interface Layout {
  stage: string | null;
  thumbnails: readonly string[];
  screen: string | null;
}

export const EMPTY_LAYOUT: Layout = { stage: null, thumbnails: [], screen: null };

/**
 * Consumers to pause (shown nowhere) and to resume (shown again), given which ones this client has
 * paused. Audio always plays: it is not tied to a tile.
 */
export function pausePlan(consumers: readonly ConsumerRef[], clientPaused: ReadonlySet<string>, visible: Visibility): { pause: string[]; resume: string[] } {
  const pause: string[] = [];
  const resume: string[] = [];
  for (const c of consumers) {
    if (c.kind !== 'video') continue;
    const shown = c.source === 'screen' ? visible.screen : visible.users.has(c.peerId);
    const paused = clientPaused.has(c.consumerId);
    if (!shown && !paused) pause.push(c.consumerId);
    else if (shown && paused) resume.push(c.consumerId);
  }
  return { pause, resume };
}

/**
 * Whether a received video belongs on screen: a camera while its owner is on the SFU's stage or in
 * its thumbnails (the SFU keeps a few hidden consumers paused for a quick return; they show nothing),
 * a screen share while it is the room's. Before the first layout arrives everything counts.
 */
export function inLayout(c: Pick<ConsumerRef, 'peerId' | 'source'> & { view?: ConsumerView }, layout: Layout | null): boolean {
  if (layout === null) return true;
  if (c.source === 'screen') return layout.screen === c.peerId;
  return layout.stage === c.peerId || layout.thumbnails.includes(c.peerId);
}

/** The message for a refusal of the hub (`produce` and friends) for one source. */
export function refusalKey(source: MediaSource, code: string): MessageKey | null {
  switch (code) {
    case 'noFloor':
      return source === 'screen' ? 'media.error.noFloor.screen' : 'media.error.noFloor.mic';
    case 'screenShareBusy':
      return 'media.error.screenShareBusy';
    case 'mutedByOrganizer':
      return `media.error.muted.${source}`;
    case 'mediaUnavailable':
      return 'media.error.unavailable';
    default:
      return null;
  }
}

/**
 * The message for a failed getUserMedia/getDisplayMedia, or null when there is nothing to say (the
 * person closed the screen picker). Unknown errors get `media.error.other` (with their message).
 */
export function deviceErrorKey(source: MediaSource, err: unknown): MessageKey | null {
  const name = typeof err === 'object' && err !== null && 'name' in err ? String((err as { name: unknown }).name) : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return source === 'screen' ? null : `media.error.denied.${source}`;
    case 'NotFoundError':
    case 'OverconstrainedError':
      return `media.error.missing.${source}`;
    case 'NotReadableError':
    case 'AbortError':
      return `media.error.busy.${source}`;
    default:
      return 'media.error.other';
  }
}

/**
 * The order of the thumbnails: people whose video the SFU sends (in its last-N order, most recent
 * speaker first) and oneself with a camera on come first, so the first page shows video; then raised
 * hands, oneself, and the rest by name.
 */
export function gridRank(tile: { userId: string; self: boolean; hasVideo: boolean }, layout: Layout | null): number {
  if (tile.self && tile.hasVideo) return -1;
  const i = layout ? layout.thumbnails.indexOf(tile.userId) : -1;
  if (i >= 0) return i;
  return tile.hasVideo ? (layout?.thumbnails.length ?? 0) : Number.MAX_SAFE_INTEGER;
}
