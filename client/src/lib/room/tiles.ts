/**
 * Tiles of the stage and the video grid, derived from presence (awareness), the roster, the speaker
 * queue and, when video is on, the media session (see media.ts): a tile's `stream` is the camera the
 * SFU forwards (or one's own preview); without it the tile shows the participant's initials.
 */
import type { Floor, Hand, Participant, Presence } from '$shared/docs.ts';
import type { Role } from '$shared/protocol/messages.ts';
import { gridRank, type Layout } from './mediaPlan.ts';

/** One participant's tile. */
export interface Tile {
  userId: string;
  name: string;
  role: Role | null;
  online: boolean;
  speaking: boolean;
  hand: boolean;
  floor: boolean;
  self: boolean;
  /** Live video (and audio) of this participant, once the media plane delivers it. */
  stream: MediaStream | null;
  /** On the stage because the organizer pinned them. */
  pinned?: boolean;
  /** On the stage as the chair, because nobody has the floor. */
  chair?: boolean;
}

/** The stage (floor holders, else the chair) and the grid (everyone else online). */
export function buildTiles(input: {
  presence: readonly Presence[];
  people: readonly Participant[];
  floor: readonly Floor[];
  hands: readonly Hand[];
  /** Pinned on everyone's stage by the organizer. */
  pinned?: string | null;
  selfId: string;
  streams?: ReadonlyMap<string, MediaStream>;
  /** The SFU's active speakers (loudest first). */
  speakers?: ReadonlySet<string>;
  /** The SFU's layout for this viewer: its last-N thumbnails come first in the grid. */
  layout?: Layout | null;
}): { stage: Tile[]; grid: Tile[] } {
  const byId = new Map(input.people.map((p) => [p.userId, p]));
  const floorIds = new Set(input.floor.map((f) => f.userId));
  const handIds = new Set(input.hands.map((h) => h.userId));
  const tile = (userId: string, name: string, presence: Presence | undefined): Tile => {
    const p = byId.get(userId);
    return {
      userId,
      name: p?.name ?? name,
      role: p?.role ?? null,
      online: presence?.online ?? false,
      speaking: (presence?.speaking ?? false) || (input.speakers?.has(userId) ?? false),
      hand: handIds.has(userId) || (presence?.hand ?? false),
      floor: floorIds.has(userId),
      self: userId === input.selfId,
      stream: input.streams?.get(userId) ?? null,
    };
  };
  const presenceById = new Map(input.presence.filter((p) => p.online).map((p) => [p.userId, p]));

  const pinned = input.pinned ? byId.get(input.pinned) : undefined;
  let stage = [
    ...(pinned && pinned.status !== 'removed' ? [{ ...tile(pinned.userId, pinned.name, presenceById.get(pinned.userId)), pinned: true }] : []),
    ...input.floor.filter((f) => f.userId !== pinned?.userId).map((f) => tile(f.userId, f.name, presenceById.get(f.userId))),
  ];
  if (stage.length === 0) {
    const chair = input.people.find((p) => p.role === 'organizer' && presenceById.has(p.userId));
    if (chair) stage = [{ ...tile(chair.userId, chair.name, presenceById.get(chair.userId)), chair: true }];
  }
  const onStage = new Set(stage.map((s) => s.userId));
  const grid = [...presenceById.values()]
    .filter((p) => !onStage.has(p.userId) && byId.get(p.userId)?.status !== 'removed')
    .map((p) => tile(p.userId, p.name, p))
    .map((t) => ({ t, rank: gridRank({ userId: t.userId, self: t.self, hasVideo: t.stream !== null }, input.layout ?? null) }))
    .sort((a, b) => a.rank - b.rank || Number(b.t.hand) - Number(a.t.hand) || Number(b.t.self) - Number(a.t.self) || a.t.name.localeCompare(b.t.name))
    .map((x) => x.t);
  return { stage, grid };
}
