/**
 * Around validation: short session tokens refreshed over the socket, revocation that closes sockets
 * at once, the notice rules (14 days for creditors, overrides audited), the organizer's outbox, methods
 * switched off, per-address rate limits, and message gateways that fail with a readable reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import type { ServerEvent } from '../../shared/protocol/index.ts';
import type { HubClient } from '../../shared/client/HubClient.ts';
import type { HubServer } from '../app.ts';
import { ALL_METHODS, PDF, apiClient, connectWith, setupMeeting, startSmsGateway } from '../identity/test/fixtures.ts';
import { startTestHub, tokenFor, waitFor } from './helpers.ts';

const DAY = 24 * 3600_000;
const deadline = (days: number) => new Date(Date.now() + days * DAY).toISOString();

describe('sessions, revocation, notices and the outbox (development gateway)', () => {
  let server: HubServer;
  let api: ReturnType<typeof apiClient>;
  const clients: HubClient[] = [];
  /** The meeting; `org` is an organizer token that outlives the hub's three-second session tokens. */
  const M = { meetingId: '', org: '' };
  let orgClient: HubClient;

  beforeAll(async () => {
    // Session tokens live three seconds here and are refreshed two seconds before they expire.
    server = await startTestHub({ TOKEN_TTL_SECONDS: '3', TOKEN_REFRESH_BEFORE_SECONDS: '2' });
    api = apiClient(server);
    M.meetingId = (await setupMeeting(server, { methods: ALL_METHODS })).meetingId;
    M.org = await tokenFor(server, 'org-ivanov', M.meetingId, 3600);
    const published = await api(`/api/meetings/${M.meetingId}/notice`, { token: M.org, body: { form: 'in-person-online', agenda: [{ title: 'Отчёт управляющего' }] } });
    expect(published.status, JSON.stringify(published.body)).toBe(201);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server.stop();
  });

  const outbox = async () => (await api(`/api/meetings/${M.meetingId}/outbox`, { token: M.org })).body.messages as { to: string; text: string; purpose: string }[];
  const linkLogin = async (email: string) => {
    const text = (await outbox()).find((m) => m.to === email && m.purpose === 'notice')!.text;
    const token = /[?&]invite=([A-Za-z0-9_-]+)/.exec(text)![1]!;
    const r = await api(`/api/meetings/${M.meetingId}/login/link`, { body: { token } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as { token: string; userId: string };
  };
  const connected = async (token: string) => {
    const c = connectWith(server, token);
    clients.push(c);
    await c.whenSynced();
    return c;
  };

  it('shows the organizer the outbox of the development gateway, and nobody else', async () => {
    const r = await api(`/api/meetings/${M.meetingId}/outbox`, { token: M.org });
    expect(r.body.gateway).toEqual({ email: 'development', sms: 'development' });
    expect(r.body.messages).toHaveLength(8); // six e-mails and two SMS
    expect(r.body.messages[0]).toMatchObject({ channel: 'email', purpose: 'notice', meetingId: M.meetingId, subject: expect.stringContaining('Уведомление'), sensitive: true });
    expect((await api(`/api/meetings/${M.meetingId}/outbox`, { token: await tokenFor(server, 'cred-stroy') })).status).toBe(403);
    expect((await api(`/api/meetings/${M.meetingId}/outbox`)).status).toBe(401);
  });

  it('refreshes short session tokens over the socket, with the rows a newly approved power of attorney adds', async () => {
    orgClient = await connected(M.org);
    const me = await linkLogin('one@example.test');
    const first = await server.hub.tokens.verify(me.token);
    const c = await connected(me.token);
    expect((await orgClient.command('participant.admit', { userId: me.userId })).ok).toBe(true);
    const tokens: string[] = [];
    c.on('event', (e: ServerEvent) => {
      if (e.type === 'token') tokens.push(e.token);
    });
    // The same person also represents r5: uploads the power with their session; the organizer approves it.
    const poa = await api(`/api/meetings/${M.meetingId}/powers`, { token: me.token, body: { name: 'ООО «Один»', rows: ['r5'], file: { name: 'p.pdf', data: PDF.toString('base64') } } });
    expect(poa.status).toBe(201);
    expect((await api(`/api/meetings/${M.meetingId}/powers/${poa.body.powerId}/review`, { token: M.org, body: { decision: 'approve' } })).status).toBe(200);
    await waitFor(() => tokens.length >= 1, 'a refreshed token over the socket', 5000);
    const next = await server.hub.tokens.verify(tokens[0]!);
    expect(next.ok && first.ok && next.claims.exp > first.claims.exp).toBe(true);
    expect(next.ok && next.claims.rows).toEqual(['r1', 'r5']);
    expect(c.token).toBe(tokens.at(-1));
    // The first token has expired by now; the session lives on with the refreshed one.
    await waitFor(() => Date.now() > (first.ok ? first.claims.exp * 1000 + 200 : 0), 'first token expired', 5000);
    expect(c.state).toBe('open');
    expect((await c.command('chat.post', { text: 'всё ещё здесь' })).ok).toBe(true);
  });

  it('revoking access closes the participant\'s sockets at once (4403), keeps them out, and refuses their next validation', async () => {
    const r2 = await linkLogin('two@example.test');
    const c = await connected(r2.token);
    const revoked = await api(`/api/meetings/${M.meetingId}/access/revoke`, { token: M.org, body: { userId: r2.userId, reason: 'доверенность отозвана кредитором', sessions: true } });
    expect(revoked).toMatchObject({ status: 200, body: { removed: true } });
    await waitFor(() => c.lastClose?.code === 4403, 'closed with 4403', 3000);
    const again = connectWith(server, r2.token);
    clients.push(again);
    await waitFor(() => again.state === 'closed', 'rejoin refused');
    expect(again.lastClose?.code).toBe(4403);
    const code = await api(`/api/meetings/${M.meetingId}/login/code`, { body: { address: 'two@example.test' } });
    const digits = /\b(\d{6})\b/.exec((await outbox()).filter((m) => m.purpose === 'login-code').at(-1)!.text)![1]!;
    const refused = await api(`/api/meetings/${M.meetingId}/login/code/verify`, { body: { requestId: code.body.requestId, code: digits } });
    expect(refused).toMatchObject({ status: 403, body: { code: 'removed', error: expect.stringContaining('доверенность отозвана кредитором') } });
    const audit = (await api(`/api/meetings/${M.meetingId}/ledger`, { token: M.org })).body.audit as { type: string; data: Record<string, unknown> }[];
    expect(audit.find((a) => a.type === 'invitation.revoked')?.data).toMatchObject({ userId: r2.userId, sessions: true, by: 'org-ivanov' });
    expect(audit.find((a) => a.type === 'participant.removed' && a.data.userId === r2.userId)?.data).toMatchObject({ method: 'invitation-link', from: 'lobby', reason: 'доверенность отозвана кредитором' });
  });

  it('refuses a creditors\' notice later than 14 days before the meeting unless overridden with a reason (audited)', async () => {
    const soon = await setupMeeting(server, { days: 10 });
    soon.org = await tokenFor(server, 'org-ivanov', soon.meetingId, 3600);
    const body = { form: 'mixed', absenteeDeadline: deadline(9), agenda: [{ title: 'Отчёт управляющего' }] };
    const late = await api(`/api/meetings/${soon.meetingId}/notice`, { token: soon.org, body });
    expect(late).toMatchObject({ status: 422, body: { code: 'notice-too-late', details: { minDays: 14 }, error: expect.stringContaining('at least 14 days') } });
    expect((await api(`/api/meetings/${soon.meetingId}/notice`, { token: soon.org, body: { ...body, absenteeDeadline: undefined } })).status).toBe(422);
    const overridden = await api(`/api/meetings/${soon.meetingId}/notice`, { token: soon.org, body: { ...body, override: { reason: 'повторное собрание по определению суда от 20.11.2026' } } });
    expect(overridden.status, JSON.stringify(overridden.body)).toBe(201);
    expect(overridden.body.notice.override).toMatchObject({ reason: 'повторное собрание по определению суда от 20.11.2026' });
    expect((await api(`/api/meetings/${soon.meetingId}/notice`, { token: soon.org, body })).status).toBe(409);
    const audit = (await api(`/api/meetings/${soon.meetingId}/ledger`, { token: soon.org })).body.audit as { type: string; data: Record<string, unknown> }[];
    expect(audit.find((a) => a.type === 'notice.late-override')?.data).toMatchObject({ minDays: 14, reason: 'повторное собрание по определению суда от 20.11.2026', by: 'org-ivanov' });
    // The notice is public (the login screen shows it); a meeting with no register cannot publish one.
    expect((await api(`/api/meetings/${soon.meetingId}/notice`)).body.form).toBe('mixed');
    const created = await api('/api/meetings', { token: M.org, body: { title: 'Пустое', startsAt: deadline(30) } });
    expect(await api(`/api/meetings/${created.body.id}/notice`, { token: created.body.organizerToken, body })).toMatchObject({ status: 422, body: { code: 'no-register' } });
  });

  it('refuses a method the meeting switched off, and says which ones it accepts', async () => {
    const off = await api(`/api/meetings/${M.meetingId}/identity`, { method: 'PUT', token: M.org, body: { methods: { 'one-time-code': { enabled: false } } } });
    expect(off.body.settings.methods['one-time-code']).toEqual({ enabled: false, autoAdmit: false });
    expect((await api(`/api/meetings/${M.meetingId}/login`)).body.methods).toEqual(['invitation-link', 'power-of-attorney', 'key-challenge']);
    expect(await api(`/api/meetings/${M.meetingId}/login/code`, { body: { address: 'four@example.test' } })).toMatchObject({
      status: 403,
      body: { code: 'method-disabled', error: 'This meeting does not accept login by one-time code. Use another way the notice names, or ask the organizer.' },
    });
    const audit = (await api(`/api/meetings/${M.meetingId}/ledger`, { token: M.org })).body.audit as { type: string; data: Record<string, unknown> }[];
    expect(audit.find((a) => a.type === 'identity.settings')?.data).toMatchObject({ by: 'org-ivanov' });
    expect(audit.find((a) => a.type === 'identity.refused' && a.data.code === 'method-disabled')).toBeTruthy();
    expect((await api(`/api/meetings/${M.meetingId}/identity`, { method: 'PUT', token: M.org, body: { methods: { 'sms-magic': { enabled: true } } } })).status).toBe(422);
  });
});

describe('message gateways that fail, and the per-address rate limit', () => {
  let sms: Awaited<ReturnType<typeof startSmsGateway>>;
  const servers: HubServer[] = [];
  beforeAll(async () => {
    sms = await startSmsGateway();
  });
  afterAll(async () => {
    for (const s of servers) await s.stop();
    await sms.close();
  });

  async function closedPort(): Promise<number> {
    const srv = net.createServer();
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => srv.close(() => resolve()));
    return port;
  }

  it('reports each undelivered notice with the reason, audits it, and refuses a code it could not send', async () => {
    sms.failWith = 500;
    const server = await startTestHub({ SMTP_HOST: '127.0.0.1', SMTP_PORT: String(await closedPort()), SMTP_REQUIRE_TLS: 'off', SMS_URL: sms.url, MESSAGES_TIMEOUT_MS: '3000' });
    servers.push(server);
    const api = apiClient(server);
    const M = await setupMeeting(server);
    const r = await api(`/api/meetings/${M.meetingId}/notice`, { token: M.org, body: { form: 'in-person-online', agenda: [{ title: 'Отчёт' }] } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.totals).toEqual({ recipients: 7, delivered: 0, failed: 7, noContact: 0 });
    const r3 = (r.body.deliveries as { rows: string[]; sent: { channel: string; ok: boolean; error: string }[] }[]).find((d) => d.rows[0] === 'r3')!;
    expect(r3.sent).toEqual([{ channel: 'sms', to: '+7******0003', ok: false, error: 'The SMS to +79000000003 was not sent: the SMS gateway answered 500.' }]);
    const r1 = (r.body.deliveries as { rows: string[]; sent: { error: string }[] }[]).find((d) => d.rows[0] === 'r1')!;
    expect(r1.sent[0]!.error).toMatch(/^The e-mail to one@example.test was not sent: /);
    const audit = (await api(`/api/meetings/${M.meetingId}/ledger`, { token: M.org })).body.audit as { type: string }[];
    expect(audit.filter((a) => a.type === 'notice.not-sent')).toHaveLength(8);
    expect(await api(`/api/meetings/${M.meetingId}/login/code`, { body: { address: '+79000000003' } })).toMatchObject({ status: 502, body: { code: 'not-sent', error: expect.stringContaining('SMS gateway answered 500') } });
    sms.failWith = null;
  });

  it('without the development gateway, a channel that is not configured says which setting is missing', async () => {
    sms.failWith = null;
    const server = await startTestHub({ MESSAGES_DEV: 'off', SMS_URL: sms.url });
    servers.push(server);
    const api = apiClient(server);
    const M = await setupMeeting(server);
    expect(await api(`/api/meetings/${M.meetingId}/login/code`, { body: { address: 'one@example.test' } })).toMatchObject({
      status: 502,
      body: { error: 'E-mail is not configured on this hub (set SMTP_HOST).' },
    });
    expect(await api(`/api/meetings/${M.meetingId}/login/code`, { body: { address: '+79000000002' } })).toMatchObject({ status: 202 });
    expect(sms.messages.at(-1)!.text).toMatch(/^Код входа на собрание: \d{6}\./);
    expect((await api(`/api/meetings/${M.meetingId}/outbox`, { token: M.org })).body).toEqual({ gateway: { email: 'none', sms: 'sms-http' }, messages: [] });
  });

  it('limits login requests per remote address, answering 429 with Retry-After, audited once', async () => {
    const server = await startTestHub({ IDENTITY_RATE_PER_MINUTE: '5' });
    servers.push(server);
    const api = apiClient(server);
    const M = await setupMeeting(server);
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await fetch(`${server.url}/api/meetings/${M.meetingId}/login/link`, { method: 'POST', body: JSON.stringify({ token: `guess-${i}-xxxxxxxxxxxxxxxx` }) }));
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    expect(Number(answers[5]!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await answers[5]!.json()) as { error: string }).error).toMatch(/Too many login requests from your address/);
    const audit = (await api(`/api/meetings/${M.meetingId}/ledger`, { token: M.org })).body.audit as { type: string; data: { code: string } }[];
    expect(audit.filter((a) => a.type === 'identity.refused').map((a) => a.data.code)).toEqual(['unknown-link', 'unknown-link', 'unknown-link', 'unknown-link', 'unknown-link', 'rate-limited']);
  });
});
