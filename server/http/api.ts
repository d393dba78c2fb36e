/**
 * The HTTP API (JSON, validated): meetings, the register, invitations and login, documents,
 * health, readiness, metrics and the JWKS. Bearer session tokens authorize it.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import type { HttpRequest, HttpResponse } from '../transport/uws.ts';
import type { Hub } from '../hub/Hub.ts';
import type { SessionClaims } from '../auth/TokenService.ts';
import { hashToken } from '../auth/TokenService.ts';
import { createInvitation, InvitationSchema } from '../hub/invitations.ts';
import { json, problem } from './respond.ts';
import { readAgenda } from '../../shared/docs.ts';
import { canonicalJson } from '../../shared/canonical.ts';
import { parseRegisterCsv } from './register.ts';
import { serveStatic } from './static.ts';

/** Largest uploaded document. */
export const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;

const LoginLinkSchema = z.object({ token: z.string().min(10).max(200) });
const CreateMeetingSchema = z.object({
  title: z.string().trim().min(1).max(300),
  kind: z.enum(['creditors', 'shareholders', 'board', 'association']).default('creditors'),
  startsAt: z.string().datetime({ offset: true }),
});

/** One HTTP route: a method, a path pattern and its handler (match groups are passed on). */
export type Route = { method: string; pattern: RegExp; handler: (req: HttpRequest, m: string[]) => Promise<HttpResponse> };

/** What route modules share: the hub, auth helpers and body parsing. */
export interface HttpContext {
  hub: Hub;
  publicUrl: () => string;
  /** The caller's session claims from `Authorization: Bearer`, or null. */
  bearer(req: HttpRequest): Promise<SessionClaims | null>;
  /** The caller's claims if they organize meeting `id`, else the 401/403 response to send. */
  organizerOf(req: HttpRequest, id: string): Promise<SessionClaims | HttpResponse>;
  /** The JSON body validated by a schema, else the 400/422 response to send. */
  body<T>(req: HttpRequest, schema: z.ZodType<T>): T | HttpResponse;
  isResponse(v: unknown): v is HttpResponse;
}

/** Builds the helpers route modules use. */
export function createHttpContext(hub: Hub, publicUrl: () => string): HttpContext {
  async function bearer(req: HttpRequest): Promise<SessionClaims | null> {
    const h = req.headers['authorization'] ?? '';
    const m = /^Bearer (.+)$/.exec(h);
    if (!m?.[1]) return null;
    const v = await hub.tokens.verify(m[1]);
    return v.ok ? v.claims : null;
  }
  return {
    hub,
    publicUrl,
    bearer,
    async organizerOf(req, id) {
      const c = await bearer(req);
      if (!c) return problem(401, 'A valid session token is required (Authorization: Bearer ...).');
      if (c.role !== 'organizer' || c.meetingId !== id) return problem(403, 'Only the organizer of this meeting may do this.');
      return c;
    },
    body<T>(req: HttpRequest, schema: z.ZodType<T>): T | HttpResponse {
      let raw: unknown;
      try {
        raw = JSON.parse(req.body.toString('utf8') || '{}');
      } catch {
        return problem(400, 'The request body is not valid JSON.');
      }
      const p = schema.safeParse(raw);
      if (!p.success) return problem(422, 'The request is invalid.', p.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
      return p.data;
    },
    isResponse: (v: unknown): v is HttpResponse => typeof v === 'object' && v !== null && 'status' in v && typeof (v as { status: unknown }).status === 'number',
  };
}

/** Builds the HTTP request handler of a hub: the core routes, then each module's routes. */
export function createApi(
  hub: Hub,
  opts: { publicUrl: () => string; ready: () => boolean },
  modules: ((ctx: HttpContext) => Route[])[] = [],
): (req: HttpRequest) => Promise<HttpResponse> {
  const ctx = createHttpContext(hub, opts.publicUrl);
  const { bearer, organizerOf, isResponse } = ctx;
  const body = <T>(req: HttpRequest, schema: z.ZodType<T>) => ctx.body(req, schema);

  const routes: Route[] = [
    { method: 'GET', pattern: /^\/healthz$/, handler: async () => json(200, { ok: true }) },
    {
      method: 'GET',
      pattern: /^\/readyz$/,
      handler: async () => (opts.ready() ? json(200, { ready: true, meetingsLoaded: hub.loadedCount }) : json(503, { ready: false })),
    },
    {
      method: 'GET',
      pattern: /^\/metrics$/,
      handler: async () => ({ status: 200, headers: { 'content-type': hub.metrics.registry.contentType }, body: await hub.metrics.registry.metrics() }),
    },
    { method: 'GET', pattern: /^\/\.well-known\/jwks\.json$/, handler: async () => json(200, hub.tokens.jwks()) },
    {
      method: 'POST',
      pattern: /^\/api\/login\/link$/,
      handler: async (req) => {
        const b = body(req, LoginLinkSchema);
        if (isResponse(b)) return b;
        const inv = await hub.storage.redeemInvitation(hashToken(b.token), Date.now());
        if (!inv) return problem(401, 'This invitation link is invalid, expired, revoked or already used. Ask the organizer for a new one.');
        const [p, user] = await Promise.all([hub.storage.getParticipant(inv.meetingId, inv.userId), hub.storage.getUser(inv.userId)]);
        if (!p || !user) return problem(401, 'This invitation no longer names a participant of the meeting.');
        const { token, exp } = await hub.tokens.issue({ userId: p.userId, meetingId: p.meetingId, role: p.role, name: user.name, rows: p.rows });
        return json(200, { token, expiresAt: exp * 1000, meetingId: p.meetingId, userId: p.userId, role: p.role, name: user.name });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/meetings$/,
      handler: async (req) => {
        const c = await bearer(req);
        if (!c || c.role !== 'organizer') return problem(401, 'An organizer token is required.');
        return json(200, { meetings: await hub.storage.listMeetings() });
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/meetings$/,
      handler: async (req) => {
        const c = await bearer(req);
        if (!c || c.role !== 'organizer') return problem(401, 'An organizer token is required.');
        const b = body(req, CreateMeetingSchema);
        if (isResponse(b)) return b;
        const id = `m-${crypto.randomBytes(6).toString('hex')}`;
        await hub.storage.createMeeting({ id, title: b.title, kind: b.kind, startsAt: b.startsAt, organizerUserId: c.userId, createdAt: Date.now() });
        await hub.storage.upsertParticipant({ meetingId: id, userId: c.userId, role: 'organizer', rows: [] });
        const { token, exp } = await hub.tokens.issue({ userId: c.userId, meetingId: id, role: 'organizer', name: c.name, rows: [] });
        return json(201, { id, organizerToken: token, expiresAt: exp * 1000 });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/meetings\/([A-Za-z0-9_-]{1,64})$/,
      handler: async (req, [, id]) => {
        const c = await bearer(req);
        if (!c || c.meetingId !== id) return problem(401, 'A session token for this meeting is required.');
        const m = await hub.storage.getMeeting(id!);
        return m ? json(200, m) : problem(404, 'No such meeting.');
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/meetings\/([A-Za-z0-9_-]{1,64})\/register$/,
      handler: async (req, [, id]) => {
        const c = await organizerOf(req, id!);
        if (isResponse(c)) return c;
        return json(200, { rows: await hub.storage.listRegister(id!) });
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/meetings\/([A-Za-z0-9_-]{1,64})\/register$/,
      handler: async (req, [, id]) => {
        const c = await organizerOf(req, id!);
        if (isResponse(c)) return c;
        const parsed = parseRegisterCsv(req.body.toString('utf8'));
        if (!parsed.ok) return problem(422, 'The register was not imported: fix these rows and upload it again.', parsed.errors);
        await hub.storage.replaceRegister(id!, parsed.rows);
        hub.rosterChanged(id!, { register: parsed.rows });
        // The protocol records the register as used; the audit log proves when it was imported and what it was.
        const m = await hub.getMeeting(id!);
        if (m && !m.isReplica) {
          m.audit.record('register.imported', { rows: parsed.rows.length, sha256: crypto.createHash('sha256').update(canonicalJson(parsed.rows)).digest('hex'), by: c.userId }, Date.now());
          await m.drain();
        }
        return json(200, { imported: parsed.rows.length });
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/meetings\/([A-Za-z0-9_-]{1,64})\/invitations$/,
      handler: async (req, [, id]) => {
        const c = await organizerOf(req, id!);
        if (isResponse(c)) return c;
        const b = body(req, InvitationSchema);
        if (isResponse(b)) return b;
        const register = new Set((await hub.storage.listRegister(id!)).map((r) => r.id));
        const unknown = b.rows.filter((r) => !register.has(r));
        if (unknown.length > 0) return problem(422, `Unknown register rows: ${unknown.join(', ')}.`);
        return json(201, await createInvitation(hub, id!, b, { reusable: false, publicUrl: opts.publicUrl() }));
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/meetings\/([A-Za-z0-9_-]{1,64})\/documents$/,
      handler: async (req, [, id]) => {
        const c = await organizerOf(req, id!);
        if (isResponse(c)) return c;
        if (req.body.byteLength === 0) return problem(422, 'The document is empty.');
        if (req.body.byteLength > MAX_DOCUMENT_BYTES) return problem(413, `Documents are limited to ${MAX_DOCUMENT_BYTES / 1024 / 1024} MB.`);
        const type = sniffType(req.body);
        if (!type) return problem(415, 'Only PDF, PNG and JPEG documents are accepted.');
        const sha256 = crypto.createHash('sha256').update(req.body).digest('hex');
        const name = decodeFileName(req.headers['x-filename']);
        await hub.storage.putBlob({ sha256, type, size: req.body.byteLength, name, data: req.body });
        return json(201, { sha256, type, size: req.body.byteLength, name });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/meetings\/([A-Za-z0-9_-]{1,64})\/questions\/([A-Za-z0-9_-]{1,64})\/case\.json$/,
      handler: async (req, [, id, qid]) => {
        const c = await organizerOf(req, id!);
        if (isResponse(c)) return c;
        const m = await hub.getMeeting(id!);
        const q = m?.voting.question(qid!);
        if (!m || !q) return problem(404, 'No such question.');
        return json(200, m.voting.exportCase(q));
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/meetings\/([A-Za-z0-9_-]{1,64})\/ledger$/,
      handler: async (req, [, id]) => {
        const c = await organizerOf(req, id!);
        if (isResponse(c)) return c;
        const m = await hub.getMeeting(id!);
        if (!m) return problem(404, 'No such meeting.');
        return json(200, { ledgerHead: m.voting.ledgerHead, auditHead: m.audit.head, ballots: m.voting.ballots, audit: m.audit.all });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/meetings\/([A-Za-z0-9_-]{1,64})\/documents$/,
      handler: async (req, [, id]) => {
        const c = await bearer(req);
        if (!c || c.meetingId !== id) return problem(401, 'A session token for this meeting is required.');
        const m = await hub.getMeeting(id!);
        if (!m) return problem(404, 'No such meeting.');
        const shas = new Set(readAgenda(m.docs.agenda).flatMap((i) => i.documents));
        const docs = [];
        for (const sha of shas) {
          const b = await hub.storage.getBlob(sha);
          if (b) docs.push({ sha256: b.sha256, name: b.name, type: b.type, size: b.size });
        }
        return json(200, { documents: docs });
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/documents\/([0-9a-f]{64})$/,
      handler: async (req, [, sha]) => {
        const c = (await bearer(req)) ?? (req.query.get('token') ? (await hub.tokens.verify(req.query.get('token')!)).ok : null);
        if (!c) return problem(401, 'A session token is required.');
        const b = await hub.storage.getBlob(sha!);
        if (!b) return problem(404, 'No such document.');
        return { status: 200, headers: { 'content-type': b.type, 'cache-control': 'private, max-age=31536000, immutable' }, body: b.data };
      },
    },
  ];

  routes.push(...modules.flatMap((m) => m(ctx)));

  return async (req) => {
    for (const r of routes) {
      if (r.method !== req.method) continue;
      const m = r.pattern.exec(req.path);
      if (m) return r.handler(req, [...m]);
    }
    if (req.path.startsWith('/api/')) return problem(404, `No such endpoint: ${req.method} ${req.path}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return problem(405, 'Method not allowed.');
    return serveStatic(hub.config.clientDir, req.path);
  };
}

/** The uploaded file's name: browsers send it percent-encoded (header values are Latin-1). */
function decodeFileName(raw: string | undefined): string {
  if (!raw) return 'document';
  try {
    return decodeURIComponent(raw).slice(0, 300);
  } catch {
    return raw.slice(0, 300);
  }
}

/** The document type from its first bytes, or null when not allowed. */
function sniffType(b: Buffer): string | null {
  if (b.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  return null;
}
