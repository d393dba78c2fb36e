/**
 * Bad input to identity and admission: each refused with a reason a person can read, audited in the
 * meeting it concerns, and nothing else affected (nobody validated or admitted, no ballot counted).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import crypto from 'node:crypto';
import path from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { readParticipants, readQuestions, readQuorum } from '../../shared/docs.ts';
import type { HubClient } from '../../shared/client/HubClient.ts';
import { startHub, type HubServer } from '../app.ts';
import { ALL_METHODS, PDF, REGISTER_CSV, apiClient, browserKey, connectWith, setupMeeting, startIdp } from '../identity/test/fixtures.ts';
import { testConfig, waitFor } from './helpers.ts';

/** Two more rows that share an e-mail address and a tax number (a lawyer's address on two claims; one group of companies). */
const CSV = `${REGISTER_CSV}\nr8,ООО «Восемь»,7701000089,100000.00,no,shared@example.test,\nr9,ООО «Девять»,7701000089,200000.00,no,shared@example.test,`;
const MIN = 60_000;

describe('bad input to identity is refused with a reason, audited, and changes nothing else', () => {
  let idp: Awaited<ReturnType<typeof startIdp>>;
  let server: HubServer;
  let api: ReturnType<typeof apiClient>;
  const logs: string[] = [];
  let A = { meetingId: '', org: '' };
  let B = { meetingId: '', org: '' };
  let dataDir = '';
  const clients: HubClient[] = [];
  /** Participant ids by register row in meeting A. */
  const rowsA = new Map<string, string>();

  beforeAll(async () => {
    idp = await startIdp();
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    });
    const config = testConfig({
      IDP_JWKS_URL: idp.jwksUrl,
      IDP_ISSUER: idp.issuer,
      IDP_AUDIENCE: idp.audience,
      POA_MAX_BYTES: '4096',
      IDENTITY_RATE_PER_MINUTE: '10000',
      CODE_MAX_PER_ROW: '3',
      CODE_MAX_PER_ADDRESS: '3',
    });
    dataDir = config.dataDir;
    server = await startHub(config, { log: pino({ level: 'trace' }, sink) });
    api = apiClient(server);
    A = await setupMeeting(server, { csv: CSV, methods: ALL_METHODS, title: 'Собрание А' });
    B = await setupMeeting(server, { methods: ALL_METHODS, title: 'Собрание Б' });
    for (const m of [A, B]) {
      const r = await api(`/api/meetings/${m.meetingId}/notice`, {
        token: m.org,
        body: { form: 'mixed', absenteeDeadline: new Date(Date.now() + 19 * 24 * 3600_000).toISOString(), agenda: [{ title: 'Отчёт управляющего' }] },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      if (m === A) for (const d of r.body.deliveries as { userId: string; rows: string[] }[]) for (const row of d.rows) rowsA.set(row, d.userId);
    }
  });

  afterAll(async () => {
    vi.useRealTimers();
    for (const c of clients) c.close();
    await server.stop();
    await idp.close();
  });

  const outbox = async (m: { meetingId: string; org: string }, to: string) =>
    ((await api(`/api/meetings/${m.meetingId}/outbox`, { token: m.org })).body.messages as { to: string; text: string; purpose: string }[]).filter((x) => x.to === to);
  const tokenIn = async (m: { meetingId: string; org: string }, to: string, kind: 'invite' | 'ballot') => {
    const text = (await outbox(m, to)).find((x) => x.purpose === 'notice')!.text;
    return new RegExp(`[?&]${kind}=([A-Za-z0-9_-]+)`).exec(text)![1]!;
  };
  const codeIn = async (m: { meetingId: string; org: string }, to: string) => /\b(\d{6})\b/.exec((await outbox(m, to)).filter((x) => x.purpose === 'login-code').at(-1)!.text)![1]!;
  const refusals = async (m: { meetingId: string; org: string }) =>
    ((await api(`/api/meetings/${m.meetingId}/ledger`, { token: m.org })).body.audit as { type: string; data: { code: string; method: string } }[]).filter((a) => a.type === 'identity.refused').map((a) => a.data);
  /** Moves the hub's clock (the same process) forward, then back after `fn`. */
  async function later<T>(ms: number, fn: () => Promise<T>): Promise<T> {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + ms);
    try {
      return await fn();
    } finally {
      vi.useRealTimers();
    }
  }

  it('invitation links: unknown, reused, expired, revoked, other-meeting and wrong-purpose links', async () => {
    const login = (m: string, token: string) => api(`/api/meetings/${m}/login/link`, { body: { token } });
    const unknown = await login(A.meetingId, 'x'.repeat(32));
    expect(unknown).toMatchObject({ status: 401, body: { code: 'unknown-link', error: expect.stringContaining('not valid') } });

    const t1 = await tokenIn(A, 'one@example.test', 'invite');
    const otherMeeting = await login(B.meetingId, t1);
    expect(otherMeeting).toMatchObject({ status: 403, body: { code: 'other-meeting', error: 'This link belongs to another meeting. Open the link from the notice of this meeting.' } });
    expect((await login(A.meetingId, t1)).status).toBe(200); // presenting it elsewhere did not spend it
    expect(await login(A.meetingId, t1)).toMatchObject({ status: 401, body: { code: 'used', error: expect.stringContaining('works once') } });

    const ballot = await tokenIn(A, 'two@example.test', 'ballot');
    expect(await login(A.meetingId, ballot)).toMatchObject({ status: 400, body: { code: 'wrong-purpose' } });
    const t2 = await tokenIn(A, 'two@example.test', 'invite');
    expect(await api(`/api/meetings/${A.meetingId}/absentee/login`, { body: { token: t2 } })).toMatchObject({ status: 400, body: { code: 'wrong-purpose' } });

    // The organizer revokes r4's links (a notice went to a wrong address); the link is then refused with the date.
    const t4 = await tokenIn(A, 'four@example.test', 'invite');
    const revoked = await api(`/api/meetings/${A.meetingId}/access/revoke`, { token: A.org, body: { userId: rowsA.get('r4'), reason: 'уведомление ушло не тому адресату' } });
    expect(revoked).toMatchObject({ status: 200, body: { revokedLinks: 2, removed: false } });
    expect(await login(A.meetingId, t4)).toMatchObject({ status: 401, body: { code: 'revoked', error: expect.stringMatching(/revoked this link on \d{4}-\d\d-\d\d/) } });
    // A voter may not revoke anything.
    expect((await api(`/api/meetings/${A.meetingId}/access/revoke`, { token: (await login(A.meetingId, t2)).body.token, body: { userId: rowsA.get('r5'), reason: 'x' } })).status).toBe(403);

    // Links expire with the meeting (two days after its start).
    const t6 = await tokenIn(A, 'six@example.test', 'invite');
    const expired = await later(23 * 24 * 3600_000, () => login(A.meetingId, t6));
    expect(expired).toMatchObject({ status: 401, body: { code: 'expired', error: expect.stringContaining('expired on') } });

    // A session of another meeting opens nothing here.
    expect(await api(`/api/meetings/${A.meetingId}/absentee`, { token: B.org })).toMatchObject({ status: 401, body: { code: 'no-session' } });
    expect((await api(`/api/meetings/${A.meetingId}/powers`, { token: B.org })).status).toBe(403);

    const codes = (await refusals(A)).filter((r) => r.method === 'invitation-link' || r.method === 'absentee-link').map((r) => r.code);
    // The link presented at meeting B is audited in A, where it belongs.
    expect(codes).toEqual(['unknown-link', 'other-meeting', 'used', 'wrong-purpose', 'wrong-purpose', 'revoked', 'expired']);
    expect((await refusals(B)).some((r) => r.code === 'other-meeting')).toBe(false);
  });

  it('one-time codes: wrong codes past the limit, floods, expiry, unknown and ambiguous addresses; never logged or stored in clear', async () => {
    const ask = (m: string, body: object) => api(`/api/meetings/${m}/login/code`, { body });
    const verify = (m: string, requestId: string, code: string) => api(`/api/meetings/${m}/login/code/verify`, { body: { requestId, code } });
    const seen: string[] = [];

    // Five wrong codes lock the request; the right code is then refused too.
    const r5 = await ask(A.meetingId, { address: 'five@example.test' });
    expect(r5.status).toBe(202);
    const right = await codeIn(A, 'five@example.test');
    seen.push(right);
    const wrong = right === '000000' ? '111111' : '000000';
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await verify(A.meetingId, r5.body.requestId, wrong)).body);
    expect(answers.map((a) => [a.code, a.details?.attemptsLeft])).toEqual([['wrong-code', 4], ['wrong-code', 3], ['wrong-code', 2], ['wrong-code', 1], ['locked', 0]]);
    expect(answers[0]!.error).toBe('The code is wrong. 4 attempts left.');
    expect(await verify(A.meetingId, r5.body.requestId, right)).toMatchObject({ status: 401, body: { code: 'locked', error: 'Too many wrong attempts for this code. Request a new code.' } });
    expect((await verify(A.meetingId, r5.body.requestId, 'abc')).status).toBe(422);

    // A flood for one claim: three codes per window, then refused (and audited once, not per request).
    for (let i = 0; i < 3; i++) expect((await ask(A.meetingId, { address: '+7 (900) 000-00-03' })).status).toBe(202);
    seen.push(await codeIn(A, '+79000000003'));
    for (let i = 0; i < 3; i++) {
      const flood = await ask(A.meetingId, { address: '89000000003' });
      expect(flood).toMatchObject({ status: 429, body: { code: 'rate-limited', error: expect.stringContaining('for this claim') } });
    }
    // A flood to one address across claims.
    expect((await ask(A.meetingId, { address: 'shared@example.test', row: 'r8' })).status).toBe(202);
    expect((await ask(A.meetingId, { address: 'shared@example.test', row: 'r8' })).status).toBe(202);
    expect((await ask(A.meetingId, { address: 'shared@example.test', row: 'r9' })).status).toBe(202);
    expect(await ask(A.meetingId, { address: 'shared@example.test', row: 'r9' })).toMatchObject({ status: 429, body: { error: expect.stringContaining('for this address') } });
    seen.push(await codeIn(A, 'shared@example.test'));

    // Unknown, malformed and ambiguous addresses.
    expect(await ask(A.meetingId, { address: 'nobody@example.test' })).toMatchObject({ status: 404, body: { code: 'unknown-address', error: expect.stringContaining('not in the register') } });
    expect(await ask(A.meetingId, { address: 'hello' })).toMatchObject({ status: 422, body: { code: 'invalid-address' } });
    expect(await ask(A.meetingId, { address: 'shared@example.test' })).toMatchObject({
      status: 409,
      body: { code: 'ambiguous', details: { rows: [{ id: 'r8', name: 'ООО «Восемь»' }, { id: 'r9', name: 'ООО «Девять»' }] } },
    });

    // Expired; replaced by a newer code; presented at another meeting (not spent there).
    const r6 = await ask(A.meetingId, { address: 'six@example.test' });
    const c6 = await codeIn(A, 'six@example.test');
    seen.push(c6);
    expect(await later(6 * MIN, () => verify(A.meetingId, r6.body.requestId, c6))).toMatchObject({ status: 401, body: { code: 'expired' } });
    const first = await ask(A.meetingId, { address: 'seven@example.test' });
    const firstCode = await codeIn(A, 'seven@example.test');
    const second = await ask(A.meetingId, { address: 'seven@example.test' });
    const secondCode = await codeIn(A, 'seven@example.test');
    seen.push(firstCode, secondCode);
    expect(await verify(A.meetingId, first.body.requestId, firstCode)).toMatchObject({ status: 401, body: { code: 'replaced' } });
    expect(await verify(B.meetingId, second.body.requestId, secondCode)).toMatchObject({ status: 403, body: { code: 'other-meeting' } });
    const good = await verify(A.meetingId, second.body.requestId, secondCode);
    expect(good).toMatchObject({ status: 200, body: { userId: rowsA.get('r7'), method: 'one-time-code', status: 'lobby' } });
    expect(await verify(A.meetingId, second.body.requestId, secondCode)).toMatchObject({ status: 401, body: { code: 'used' } });

    const codes = (await refusals(A)).filter((r) => r.method === 'one-time-code').map((r) => r.code);
    expect(codes).toEqual(['wrong-code', 'wrong-code', 'wrong-code', 'wrong-code', 'locked', 'locked', 'rate-limited', 'rate-limited', 'unknown-address', 'expired', 'replaced', 'other-meeting', 'used']);

    // Never in the logs (the development gateway logs messages with secrets redacted), never stored in clear.
    const text = logs.join('');
    expect(text).toContain('[secret: see the outbox]');
    for (const c of seen) expect(new RegExp(`(?<![0-9A-Za-z])${c}(?![0-9A-Za-z])`).test(text), `code ${c} in the logs`).toBe(false);
    const db = new Database(path.join(dataDir, 'hub.sqlite'), { readonly: true });
    const stored = db.prepare('SELECT * FROM login_codes').all() as { code_hash: string }[];
    db.close();
    expect(stored.length).toBeGreaterThanOrEqual(seen.length);
    const dump = JSON.stringify(stored);
    for (const c of seen) {
      expect(new RegExp(`(?<![0-9A-Za-z])${c}(?![0-9A-Za-z])`).test(dump), `code ${c} stored in clear`).toBe(false);
      expect(dump).not.toContain(crypto.createHash('sha256').update(c).digest('hex'));
    }
  });

  it('external identity: unknown key, forged signature, wrong audience or issuer, expired, unknown and ambiguous tax numbers', async () => {
    const login = async (idToken: string) => api(`/api/meetings/${A.meetingId}/login/idp`, { body: { idToken } });
    expect(await login(await idp.sign({ inn: '7701000001' }, { key: 'stranger' }))).toMatchObject({ status: 401, body: { code: 'unknown-key' } });
    expect(await login(await idp.sign({ inn: '7701000001' }, { key: 'stranger-same-kid' }))).toMatchObject({ status: 401, body: { code: 'bad-signature' } });
    expect(await login(await idp.sign({ inn: '7701000001' }, { audience: 'someone-else' }))).toMatchObject({ status: 401, body: { code: 'wrong-audience', error: expect.stringContaining('wrong audience') } });
    expect(await login(await idp.sign({ inn: '7701000001' }, { issuer: 'https://evil.example' }))).toMatchObject({ status: 401, body: { code: 'wrong-issuer' } });
    expect(await login(await idp.sign({ inn: '7701000001' }, { exp: Math.floor(Date.now() / 1000) - 120 }))).toMatchObject({ status: 401, body: { code: 'expired' } });
    expect(await login(await idp.sign({ email: 'one@example.test' }))).toMatchObject({ status: 401, body: { code: 'claim-missing' } });
    expect(await login(await idp.sign({ inn: '7709999999' }))).toMatchObject({ status: 403, body: { code: 'unknown-person', error: expect.stringContaining('7709999999') } });
    expect(await login(await idp.sign({ inn: '7701000089' }))).toMatchObject({ status: 409, body: { code: 'ambiguous', details: { rows: ['r8', 'r9'] } } });
    expect(await login('not.a.token-at-all')).toMatchObject({ status: 401, body: { code: 'invalid-token' } });
    const codes = (await refusals(A)).filter((r) => r.method === 'external-idp').map((r) => r.code);
    expect(codes).toEqual(['unknown-key', 'bad-signature', 'wrong-audience', 'wrong-issuer', 'expired', 'claim-missing', 'unknown-person', 'ambiguous', 'invalid-token']);
  });

  it('keys: replayed, wrongly signed, expired and other-meeting challenges; private, malformed and foreign keys', async () => {
    const key = await browserKey();
    const stranger = await browserKey();
    const reg = await api(`/api/meetings/${A.meetingId}/keys`, { token: A.org, body: { userId: rowsA.get('r2'), jwk: key.jwk } });
    expect(reg.status).toBe(201);
    const keyId = reg.body.keyId as string;
    const challenge = async (m = A.meetingId) => (await api(`/api/meetings/${m}/login/key/challenge`, { body: { keyId } })).body as { nonce: string; message: string };
    const login = (nonce: string, signature: string, m = A.meetingId) => api(`/api/meetings/${m}/login/key`, { body: { nonce, signature } });

    const c1 = await challenge();
    expect(await login(c1.nonce, await stranger.sign(c1.message))).toMatchObject({ status: 401, body: { code: 'bad-signature' } });
    // One attempt per nonce: even the right signature is now refused.
    expect(await login(c1.nonce, await key.sign(c1.message))).toMatchObject({ status: 401, body: { code: 'replayed' } });
    const c2 = await challenge();
    expect(await later(3 * MIN, async () => login(c2.nonce, await key.sign(c2.message)))).toMatchObject({ status: 401, body: { code: 'expired' } });
    const c3 = await challenge();
    expect(await login(c3.nonce, await key.sign(c3.message), B.meetingId)).toMatchObject({ status: 403, body: { code: 'other-meeting' } });
    const c4 = await challenge();
    expect(await login(c4.nonce, 'AAAA')).toMatchObject({ status: 401, body: { code: 'bad-signature' } });
    expect(await login(crypto.randomBytes(32).toString('base64url'), await key.sign('anything'))).toMatchObject({ status: 401, body: { code: 'unknown-challenge' } });
    expect(await api(`/api/meetings/${A.meetingId}/login/key/challenge`, { body: { keyId: 'A'.repeat(43) } })).toMatchObject({ status: 404, body: { code: 'unknown-key' } });
    // The right signature on a fresh challenge works once; replaying it is refused.
    const c5 = await challenge();
    const sig = await key.sign(c5.message);
    expect(await login(c5.nonce, sig)).toMatchObject({ status: 200, body: { userId: rowsA.get('r2'), method: 'key-challenge', status: 'lobby' } });
    expect(await login(c5.nonce, sig)).toMatchObject({ status: 401, body: { code: 'replayed' } });

    // Registration: a private key, a malformed key, a point off the curve, someone else's key.
    const withD = { ...key.jwk, d: 'A'.repeat(43) };
    expect(await api(`/api/meetings/${A.meetingId}/keys`, { token: A.org, body: { userId: rowsA.get('r3'), jwk: withD } })).toMatchObject({ status: 422, body: { code: 'private-key' } });
    expect(await api(`/api/meetings/${A.meetingId}/keys`, { token: A.org, body: { userId: rowsA.get('r3'), jwk: { kty: 'EC', crv: 'P-384', x: 'a', y: 'b' } } })).toMatchObject({ status: 422, body: { code: 'invalid-key' } });
    const offCurve = { kty: 'EC', crv: 'P-256', x: Buffer.alloc(32, 1).toString('base64url'), y: Buffer.alloc(32, 2).toString('base64url') };
    expect(await api(`/api/meetings/${A.meetingId}/keys`, { token: A.org, body: { userId: rowsA.get('r3'), jwk: offCurve } })).toMatchObject({ status: 422, body: { code: 'invalid-key' } });
    expect(await api(`/api/meetings/${A.meetingId}/keys`, { token: A.org, body: { userId: rowsA.get('r3'), jwk: key.jwk } })).toMatchObject({ status: 409, body: { code: 'conflict' } });
    const c6 = await challenge();
    const session = (await login(c6.nonce, await key.sign(c6.message))).body.token as string;
    expect(await api(`/api/meetings/${A.meetingId}/keys`, { token: session, body: { userId: rowsA.get('r3'), jwk: stranger.jwk } })).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    expect(await api(`/api/meetings/${A.meetingId}/keys`, { token: session, body: { jwk: stranger.jwk } })).toMatchObject({ status: 201 });
    expect((await api(`/api/meetings/${A.meetingId}/keys`, { token: session })).body.keys).toHaveLength(2);

    const codes = (await refusals(A)).filter((r) => r.method === 'key-challenge').map((r) => r.code);
    expect(codes).toEqual(['bad-signature', 'replayed', 'expired', 'other-meeting', 'bad-signature', 'unknown-challenge', 'unknown-key', 'replayed']);
  });

  it('powers of attorney: forbidden types and sizes, unknown rows, a rejection, and a representative voting for a creditor not approved', async () => {
    const submit = (data: Buffer, rows = ['r5'], name = 'poa.pdf') =>
      api(`/api/meetings/${A.meetingId}/powers`, { body: { name: 'Петров П. П.', phone: '+7 900 111-22-33', rows, file: { name, data: data.toString('base64') } } });
    expect(await submit(Buffer.from('MZ\x90\x00 this is a program'), ['r5'], 'poa.exe')).toMatchObject({ status: 415, body: { code: 'forbidden-type', error: 'A power of attorney must be a PDF, PNG or JPEG file.' } });
    expect(await submit(Buffer.from('GIF89a....'), ['r5'], 'poa.gif')).toMatchObject({ status: 415 });
    expect(await submit(Buffer.from('Доверенность: доверяю Петрову'), ['r5'], 'poa.txt')).toMatchObject({ status: 415 });
    expect(await submit(Buffer.concat([PDF, Buffer.alloc(5000)]))).toMatchObject({ status: 413, body: { code: 'too-large', error: expect.stringContaining('at most') } });
    expect(await submit(PDF, ['r5', 'r404'])).toMatchObject({ status: 422, body: { code: 'unknown-rows', error: expect.stringContaining('r404') } });
    expect((await api(`/api/meetings/${A.meetingId}/powers`, { token: A.org })).body.powers).toEqual([]);

    // Rejected, with the reason the representative reads.
    const rejected = await submit(PDF, ['r6']);
    expect(rejected.status).toBe(201);
    const review = (body: object, id = rejected.body.powerId as string) => api(`/api/meetings/${A.meetingId}/powers/${id}/review`, { token: A.org, body });
    expect((await review({ decision: 'reject' })).status).toBe(422); // a rejection needs a reason
    expect((await review({ decision: 'reject', reason: 'Срок доверенности истёк 01.11.2026' })).status).toBe(200);
    expect(await review({ decision: 'approve' })).toMatchObject({ status: 409, body: { code: 'already-reviewed' } });
    expect(await api(`/api/meetings/${A.meetingId}/login/power`, { body: { claimToken: rejected.body.claimToken } })).toMatchObject({
      status: 403,
      body: { code: 'rejected', error: 'The organizer rejected your power of attorney: Срок доверенности истёк 01.11.2026.' },
    });
    expect((await api(`/api/meetings/${A.meetingId}/powers/${rejected.body.powerId}/document`)).status).toBe(403);
    expect((await api(`/api/meetings/${A.meetingId}/powers/${rejected.body.powerId}/document`, { headers: { 'x-claim-token': rejected.body.claimToken } })).status).toBe(200);

    // Approved for r5 only; a ballot for r6 (not approved) is refused with the reason and audited.
    const partial = await submit(PDF, ['r5', 'r6']);
    expect((await review({ decision: 'approve', rows: ['r5'] }, partial.body.powerId)).status).toBe(200);
    expect(await review({ decision: 'approve', rows: ['r1'] }, (await submit(PDF, ['r5'])).body.powerId)).toMatchObject({ status: 422, body: { error: expect.stringContaining('does not cover r1') } });
    const rep = await api(`/api/meetings/${A.meetingId}/login/power`, { body: { claimToken: partial.body.claimToken } });
    expect(rep).toMatchObject({ status: 200, body: { role: 'representative', rows: ['r5'] } });
    const orgClient = connectWith(server, A.org);
    clients.push(orgClient);
    await orgClient.whenSynced();
    const item = await orgClient.command('agenda.add', { title: 'Вопрос для заочного голосования' });
    const q = await orgClient.command('question.create', {
      itemId: item.ok ? item.value.itemId : '',
      question: { form: 'for-against-abstain', rule: 'majority-present' },
      minOpenSeconds: 0,
      absentee: { from: Date.now() - 1000, until: Date.now() + 3600_000 },
    });
    const questionId = q.ok ? q.value.questionId : '';
    const version = await waitFor(() => readQuestions(orgClient.docs.agenda).find((x) => x.id === questionId)?.version, 'question');
    const cast = (rows: string[]) => api(`/api/meetings/${A.meetingId}/absentee/ballots`, { token: rep.body.token, body: { questionId, version, rows, choice: 'for' } });
    expect(await cast(['r6'])).toMatchObject({ status: 403, body: { code: 'forbidden', error: 'You may not vote for register row r6.' } });
    expect(await api(`/api/meetings/${A.meetingId}/absentee/ballots`, { token: rep.body.token, body: { questionId, version: 'f'.repeat(64), choice: 'for' } })).toMatchObject({ status: 409, body: { code: 'conflict' } });
    expect(await api(`/api/meetings/${A.meetingId}/absentee/ballots`, { token: rep.body.token, body: { questionId, version, choice: 'maybe' } })).toMatchObject({ status: 422, body: { code: 'invalid-args' } });
    expect(await cast(['r5'])).toMatchObject({ status: 201, body: { receipts: [{ row: 'r5' }] } });

    const audit = (await api(`/api/meetings/${A.meetingId}/ledger`, { token: A.org })).body;
    const ballotRefusals = (audit.audit as { type: string; data: { rows: string[]; code: string } }[]).filter((a) => a.type === 'ballot.refused').map((a) => [a.data.code, a.data.rows]);
    expect(ballotRefusals).toEqual([['forbidden', ['r6']], ['conflict', ['r5']], ['invalid-args', ['r5']]]);
    expect((audit.ballots as { row: string }[]).map((b) => b.row)).toEqual(['r5']);
    const codes = (await refusals(A)).filter((r) => r.method === 'power-of-attorney').map((r) => r.code);
    expect(codes).toEqual(['forbidden-type', 'forbidden-type', 'forbidden-type', 'too-large', 'rejected']);
  });

  it('left everything else as it was: nobody admitted by a refusal, the quorum untouched, refusals counted in the lobby', async () => {
    const orgClient = connectWith(server, A.org);
    clients.push(orgClient);
    await orgClient.whenSynced();
    const people = readParticipants(orgClient.docs.participants);
    expect(people.filter((p) => p.status === 'admitted').map((p) => p.role)).toEqual(['organizer']);
    // Only the successful logins above reached the lobby (r2 came by link, then again by key: the latest method shows).
    const lobby = people.filter((p) => p.status === 'lobby').map((p) => [p.rows.join(), p.method]);
    expect(lobby.sort()).toEqual([['r1', 'invitation-link'], ['r2', 'key-challenge'], ['r5', 'power-of-attorney'], ['r7', 'one-time-code']]);
    expect(readQuorum(orgClient.docs.participants)).toMatchObject({ present: '0.00', reached: false });
    const summary = orgClient.docs.participants.getMap('identity').get('summary') as { refusals: number };
    expect(summary.refusals).toBe((await refusals(A)).length);
    // Meeting B saw only its own refusals.
    expect((await refusals(B)).map((r) => r.code)).toEqual([]);
  });
});
