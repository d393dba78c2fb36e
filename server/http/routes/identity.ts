/**
 * HTTP routes of identity and admission: the meeting's identity settings, the notice and its outbox,
 * the five login methods (invitation link, one-time code, external identity provider, power of
 * attorney, key challenge), revocation, and absentee ballots. Every refusal is a JSON
 * `{ error, code, details? }` with a message a person can read. Public login endpoints are rate-limited
 * per remote address.
 */
import { z } from 'zod';
import type { SessionClaims } from '../../auth/TokenService.ts';
import { Identity } from '../../identity/Identity.ts';
import { IdentitySettingsPatchSchema } from '../../identity/methods.ts';
import { NoticeInputSchema } from '../../identity/notice.ts';
import { PowerReviewSchema, PowerSubmissionSchema } from '../../identity/PowersOfAttorney.ts';
import { AbsenteeBallotSchema } from '../../identity/absentee.ts';
import { auditRefusal } from '../../identity/meetingEffects.ts';
import { refuse, type Outcome } from '../../identity/outcome.ts';
import { ChannelGateway } from '../../messaging/ChannelGateway.ts';
import type { HttpRequest, HttpResponse } from '../../transport/uws.ts';
import type { HttpContext, Route } from '../api.ts';
import { json } from '../respond.ts';

const ID = '([A-Za-z0-9_-]{1,64})';
const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/);
const Token = z.string().min(10).max(200);
const Channels = z.array(z.enum(['email', 'sms'])).max(2);

const LinkLoginSchema = z.object({ token: Token }).strict();
const CodeRequestSchema = z.object({ address: z.string().trim().min(3).max(254), row: Id.optional() }).strict();
const CodeVerifySchema = z.object({ requestId: z.string().min(1).max(64), code: z.string().regex(/^\d{6}$/, 'the code is six digits') }).strict();
const IdpLoginSchema = z.object({ idToken: z.string().min(10).max(16_384) }).strict();
const ClaimLoginSchema = z.object({ claimToken: Token }).strict();
const KeyRegisterSchema = z.object({ jwk: z.record(z.string(), z.unknown()), userId: Id.optional() }).strict();
const ChallengeSchema = z.object({ keyId: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a key id is the key\'s SHA-256 thumbprint in base64url') }).strict();
const KeyLoginSchema = z.object({ nonce: z.string().regex(/^[A-Za-z0-9_-]{43}$/), signature: z.string().min(1).max(200) }).strict();
const RevokeSchema = z.object({ userId: Id, reason: z.string().trim().min(1).max(1000), sessions: z.boolean().default(false) }).strict();
const ResendSchema = z.object({ userId: Id, channels: Channels.default(['email', 'sms']) }).strict();
const AbsenteeLinkSchema = z.object({ userId: Id, channels: Channels.default([]) }).strict();

/** The identity routes. */
export function identityRoutes(ctx: HttpContext): Route[] {
  const { hub, isResponse } = ctx;
  const identity = new Identity(hub);

  const route = (method: string, path: string, handler: Route['handler']): Route => ({ method, pattern: new RegExp(`^${path}$`), handler });

  /** An outcome as a response: the value with `status`, or the refusal. */
  const answer = <T>(o: Outcome<T>, status = 200): HttpResponse =>
    o.ok ? json(status, o.value) : json(o.status, { error: o.message, code: o.code, ...(o.details === undefined ? {} : { details: o.details }) });

  /**
   * The checks of a public login endpoint: the meeting exists, and the remote address is under its
   * rate (a flood is audited once per window). Returns the response to send, or null to go on.
   */
  async function gate(req: HttpRequest, meetingId: string): Promise<HttpResponse | null> {
    if (!(await hub.storage.getMeeting(meetingId))) return answer(refuse(404, 'no-meeting', 'No such meeting.'));
    const hit = identity.perRemote.hit(req.remote);
    if (hit.allowed) return null;
    const r = refuse(429, 'rate-limited', `Too many login requests from your address. Wait ${hit.retryAfterSeconds} s and try again.`);
    if (hit.first) await auditRefusal(hub, meetingId, 'login', r, { remote: req.remote, path: req.path });
    return { ...answer(r), headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(hit.retryAfterSeconds) } };
  }

  /** The caller's session if it belongs to this meeting, else the 401 to send. */
  async function sessionOf(req: HttpRequest, meetingId: string): Promise<SessionClaims | HttpResponse> {
    const c = await ctx.bearer(req);
    if (!c || c.meetingId !== meetingId) return answer(refuse(401, 'no-session', 'A valid session token for this meeting is required (Authorization: Bearer ...). Log in again.'));
    return c;
  }

  return [
    // ---- the login screen and settings -------------------------------------------------------
    route('GET', `/api/meetings/${ID}/login`, async (_req, [, id]) => {
      const o = await identity.loginOptions(id!);
      return o ? json(200, o) : answer(refuse(404, 'no-meeting', 'No such meeting.'));
    }),
    // The creditors a representative may name in a power of attorney: ids and names only (no amounts, tax numbers or contacts).
    route('GET', `/api/meetings/${ID}/creditors`, async (req, [, id]) => {
      const stop = await gate(req, id!);
      if (stop) return stop;
      return json(200, { creditors: (await hub.storage.listRegister(id!)).map((r) => ({ id: r.id, name: r.name })) });
    }),
    route('GET', `/api/meetings/${ID}/identity`, async (req, [, id]) => {
      const c = await ctx.organizerOf(req, id!);
      if (isResponse(c)) return c;
      const gateway = hub.messages instanceof ChannelGateway ? hub.messages.describe() : null;
      return json(200, { settings: await identity.settings(id!), idp: identity.idp.info, gateway });
    }),
    route('PUT', `/api/meetings/${ID}/identity`, async (req, [, id]) => {
      const c = await ctx.organizerOf(req, id!);
      if (isResponse(c)) return c;
      const b = ctx.body(req, IdentitySettingsPatchSchema);
      if (isResponse(b)) return b;
      return json(200, { settings: await identity.updateSettings(id!, c, b) });
    }),

    // ---- the notice and the outbox -----------------------------------------------------------
    route('POST', `/api/meetings/${ID}/notice`, async (req, [, id]) => {
      const c = await ctx.organizerOf(req, id!);
      if (isResponse(c)) return c;
      const b = ctx.body(req, NoticeInputSchema);
      if (isResponse(b)) return b;
      const o = await identity.notices.publish(id!, c, b, ctx.publicUrl());
      if (!o.ok) return answer(o);
      const d = o.value.deliveries;
      return json(201, {
        notice: o.value.notice,
        totals: {
          recipients: d.length,
          delivered: d.filter((x) => x.sent.some((s) => s.ok)).length,
          failed: d.filter((x) => x.sent.length > 0 && x.sent.every((s) => !s.ok)).length,
          noContact: d.filter((x) => x.noContact).length,
        },
        deliveries: d,
      });
    }),
    route('GET', `/api/meetings/${ID}/notice`, async (_req, [, id]) => {
      const n = await identity.notices.get(id!);
      return n ? json(200, n) : answer(refuse(404, 'no-notice', 'The notice of this meeting has not been published.'));
    }),
    route('POST', `/api/meetings/${ID}/notice/resend`, async (req, [, id]) => {
      const c = await ctx.organizerOf(req, id!);
      if (isResponse(c)) return c;
      const b = ctx.body(req, ResendSchema);
      if (isResponse(b)) return b;
      return answer(await identity.notices.resend(id!, c, b, ctx.publicUrl()));
    }),
    route('GET', `/api/meetings/${ID}/outbox`, async (req, [, id]) => {
      const c = await ctx.organizerOf(req, id!);
      if (isResponse(c)) return c;
      const gateway = hub.messages instanceof ChannelGateway ? hub.messages.describe() : null;
      return json(200, { gateway, messages: hub.messages.outbox(id!) });
    }),

    // ---- method 1: invitation links; revocation ----------------------------------------------
    route('POST', `/api/meetings/${ID}/login/link`, async (req, [, id]) => {
      const stop = await gate(req, id!);
      if (stop) return stop;
      const b = ctx.body(req, LinkLoginSchema);
      if (isResponse(b)) return b;
      return answer(await identity.links.login(id!, b.token, 'join'));
    }),
    route('POST', `/api/meetings/${ID}/access/revoke`, async (req, [, id]) => {
      const c = await ctx.organizerOf(req, id!);
      if (isResponse(c)) return c;
      const b = ctx.body(req, RevokeSchema);
      if (isResponse(b)) return b;
      return answer(await identity.links.revoke(id!, c, b));
    }),

    // ---- method 2: one-time codes ------------------------------------------------------------
    route('POST', `/api/meetings/${ID}/login/code`, async (req, [, id]) => {
      const stop = await gate(req, id!);
      if (stop) return stop;
      const b = ctx.body(req, CodeRequestSchema);
      if (isResponse(b)) return b;
      return answer(await identity.codes.request(id!, b), 202);
    }),
    route('POST', `/api/meetings/${ID}/login/code/verify`, async (req, [, id]) => {
      const stop = await gate(req, id!);
      if (stop) return stop;
      const b = ctx.body(req, CodeVerifySchema);
      if (isResponse(b)) return b;
      return answer(await identity.codes.verify(id!, b));
    }),

    // ---- method 3: external identity provider ------------------------------------------------
    route('POST', `/api/meetings/${ID}/login/idp`, async (req, [, id]) => {
      const stop = await gate(req, id!);
      if (stop) return stop;
      const b = ctx.body(req, IdpLoginSchema);
      if (isResponse(b)) return b;
      return answer(await identity.idp.login(id!, b.idToken));
    }),

    // ---- method 4: powers of attorney --------------------------------------------------------
    route('POST', `/api/meetings/${ID}/powers`, async (req, [, id]) => {
      const stop = await gate(req, id!);
      if (stop) return stop;
      const b = ctx.body(req, PowerSubmissionSchema);
      if (isResponse(b)) return b;
      const caller = await ctx.bearer(req);
      return answer(await identity.powers.submit(id!, caller, b), 201);
    }),
    route('GET', `/api/meetings/${ID}/powers`, async (req, [, id]) => {
      const c = await ctx.organizerOf(req, id!);
      if (isResponse(c)) return c;
      return json(200, { powers: await identity.powers.list(id!) });
    }),
    route('GET', `/api/meetings/${ID}/powers/${ID}/document`, async (req, [, id, pid]) => {
      const c = await ctx.bearer(req);
      const organizer = c !== null && c.role === 'organizer' && c.meetingId === id;
      const o = await identity.powers.document(id!, pid!, { organizer, claimToken: req.headers['x-claim-token'] ?? null });
      if (!o.ok) return answer(o);
      return { status: 200, headers: { 'content-type': o.value.type, 'cache-control': 'private, no-store' }, body: o.value.data };
    }),
    route('POST', `/api/meetings/${ID}/powers/${ID}/review`, async (req, [, id, pid]) => {
      const c = await ctx.organizerOf(req, id!);
      if (isResponse(c)) return c;
      const b = ctx.body(req, PowerReviewSchema);
      if (isResponse(b)) return b;
      return answer(await identity.powers.review(id!, c, pid!, b));
    }),
    route('POST', `/api/meetings/${ID}/login/power`, async (req, [, id]) => {
      const stop = await gate(req, id!);
      if (stop) return stop;
      const b = ctx.body(req, ClaimLoginSchema);
      if (isResponse(b)) return b;
      const o = await identity.powers.login(id!, b.claimToken);
      return o.ok && 'status' in o.value && o.value.status === 'pending' ? json(202, o.value) : answer(o);
    }),

    // ---- method 5: registered keys -----------------------------------------------------------
    route('POST', `/api/meetings/${ID}/keys`, async (req, [, id]) => {
      const c = await sessionOf(req, id!);
      if (isResponse(c)) return c;
      const b = ctx.body(req, KeyRegisterSchema);
      if (isResponse(b)) return b;
      return answer(await identity.keys.register(id!, c, b), 201);
    }),
    route('GET', `/api/meetings/${ID}/keys`, async (req, [, id]) => {
      const c = await sessionOf(req, id!);
      if (isResponse(c)) return c;
      return json(200, { keys: await identity.keys.list(id!, c.role === 'organizer' ? undefined : c.userId) });
    }),
    route('POST', `/api/meetings/${ID}/login/key/challenge`, async (req, [, id]) => {
      const stop = await gate(req, id!);
      if (stop) return stop;
      const b = ctx.body(req, ChallengeSchema);
      if (isResponse(b)) return b;
      return answer(await identity.keys.challenge(id!, b.keyId));
    }),
    route('POST', `/api/meetings/${ID}/login/key`, async (req, [, id]) => {
      const stop = await gate(req, id!);
      if (stop) return stop;
      const b = ctx.body(req, KeyLoginSchema);
      if (isResponse(b)) return b;
      return answer(await identity.keys.login(id!, b));
    }),

    // ---- absentee ballots --------------------------------------------------------------------
    route('POST', `/api/meetings/${ID}/absentee/links`, async (req, [, id]) => {
      const c = await ctx.organizerOf(req, id!);
      if (isResponse(c)) return c;
      const b = ctx.body(req, AbsenteeLinkSchema);
      if (isResponse(b)) return b;
      return answer(await identity.notices.absenteeLink(id!, c, b, ctx.publicUrl()), 201);
    }),
    route('POST', `/api/meetings/${ID}/absentee/login`, async (req, [, id]) => {
      const stop = await gate(req, id!);
      if (stop) return stop;
      const b = ctx.body(req, LinkLoginSchema);
      if (isResponse(b)) return b;
      return answer(await identity.links.login(id!, b.token, 'absentee'));
    }),
    route('GET', `/api/meetings/${ID}/absentee`, async (req, [, id]) => {
      const c = await sessionOf(req, id!);
      if (isResponse(c)) return c;
      return answer(await identity.absentee.view(id!, c));
    }),
    route('POST', `/api/meetings/${ID}/absentee/ballots`, async (req, [, id]) => {
      const c = await sessionOf(req, id!);
      if (isResponse(c)) return c;
      const b = ctx.body(req, AbsenteeBallotSchema);
      if (isResponse(b)) return b;
      return answer(await identity.absentee.cast(id!, c, b), 201);
    }),
  ];
}
