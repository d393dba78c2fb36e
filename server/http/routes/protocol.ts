/**
 * HTTP routes of the protocol (minutes): the chain heads, preview and issue, the organizer's key
 * signature, creditors' one-time-code signatures, paper scans, the public keys and the bundle.
 *
 * Access: the organizer issues, signs and attaches scans, and alone sees drafts. Every participant
 * of the meeting (any session token of this meeting) may read the issued protocol, its signatures
 * and the bundle: creditors may inspect the protocol and the ballots that go to the court with it.
 * Public keys are public.
 */
import { z } from 'zod';
import type { HttpRequest, HttpResponse } from '../../transport/uws.ts';
import type { Hub } from '../../hub/Hub.ts';
import type { SessionClaims } from '../../auth/TokenService.ts';
import type { HttpContext, Route } from '../api.ts';
import { json, problem } from '../respond.ts';
import { ProtocolService, type Refusal } from '../../protocol/ProtocolService.ts';
import { LANGS, type Lang } from '../../protocol/i18n.ts';

const M = '/api/meetings/([A-Za-z0-9_-]{1,64})';
const CodeRequestSchema = z.object({ channel: z.enum(['email', 'sms']).optional() }).strict();
const CodeConfirmSchema = z.object({ challengeId: z.string().min(1).max(100), code: z.string().max(20) }).strict();

const services = new WeakMap<Hub, ProtocolService>();

/** The protocol service of a hub (created with its routes); tests use it to move the clock. */
export function protocolServiceOf(hub: Hub): ProtocolService | undefined {
  return services.get(hub);
}

/** The protocol routes. */
export function protocolRoutes(ctx: HttpContext): Route[] {
  const service = new ProtocolService(ctx.hub, { publicUrl: ctx.publicUrl });
  services.set(ctx.hub, service);
  const fail = (r: Refusal): HttpResponse => {
    const res = problem(r.status, r.message, r.details);
    if (r.retryAfterSeconds !== undefined) res.headers = { ...res.headers, 'retry-after': String(r.retryAfterSeconds) };
    return res;
  };
  /** Any participant of this meeting. */
  const participantOf = async (req: HttpRequest, id: string): Promise<SessionClaims | HttpResponse> => {
    const c = await ctx.bearer(req);
    if (!c) return problem(401, 'A valid session token is required (Authorization: Bearer ...).');
    if (c.meetingId !== id) return problem(403, 'This token is for another meeting.');
    return c;
  };
  const langOf = (req: HttpRequest): Lang | HttpResponse => {
    const l = req.query.get('lang') ?? 'ru';
    return (LANGS as readonly string[]).includes(l) ? (l as Lang) : problem(422, `lang must be one of: ${LANGS.join(', ')}.`);
  };
  const file = (bytes: Uint8Array, type: string, name: string, draft: boolean): HttpResponse => ({
    status: 200,
    headers: { 'content-type': type, 'content-disposition': `attachment; filename="${name}"`, 'cache-control': 'no-store', ...(draft ? { 'x-protocol-draft': '1' } : {}) },
    body: bytes,
  });

  return [
    {
      // The chain heads and the protocol's state: what the organizer's screen shows.
      method: 'GET',
      pattern: new RegExp(`^${M}/audit/head$`),
      handler: async (req, [, id]) => {
        const c = await ctx.organizerOf(req, id!);
        if (ctx.isResponse(c)) return c;
        const r = await service.head(id!);
        return r.ok ? json(200, r.value) : fail(r);
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${M}/protocol\\.json$`),
      handler: async (req, [, id]) => {
        const c = await participantOf(req, id!);
        if (ctx.isResponse(c)) return c;
        const r = await service.json(id!, c);
        return r.ok ? file(r.value.bytes, 'application/json; charset=utf-8', `protocol-${id}.json`, r.value.draft) : fail(r);
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${M}/protocol\\.pdf$`),
      handler: async (req, [, id]) => {
        const c = await participantOf(req, id!);
        if (ctx.isResponse(c)) return c;
        const lang = langOf(req);
        if (ctx.isResponse(lang)) return lang;
        const r = await service.pdf(id!, c, lang);
        return r.ok ? file(r.value.bytes, 'application/pdf', `protocol-${id}.${lang}.pdf`, r.value.draft) : fail(r);
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${M}/protocol$`),
      handler: async (req, [, id]) => {
        const c = await ctx.organizerOf(req, id!);
        if (ctx.isResponse(c)) return c;
        const r = await service.issue(id!, c);
        return r.ok ? json(201, r.value) : fail(r);
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${M}/protocol/sign$`),
      handler: async (req, [, id]) => {
        const c = await ctx.organizerOf(req, id!);
        if (ctx.isResponse(c)) return c;
        const r = await service.sign(id!, c);
        return r.ok ? json(201, r.value) : fail(r);
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${M}/protocol/cosign/request$`),
      handler: async (req, [, id]) => {
        const c = await participantOf(req, id!);
        if (ctx.isResponse(c)) return c;
        const b = ctx.body(req, CodeRequestSchema);
        if (ctx.isResponse(b)) return b;
        const r = await service.requestCode(id!, c, b.channel);
        return r.ok ? json(201, r.value) : fail(r);
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${M}/protocol/cosign/confirm$`),
      handler: async (req, [, id]) => {
        const c = await participantOf(req, id!);
        if (ctx.isResponse(c)) return c;
        const b = ctx.body(req, CodeConfirmSchema);
        if (ctx.isResponse(b)) return b;
        const r = await service.confirmCode(id!, c, b.challengeId, b.code.trim());
        return r.ok ? json(201, r.value) : fail(r);
      },
    },
    {
      // The body is the scan itself; the reason and the file name come in the query (URL-encoded, any language).
      method: 'POST',
      pattern: new RegExp(`^${M}/protocol/scans$`),
      handler: async (req, [, id]) => {
        const c = await ctx.organizerOf(req, id!);
        if (ctx.isResponse(c)) return c;
        const name = req.query.get('name') ?? req.headers['x-filename'] ?? 'scan';
        const r = await service.attachScan(id!, c, req.body, name, req.query.get('reason') ?? '');
        return r.ok ? json(201, r.value) : fail(r);
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${M}/protocol/signatures$`),
      handler: async (req, [, id]) => {
        const c = await participantOf(req, id!);
        if (ctx.isResponse(c)) return c;
        const r = await service.listSignatures(id!);
        return r.ok ? json(200, r.value) : fail(r);
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${M}/protocol/jwks\\.json$`),
      handler: async (_req, [, id]) => {
        const r = await service.meetingJwks(id!);
        return r.ok ? json(200, r.value, { 'cache-control': 'public, max-age=300' }) : fail(r);
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/protocol\/jwks\.json$/,
      handler: async () => json(200, await service.keys.jwks(), { 'cache-control': 'public, max-age=300' }),
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${M}/protocol\\.zip$`),
      handler: async (req, [, id]) => {
        const c = await participantOf(req, id!);
        if (ctx.isResponse(c)) return c;
        const r = await service.bundle(id!);
        return r.ok ? file(r.value.bytes, 'application/zip', `protocol-${id}-v${r.value.version}.zip`, false) : fail(r);
      },
    },
  ];
}
