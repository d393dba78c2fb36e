/**
 * Media policy for large meetings, as pure functions: who may send what, who receives
 * what, on which simulcast layer, and where a new peer's media is hosted.
 *
 * 150 people cannot all send and receive video. Everyone joins muted; audio needs the
 * floor, which the chair grants (the hub tells the room who holds it) to at most
 * `maxSpeakers` people; video follows the last-N active speakers plus a pinned stage;
 * thumbnails get the lowest simulcast layer, the stage a higher one; video nobody
 * shows is paused; one screen share at a time; organizers can silence anyone.
 *
 * Room applies these decisions to mediasoup objects; nothing here touches them.
 */
import type { ConsumerView, MediaKind, MediaRole, MediaSource, PreferredLayers, SfuError } from '../shared/media/signalling.ts';

/** Tunables of the media policy; `DEFAULT_MEDIA_POLICY` documents the defaults. */
export interface MediaPolicyOptions {
  /** Most people who may hold the floor (send audio) at once. */
  maxSpeakers: number;
  /** How many recent speakers' cameras each viewer receives as thumbnails. */
  lastN: number;
  /** Layers forwarded for thumbnails: the lowest simulcast spatial layer. */
  thumbnailLayers: Required<PreferredLayers>;
  /** Layers forwarded for the stage (mediasoup falls back to the best layer below). */
  stageLayers: Required<PreferredLayers>;
  /** Layers forwarded for a screen share. */
  screenLayers: Required<PreferredLayers>;
  /** Paused video consumers a viewer keeps for quick re-display; older ones are closed. */
  maxIdleVideoConsumers: number;
}

export const DEFAULT_MEDIA_POLICY: MediaPolicyOptions = {
  maxSpeakers: 3,
  lastN: 4,
  thumbnailLayers: { spatialLayer: 0, temporalLayer: 2 },
  stageLayers: { spatialLayer: 2, temporalLayer: 2 },
  screenLayers: { spatialLayer: 2, temporalLayer: 2 },
  maxIdleVideoConsumers: 4,
};

/** A policy decision: allowed, or a refusal the client can show. */
export type Decision = { ok: true } | { ok: false; error: SfuError };

const ALLOW: Decision = { ok: true };
function refuse(code: SfuError['code'], message: string): Decision {
  return { ok: false, error: { code, message } };
}

/** The kind each source must have. */
export const SOURCE_KIND: Readonly<Record<MediaSource, MediaKind>> = { mic: 'audio', cam: 'video', screen: 'video' };

export interface ProduceCheck {
  peerId: string;
  role: MediaRole;
  kind: MediaKind;
  source: MediaSource;
  holdsFloor: boolean;
  /** This peer already has a producer for this source. */
  alreadyProducing: boolean;
  /** The organizer muted this source of this peer (lifted by a new grant of the floor). */
  mutedByOrganizer: boolean;
  /** Who shares a screen now, if anyone. */
  screenSharer: string | null;
}

/** May this peer start producing this source? */
export function checkProduce(c: ProduceCheck): Decision {
  if (SOURCE_KIND[c.source] !== c.kind) {
    return refuse('kindMismatch', `source ${c.source} must be ${SOURCE_KIND[c.source]}, not ${c.kind}`);
  }
  if (c.alreadyProducing) return refuse('alreadyProducing', `already producing ${c.source}`);
  if (c.mutedByOrganizer) return refuse('mutedByOrganizer', `the organizer turned off your ${c.source}`);
  switch (c.source) {
    case 'mic':
      return c.holdsFloor ? ALLOW : refuse('noFloor', 'you need the floor to speak; ask the chair');
    case 'cam':
      return ALLOW;
    case 'screen':
      if (c.screenSharer !== null && c.screenSharer !== c.peerId) {
        return refuse('screenShareBusy', 'someone else is sharing a screen');
      }
      return c.holdsFloor || c.role === 'organizer'
        ? ALLOW
        : refuse('noFloor', 'you need the floor to share a screen');
    default:
      return assertNever(c.source);
  }
}

/** May this peer resume its own paused producer? */
export function checkResumeProducer(c: { source: MediaSource; holdsFloor: boolean; mutedByOrganizer: boolean }): Decision {
  if (c.mutedByOrganizer) return refuse('mutedByOrganizer', `the organizer turned off your ${c.source}`);
  if (c.source === 'mic' && !c.holdsFloor) return refuse('noFloor', 'you need the floor to speak; ask the chair');
  return ALLOW;
}

/** Validates a new set of floor holders; returns them without duplicates, in order. */
export function checkFloor(
  holders: readonly string[],
  maxSpeakers: number,
): { ok: true; holders: string[] } | { ok: false; error: SfuError } {
  const unique = [...new Set(holders)];
  if (unique.length > maxSpeakers) {
    return {
      ok: false,
      error: { code: 'tooManySpeakers', message: `at most ${maxSpeakers} people may hold the floor (asked for ${unique.length})` },
    };
  }
  return { ok: true, holders: unique };
}

/**
 * Who may silence whom: organizers only (anyone, themselves included). A participant
 * mutes itself with pauseProducer/closeProducer, which it can undo.
 */
export function checkMute(actor: { peerId: string; role: MediaRole }, targetPeerId: string): Decision {
  if (actor.role === 'organizer') return ALLOW;
  return refuse('forbidden', `only an organizer can mute ${actor.peerId === targetPeerId ? 'this way' : 'someone else'}`);
}

/** Server-side mute: a mic is paused (its slot and consumers stay), video is closed. */
export function muteAction(source: MediaSource): 'pause' | 'close' {
  return source === 'mic' ? 'pause' : 'close';
}

/**
 * The active speakers of a room from the volumes each of its routers reported:
 * loudest first, one entry per peer, at most `max`.
 */
export function topSpeakers(
  volumes: readonly { peerId: string; volume: number }[],
  max: number,
): { peerId: string; volume: number }[] {
  const loudest = new Map<string, number>();
  for (const v of volumes) loudest.set(v.peerId, Math.max(v.volume, loudest.get(v.peerId) ?? -Infinity));
  return [...loudest]
    .map(([peerId, volume]) => ({ peerId, volume }))
    .sort((a, b) => b.volume - a.volume || (a.peerId < b.peerId ? -1 : 1))
    .slice(0, Math.max(0, max));
}

/**
 * The speaker order after an audio-level report: who is loud now moves to the front
 * (loudest first); the rest keep their relative order. Drives last-N video.
 */
export function bumpSpeakerOrder(order: readonly string[], loudestFirst: readonly string[]): string[] {
  const front = [...new Set(loudestFirst)];
  const inFront = new Set(front);
  return [...front, ...order.filter((p) => !inFront.has(p))];
}

export interface LayoutInput {
  viewerId: string;
  /** Peers with a camera producer, in the order their cameras started. */
  camPeers: readonly string[];
  /** Most recent speaker first (see `bumpSpeakerOrder`). */
  speakerOrder: readonly string[];
  floorHolders: readonly string[];
  /** Pinned by the organizer; shown only while it has a camera. */
  pinned: string | null;
  screenSharer: string | null;
  lastN: number;
}

/** What one viewer sees: the stage, last-N thumbnails (never the viewer itself), the screen. */
export interface VideoLayout {
  stage: string | null;
  thumbnails: string[];
  screen: string | null;
}

/**
 * The video layout for one viewer. Thumbnails are the most recent speakers with a
 * camera, then floor holders, then the earliest cameras, so the grid is never empty
 * while cameras are on.
 */
export function computeVideoLayout(i: LayoutInput): VideoLayout {
  const hasCam = new Set(i.camPeers);
  const stage = i.pinned !== null && hasCam.has(i.pinned) ? i.pinned : null;
  const candidates = [...new Set([...i.speakerOrder, ...i.floorHolders, ...i.camPeers])];
  const thumbnails = candidates
    .filter((p) => hasCam.has(p) && p !== stage && p !== i.viewerId)
    .slice(0, Math.max(0, i.lastN));
  return { stage, thumbnails, screen: i.screenSharer };
}

/** A producer as the consumer plan sees it. */
export interface ProducerRef {
  producerId: string;
  peerId: string;
  source: MediaSource;
}

/**
 * Which producers a viewer should consume and how: audio only from floor holders,
 * camera video for the stage and thumbnails of its layout, every screen share but its own.
 */
export function planConsumers(i: {
  viewerId: string;
  producers: readonly ProducerRef[];
  floorHolders: ReadonlySet<string>;
  layout: VideoLayout;
}): Map<string, ConsumerView> {
  const plan = new Map<string, ConsumerView>();
  const thumbs = new Set(i.layout.thumbnails);
  for (const p of i.producers) {
    if (p.peerId === i.viewerId) continue;
    switch (p.source) {
      case 'mic':
        if (i.floorHolders.has(p.peerId)) plan.set(p.producerId, 'audio');
        break;
      case 'cam':
        if (p.peerId === i.layout.stage) plan.set(p.producerId, 'stage');
        else if (thumbs.has(p.peerId)) plan.set(p.producerId, 'thumbnail');
        break;
      case 'screen':
        plan.set(p.producerId, 'screen');
        break;
      default:
        assertNever(p.source);
    }
  }
  return plan;
}

/** Layers the SFU forwards for a view (none for audio). */
export function layersForView(view: ConsumerView, o: MediaPolicyOptions): Required<PreferredLayers> | null {
  switch (view) {
    case 'audio':
      return null;
    case 'thumbnail':
      return o.thumbnailLayers;
    case 'stage':
      return o.stageLayers;
    case 'screen':
      return o.screenLayers;
    default:
      return assertNever(view);
  }
}

/** A client may ask for fewer layers than its view allows (a small window), never more. */
export function clampPreferredLayers(
  requested: PreferredLayers,
  view: ConsumerView,
  o: MediaPolicyOptions,
): Required<PreferredLayers> | null {
  const max = layersForView(view, o);
  if (max === null) return null;
  return {
    spatialLayer: Math.min(requested.spatialLayer, max.spatialLayer),
    temporalLayer: Math.min(requested.temporalLayer ?? max.temporalLayer, max.temporalLayer),
  };
}

/** A consumer forwards media only if its view is visible and the client shows it. */
export function consumerShouldRun(c: { visible: boolean; clientPaused: boolean }): boolean {
  return c.visible && !c.clientPaused;
}

/** Of the paused, invisible video consumers, which to close: all but the `keep` most recently visible. */
export function idleConsumersToClose(idle: readonly { consumerId: string; hiddenAt: number }[], keep: number): string[] {
  return [...idle]
    .sort((a, b) => b.hiddenAt - a.hiddenAt || (a.consumerId < b.consumerId ? -1 : 1))
    .slice(Math.max(0, keep))
    .map((c) => c.consumerId);
}

/** One worker a new peer could be placed on. */
export interface PlacementCandidate {
  workerIndex: number;
  /** Peers + producers + consumers hosted on this worker, across all rooms. */
  load: number;
  /** This room already has a router on this worker (no new pipes needed). */
  roomHasRouter: boolean;
}

/**
 * Picks the worker for a new peer: least load, where a worker without this room's
 * router costs `newRouterPenalty` extra (a new router means piping media across),
 * so small rooms stay on one router and large ones spread. Ties: the lower index.
 */
export function choosePlacement(candidates: readonly PlacementCandidate[], newRouterPenalty: number): number | null {
  let best: { index: number; cost: number } | null = null;
  for (const c of candidates) {
    const cost = c.load + (c.roomHasRouter ? 0 : newRouterPenalty);
    if (best === null || cost < best.cost || (cost === best.cost && c.workerIndex < best.index)) {
      best = { index: c.workerIndex, cost };
    }
  }
  return best === null ? null : best.index;
}

/** Exhaustiveness check for switches over unions. */
export function assertNever(x: never): never {
  throw new Error(`unexpected value ${String(x)}`);
}
