/**
 * The load scenarios, defined once for the k6 scripts and the Node harness: their defaults, the
 * targets they are judged by, how connections are split into rooms, and what each client does.
 * Pure data and pure functions (no Node or k6 APIs).
 */

/** Targets on a 2-core machine with everything on loopback (ARCHITECTURE.md "Numbers the design must hold"). */
export const TARGETS = {
  /** Connections held with no errors. */
  connections: 1000,
  /** Vote storm: ballot acknowledgement (vote.cast sent -> durable result received), p99. */
  ballotAckP99Ms: 50,
  /** Vote storm: final tally visible at every client (vote.close sent -> closed tally in the replica), p99. */
  tallyVisibleP99Ms: 200,
  /** Reconnect storm: every client dropped at once is fully resynced (all documents) within this time. */
  resyncAllMs: 5000,
  /** Hub memory per idle connection (RSS growth over the number of connections). */
  idleBytesPerConnection: 50 * 1024,
  /** Fan-out: our delivery latency p99 and CPU per delivered update at least this many times better than Hocuspocus. */
  fanoutAdvantage: 2,
} as const;

/** The scenarios, in the order `all` runs them. */
export const SCENARIOS = ['fill', 'vote', 'chat', 'reconnect', 'fanout'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** Room layouts every hub scenario runs in: rooms of 150, and one room holding every connection. */
export const LAYOUTS = ['rooms', 'single'] as const;
export type Layout = (typeof LAYOUTS)[number];

/** Defaults of every knob; the CLI (`--name value`) and k6 (`-e NAME=value`) override them. */
export const DEFAULTS = {
  /** Connections per run, organizers included. */
  connections: 1000,
  /** People per room in the `rooms` layout (one organizer, the rest voters). */
  roomSize: 150,
  /** New connections per second while filling: 1,000 participants arriving within 10 s (the reconnect storm is the all-at-once case). */
  connectRate: 100,
  /** Presence heartbeat of every client (y-protocols renews awareness every 15 s). */
  heartbeatMs: 15_000,
  /** Fill: how long every connection is held after the last one synced. */
  holdSeconds: 10,
  /** Chat burst: messages per second per room, how long, and the share of annotations among them. */
  chatRate: 50,
  chatSeconds: 10,
  annotationShare: 0.2,
  /** Characters per chat message or annotation (a typical short message). */
  messageChars: 120,
  /** Vote storm: every voter casts within this window after seeing the vote open. */
  voteWindowMs: 2000,
  /** Reconnect storm: how long clients stay connected before the drop, and the longest wait for a resync. */
  reconnectSettleSeconds: 3,
  reconnectTimeoutSeconds: 30,
  /** Fan-out: readers per run, updates per second of the single writer, run length, bytes of text per update. */
  fanoutReaders: [100, 1000] as readonly number[],
  fanoutRate: 20,
  fanoutSeconds: 12,
  fanoutChars: 100,
  /** Fan-out: seconds at the start of the stream left out of the statistics (JIT warm-up). */
  fanoutWarmupSeconds: 2,
} as const;

/** Room sizes for `connections` split into rooms of `roomSize` (the last room takes the remainder). */
export function planRooms(connections: number, roomSize: number): number[] {
  const sizes: number[] = [];
  for (let left = connections; left > 0; left -= roomSize) sizes.push(Math.min(roomSize, left));
  return sizes;
}

/** Room sizes of a layout. */
export function roomsOf(layout: Layout, connections: number, roomSize: number): number[] {
  return layout === 'single' ? [connections] : planRooms(connections, roomSize);
}

/** The user id of participant `i` (1-based; 0 is the organizer) of room `room` in run `tag`. Ids are unique across meetings. */
export function participantId(tag: string, room: number, i: number): string {
  return `lt-${tag}-r${room}-p${i}`;
}

/** The register row of voter `i` in a load-test meeting. */
export function registerRowId(i: number): string {
  return `r${String(i).padStart(5, '0')}`;
}

/** The register of a load-test meeting: one claim per voter, of varied (not equal) weights. */
export function registerRows(voters: number): { id: string; name: string; votes: string }[] {
  return Array.from({ length: voters }, (_, k) => ({ id: registerRowId(k + 1), name: `Load test creditor ${k + 1}`, votes: `${1000 + ((k + 1) % 7) * 250}.00` }));
}

/** The same register as CSV (the hub's import format). */
export function registerCsv(voters: number): string {
  const lines = ['id,name,inn,votes,secured,email,phone', ...registerRows(voters).map((r) => `${r.id},${r.name},,${r.votes},no,,`)];
  return `${lines.join('\n')}\n`;
}

/** The invitation body for voter `i` of a room (shape of POST /api/meetings/:id/invitations). */
export function invitationBody(tag: string, room: number, i: number): { userId: string; name: string; role: 'voter'; rows: string[]; ttlHours: number } {
  return { userId: participantId(tag, room, i), name: `Creditor ${room}.${i}`, role: 'voter', rows: [registerRowId(i)], ttlHours: 24 };
}

/** The body of POST /api/meetings for room `room`. */
export function meetingBody(tag: string, room: number): { title: string; kind: 'creditors'; startsAt: string } {
  return { title: `Load test ${tag} room ${room}`, kind: 'creditors', startsAt: '2030-01-01T10:00:00+03:00' };
}

/** The question put to the vote in the storm: a closed yes/no vote, results after close, no minimum open time. */
export function stormQuestion(itemId: string): {
  itemId: string;
  question: { form: 'for-against-abstain'; rule: 'majority-present'; title: string };
  mode: 'closed';
  results: 'after-close';
  minOpenSeconds: number;
} {
  return {
    itemId,
    question: { form: 'for-against-abstain', rule: 'majority-present', title: 'Load test: approve the report' },
    mode: 'closed',
    results: 'after-close',
    minOpenSeconds: 0,
  };
}

/** A voter's choice in the storm: a fixed mix, so the tally is not trivial. */
export function stormChoice(voter: number): 'for' | 'against' | 'abstain' {
  const k = voter % 10;
  return k < 6 ? 'for' : k < 9 ? 'against' : 'abstain';
}

/** A fake document id annotations point at (annotation.add only checks that an agenda item lists it). */
export const ANNOTATED_DOC = 'f'.repeat(64);

/** The Y.Text the fan-out writer appends to, in the `drafts` document (shared/docs.ts Layout.draft). */
export const FANOUT_TEXT = 'draft:loadtest';

/** A session id for a load client (HelloSchema: 8..64 of [A-Za-z0-9_-]). */
export function sessionIdFor(userId: string, salt: number): string {
  return `${userId}-${salt.toString(36)}`.replace(/[^A-Za-z0-9_-]/g, '_').padEnd(8, '_').slice(0, 64);
}
