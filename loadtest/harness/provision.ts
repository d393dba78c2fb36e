/**
 * Creates the meetings and participants a benchmark needs through the hub's own HTTP API, as an
 * organizer would: log in with the demo organizer's invitation, create a meeting per room, import
 * a register, invite every voter and exchange each invitation for a session token. Then the
 * organizer connects, adds an agenda item (with a document to annotate) and admits everyone, so
 * scenarios start with a meeting in session. Admissions are durable, so a data directory
 * provisioned once serves every run.
 */
import {
  ANNOTATED_DOC,
  invitationBody,
  meetingBody,
  registerCsv,
} from '../scenarios/definitions.ts';
import { LoadClient } from './LoadClient.ts';

/** One participant with a session token. Member 0 is the organizer. */
export interface ProvisionedMember {
  member: number;
  userId: string;
  role: 'organizer' | 'voter';
  token: string;
}

/** One meeting (a room) ready for load. */
export interface ProvisionedRoom {
  room: number;
  meetingId: string;
  /** The agenda item votes are put under; it lists ANNOTATED_DOC. */
  itemId: string;
  members: ProvisionedMember[];
}

/** Participants per admitting organizer connection: stays inside the hub's frame burst (200) so admission never hits the rate limit. */
const ADMITS_PER_CONNECTION = 150;
const HTTP_CONCURRENCY = 8;

async function call<T>(base: string, method: string, path: string, body: unknown, token?: string, contentType = 'application/json'): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  return out;
}

/** Exchanges an invitation token for a session token. */
export async function login(base: string, invite: string): Promise<string> {
  return (await call<{ token: string }>(base, 'POST', '/api/login/link', { token: invite })).token;
}

/**
 * Creates rooms of the given sizes (each: one organizer and size-1 voters), admitted and with an
 * agenda item. `organizerToken` is any organizer's session token (it may create meetings).
 */
export async function provisionRooms(
  httpBase: string,
  wsUrl: string,
  organizerToken: string,
  tag: string,
  sizes: readonly number[],
  progress: (line: string) => void = () => {},
): Promise<ProvisionedRoom[]> {
  const rooms: ProvisionedRoom[] = [];
  for (const [room, size] of sizes.entries()) {
    const created = await call<{ id: string; organizerToken: string }>(httpBase, 'POST', '/api/meetings', meetingBody(tag, room), organizerToken);
    await call(httpBase, 'POST', `/api/meetings/${created.id}/register`, registerCsv(size - 1), created.organizerToken, 'text/csv');
    const voters = Array.from({ length: size - 1 }, (_, k) => k + 1);
    const members = await pool(voters, HTTP_CONCURRENCY, async (i): Promise<ProvisionedMember> => {
      const inv = invitationBody(tag, room, i);
      const r = await call<{ userId: string; token: string }>(httpBase, 'POST', `/api/meetings/${created.id}/invitations`, inv, created.organizerToken);
      return { member: i, userId: r.userId, role: 'voter', token: await login(httpBase, r.token) };
    });
    const organizer: ProvisionedMember = { member: 0, userId: 'org-ivanov', role: 'organizer', token: created.organizerToken };
    const itemId = await prepareMeeting(wsUrl, created.id, organizer, members, room);
    rooms.push({ room, meetingId: created.id, itemId, members: [organizer, ...members] });
    progress(`provisioned ${tag} room ${room + 1}/${sizes.length}: ${size} participants (${created.id})`);
  }
  return rooms;
}

/** Connects as the organizer, adds the agenda item with a document, and admits every voter. */
export async function prepareMeeting(wsUrl: string, meetingId: string, organizer: ProvisionedMember, voters: ProvisionedMember[], room: number): Promise<string> {
  const chunks: ProvisionedMember[][] = [];
  for (let k = 0; k < voters.length; k += ADMITS_PER_CONNECTION) chunks.push(voters.slice(k, k + ADMITS_PER_CONNECTION));
  if (chunks.length === 0) chunks.push([]);
  const clients = chunks.map(
    (_, k) => new LoadClient({ idx: 2_000_000 + room * 1000 + k, room, member: 0, userId: organizer.userId, role: 'organizer', token: organizer.token, url: wsUrl, replica: [] }),
  );
  try {
    await Promise.all(clients.map((c) => c.connectRetrying(30_000, () => {})));
    const first = clients[0]!;
    const added = await first.command('agenda.add', { title: 'Load test: report of the insolvency administrator' });
    if (!added.ok) throw new Error(`agenda.add refused in ${meetingId}: ${added.error.message}`);
    const itemId = (added.value as { itemId: string }).itemId;
    const updated = await first.command('agenda.update', { itemId, documents: [ANNOTATED_DOC] });
    if (!updated.ok) throw new Error(`agenda.update refused in ${meetingId}: ${updated.error.message}`);
    await Promise.all(
      chunks.map(async (chunk, k) => {
        const answers = await Promise.all(chunk.map((v) => clients[k]!.command('participant.admit', { userId: v.userId }, 60_000)));
        const bad = answers.find((a) => !a.ok);
        if (bad && !bad.ok) throw new Error(`participant.admit refused in ${meetingId}: ${bad.error.code} ${bad.error.message}`);
      }),
    );
    return itemId;
  } finally {
    for (const c of clients) c.destroy();
  }
}
