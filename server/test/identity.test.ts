/**
 * Identity and admission through the real hub (port 0): the notice goes out by e-mail over SMTP and
 * SMS over HTTP (both on loopback), one participant is admitted by each of the five methods, the
 * audit log names the method of each, and an absentee voter casts ballots through the one-time link.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readParticipants, readQuorum, readQuestions, readIdentitySummary } from '../../shared/docs.ts';
import type { HubClient } from '../../shared/client/HubClient.ts';
import type { HubServer } from '../app.ts';
import { apiClient, browserKey, connectWith, linkIn, PDF, REGISTER_CSV, startIdp, startSmsGateway, startSmtp, type Mail } from '../identity/test/fixtures.ts';
import { startTestHub, tokenFor, waitFor } from './helpers.ts';

const DAY = 24 * 3600_000;

describe('five ways to validate a participant, through the real hub', () => {
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let sms: Awaited<ReturnType<typeof startSmsGateway>>;
  let idp: Awaited<ReturnType<typeof startIdp>>;
  let server: HubServer;
  let api: ReturnType<typeof apiClient>;
  let meetingId = '';
  let org = '';
  let orgClient: HubClient;
  const clients: HubClient[] = [];
  /** Participant ids by register row, from the notice's answer. */
  const byRow = new Map<string, string>();
  const mailTo = (address: string): Mail[] => smtp.mails.filter((m) => m.to.includes(address));

  beforeAll(async () => {
    [smtp, sms, idp] = await Promise.all([startSmtp(), startSmsGateway(), startIdp()]);
    server = await startTestHub({
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      SMTP_REQUIRE_TLS: 'off',
      SMTP_FROM: 'Арбитражный управляющий <au@example.test>',
      SMS_URL: sms.url,
      SMS_TOKEN: 'sms-secret',
      IDP_JWKS_URL: idp.jwksUrl,
      IDP_ISSUER: idp.issuer,
      IDP_AUDIENCE: idp.audience,
      IDP_LABEL: 'Госуслуги',
    });
    api = apiClient(server);
    const created = await api('/api/meetings', {
      token: await tokenFor(server, 'org-ivanov'),
      body: { title: 'Собрание кредиторов ООО «Василёк»', startsAt: new Date(Date.now() + 20 * DAY).toISOString() },
    });
    expect(created.status).toBe(201);
    meetingId = created.body.id;
    org = created.body.organizerToken;
    expect((await api(`/api/meetings/${meetingId}/register`, { token: org, body: REGISTER_CSV })).body).toEqual({ imported: 7 });
    const settings = await api(`/api/meetings/${meetingId}/identity`, {
      method: 'PUT',
      token: org,
      body: { methods: { 'external-idp': { enabled: true }, 'power-of-attorney': { enabled: true }, 'key-challenge': { enabled: true, autoAdmit: true } } },
    });
    expect(settings.status).toBe(200);
    orgClient = connectWith(server, org);
    clients.push(orgClient);
    await orgClient.whenSynced();
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await server.stop();
    await Promise.all([smtp.close(), sms.close(), idp.close()]);
  });

  const statusOf = (userId: string) => readParticipants(orgClient.docs.participants).find((p) => p.userId === userId);

  async function admit(userId: string): Promise<void> {
    await waitFor(() => statusOf(userId)?.status === 'lobby', `${userId} in the lobby`);
    expect(await orgClient.command('participant.admit', { userId })).toEqual({ ok: true, value: {} });
  }

  it('shows the login screen what the meeting accepts', async () => {
    const r = await api(`/api/meetings/${meetingId}/login`);
    expect(r.status).toBe(200);
    expect(r.body.methods).toEqual(['invitation-link', 'one-time-code', 'external-idp', 'power-of-attorney', 'key-challenge']);
    expect(r.body.idp).toEqual({ label: 'Госуслуги', claim: 'inn' });
    expect(r.body.notice).toBeNull();
  });

  it('publishes the notice: every register row gets its links by e-mail over SMTP and by SMS over HTTP', async () => {
    const r = await api(`/api/meetings/${meetingId}/notice`, {
      token: org,
      body: {
        form: 'mixed',
        absenteeDeadline: new Date(Date.now() + 19 * DAY).toISOString(),
        agenda: [{ title: 'Отчёт конкурсного управляющего' }, { title: 'Утверждение положения о продаже имущества' }],
        howToRead: 'на платформе после входа, с 10:00 до 17:00 по рабочим дням',
      },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.totals).toEqual({ recipients: 7, delivered: 7, failed: 0, noContact: 0 });
    for (const d of r.body.deliveries as { userId: string; rows: string[] }[]) byRow.set(d.rows[0]!, d.userId);
    // Six rows have e-mail, two have phones (r2 has both).
    await waitFor(() => smtp.mails.length === 6, 'six e-mails');
    expect(smtp.mails.map((m) => m.to[0]).sort()).toEqual(['five@example.test', 'four@example.test', 'one@example.test', 'seven@example.test', 'six@example.test', 'two@example.test']);
    const mail = mailTo('one@example.test')[0]!;
    expect(mail.subject).toBe('Уведомление о собрании: Собрание кредиторов ООО «Василёк»');
    expect(mail.text).toContain('Повестка дня:\n1. Отчёт конкурсного управляющего');
    expect(mail.text).toContain('ООО «Один» — 1000000.00 руб.');
    expect(mail.text).toContain(`${server.url}/join?meeting=${meetingId}&invite=`);
    expect(mail.text).toContain(`${server.url}/absentee?meeting=${meetingId}&ballot=`);
    expect(sms.messages.map((m) => m.to).sort()).toEqual(['+79000000002', '+79000000003']);
    expect(sms.messages[0]!.auth).toBe('Bearer sms-secret');
    expect(sms.messages[0]!.text).toMatch(/Вход: http/);
    // The lobby summary and the login screen know the notice went out; the audit log has one record per delivery.
    await waitFor(() => readIdentitySummary(orgClient.docs.participants)?.noticePublishedAt, 'notice in the summary');
    expect((await api(`/api/meetings/${meetingId}/login`)).body.notice.form).toBe('mixed');
    const audit = (await api(`/api/meetings/${meetingId}/ledger`, { token: org })).body.audit as { type: string }[];
    expect(audit.filter((a) => a.type === 'notice.sent')).toHaveLength(8);
    expect(audit.filter((a) => a.type === 'notice.published')).toHaveLength(1);
  });

  it('admits one participant by each of the five methods, and the audit log names the method of each', async () => {
    // 1. The invitation link from the e-mail.
    const invite = new URL(linkIn(mailTo('one@example.test')[0]!.text, `${server.url}/join?`)).searchParams.get('invite')!;
    const byLink = await api(`/api/meetings/${meetingId}/login/link`, { body: { token: invite } });
    expect(byLink.status, JSON.stringify(byLink.body)).toBe(200);
    expect(byLink.body).toMatchObject({ userId: byRow.get('r1'), role: 'voter', rows: ['r1'], method: 'invitation-link', status: 'lobby' });
    const one = connectWith(server, byLink.body.token);
    clients.push(one);
    await one.whenSynced();
    expect(statusOf(byRow.get('r1')!)).toMatchObject({ status: 'lobby', method: 'invitation-link' });
    // In the lobby a participant cannot act yet.
    expect(await one.command('chat.post', { text: 'можно?' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    await admit(byRow.get('r1')!);
    expect((await one.command('chat.post', { text: 'Добрый день' })).ok).toBe(true);

    // 2. A one-time code to the e-mail address in the register.
    const asked = await api(`/api/meetings/${meetingId}/login/code`, { body: { address: 'Two@Example.test' } });
    expect(asked.status, JSON.stringify(asked.body)).toBe(202);
    expect(asked.body).toMatchObject({ channel: 'email', sentTo: 'tw***@example.test' });
    const codeMail = await waitFor(() => mailTo('two@example.test').find((m) => m.subject.startsWith('Код для входа')), 'the code e-mail');
    const code = /\b(\d{6})\b/.exec(codeMail.text)![1]!;
    const byCode = await api(`/api/meetings/${meetingId}/login/code/verify`, { body: { requestId: asked.body.requestId, code } });
    expect(byCode.status, JSON.stringify(byCode.body)).toBe(200);
    expect(byCode.body).toMatchObject({ userId: byRow.get('r2'), rows: ['r2'], method: 'one-time-code', status: 'lobby' });
    await admit(byRow.get('r2')!);

    // 3. An ID token from the external identity provider, mapped by the tax number.
    const byIdp = await api(`/api/meetings/${meetingId}/login/idp`, { body: { idToken: await idp.sign({ sub: 'esia-3', inn: '7701000003' }) } });
    expect(byIdp.status, JSON.stringify(byIdp.body)).toBe(200);
    expect(byIdp.body).toMatchObject({ userId: byRow.get('r3'), rows: ['r3'], method: 'external-idp', status: 'lobby' });
    await admit(byRow.get('r3')!);

    // 4. A representative's power of attorney for r5 and r6; the organizer approves r5 only.
    const creditors = await api(`/api/meetings/${meetingId}/creditors`);
    expect(creditors.body.creditors[4]).toEqual({ id: 'r5', name: 'АО «Пять»' });
    const submitted = await api(`/api/meetings/${meetingId}/powers`, {
      body: { name: 'Орлова Е. В.', email: 'orlova@example.test', rows: ['r5', 'r6'], file: { name: 'доверенность.pdf', data: PDF.toString('base64') } },
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    const claimToken = submitted.body.claimToken as string;
    expect((await api(`/api/meetings/${meetingId}/login/power`, { body: { claimToken } })).status).toBe(202);
    await waitFor(() => readIdentitySummary(orgClient.docs.participants)?.pendingPowers === 1, 'pending power in the lobby');
    const list = await api(`/api/meetings/${meetingId}/powers`, { token: org });
    expect(list.body.powers[0]).toMatchObject({
      status: 'pending',
      representative: { name: 'Орлова Е. В.', email: 'orlova@example.test' },
      rows: [{ id: 'r5', name: 'АО «Пять»', votes: '3000000.00' }, { id: 'r6', name: 'ООО «Шесть»', votes: '700000.00' }],
      document: { type: 'application/pdf', size: PDF.byteLength },
    });
    const doc = await fetch(`${server.url}${list.body.powers[0].document.url}`, { headers: { authorization: `Bearer ${org}` } });
    expect(Buffer.from(await doc.arrayBuffer()).equals(PDF)).toBe(true);
    const reviewed = await api(`/api/meetings/${meetingId}/powers/${submitted.body.powerId}/review`, {
      token: org,
      body: { decision: 'approve', rows: ['r5'], reason: 'Доверенность на ООО «Шесть» не подписана руководителем' },
    });
    expect(reviewed.status, JSON.stringify(reviewed.body)).toBe(200);
    expect(reviewed.body.rows.map((r: { approved: boolean }) => r.approved)).toEqual([true, false]);
    const byPower = await api(`/api/meetings/${meetingId}/login/power`, { body: { claimToken } });
    expect(byPower.status, JSON.stringify(byPower.body)).toBe(200);
    expect(byPower.body).toMatchObject({ role: 'representative', rows: ['r5'], method: 'power-of-attorney', status: 'lobby' });
    const repId = byPower.body.userId as string;
    await admit(repId);

    // 5. A key registered ahead of the meeting; this meeting admits key logins automatically.
    const key = await browserKey();
    const registered = await api(`/api/meetings/${meetingId}/keys`, { token: org, body: { userId: byRow.get('r4'), jwk: key.jwk } });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const challenge = await api(`/api/meetings/${meetingId}/login/key/challenge`, { body: { keyId: registered.body.keyId } });
    expect(challenge.status).toBe(200);
    expect(challenge.body.message).toContain(`meeting: ${meetingId}`);
    const byKey = await api(`/api/meetings/${meetingId}/login/key`, { body: { nonce: challenge.body.nonce, signature: await key.sign(challenge.body.message) } });
    expect(byKey.status, JSON.stringify(byKey.body)).toBe(200);
    expect(byKey.body).toMatchObject({ userId: byRow.get('r4'), method: 'key-challenge', status: 'admitted' });

    // The live quorum follows admissions: r1 + r2 + r3 + r4 + r5 = 8,000,000 of 9,000,000.
    await waitFor(() => readQuorum(orgClient.docs.participants)?.present === '8000000.00', 'quorum after five admissions');
    expect(readQuorum(orgClient.docs.participants)).toMatchObject({ total: '9000000.00', reached: true });

    // The audit log: each participant validated and admitted, with the method.
    const audit = (await api(`/api/meetings/${meetingId}/ledger`, { token: org })).body.audit as { type: string; at: number; data: Record<string, unknown> }[];
    const expected: [string, string, string][] = [
      [byRow.get('r1')!, 'invitation-link', 'org-ivanov'],
      [byRow.get('r2')!, 'one-time-code', 'org-ivanov'],
      [byRow.get('r3')!, 'external-idp', 'org-ivanov'],
      [repId, 'power-of-attorney', 'org-ivanov'],
      [byRow.get('r4')!, 'key-challenge', '@auto-admission'],
    ];
    for (const [userId, method, by] of expected) {
      expect(audit.find((a) => a.type === 'participant.validated' && a.data.userId === userId)?.data.method, `${method} validated`).toBe(method);
      const admitted = audit.find((a) => a.type === 'participant.admitted' && a.data.userId === userId);
      expect(admitted?.data, `${method} admitted`).toMatchObject({ method, by, from: 'lobby' });
      expect(admitted?.at).toEqual(expect.any(Number));
      expect(statusOf(userId)).toMatchObject({ status: 'admitted', method });
    }
    expect(audit.find((a) => a.type === 'power.approved')?.data).toMatchObject({ rows: ['r5'], notApproved: ['r6'], by: 'org-ivanov' });
    expect(audit.find((a) => a.type === 'key.registered')?.data).toMatchObject({ userId: byRow.get('r4'), by: 'org-ivanov' });

    // The representative votes for the approved creditor, and is refused for the other one.
    const rep = connectWith(server, byPower.body.token);
    clients.push(rep);
    await rep.whenSynced();
    const item = await orgClient.command('agenda.add', { title: 'Отчёт конкурсного управляющего' });
    const itemId = item.ok ? item.value.itemId : '';
    const q = await orgClient.command('question.create', { itemId, question: { form: 'for-against-abstain', rule: 'majority-present' }, mode: 'open', minOpenSeconds: 0 });
    const questionId = q.ok ? q.value.questionId : '';
    expect((await orgClient.command('vote.open', { questionId })).ok).toBe(true);
    const version = await waitFor(() => readQuestions(rep.docs.agenda).find((x) => x.id === questionId)?.version, 'question at the representative');
    expect(await rep.command('vote.cast', { questionId, version, rows: ['r5'], choice: 'for' })).toMatchObject({ ok: true, value: { receipts: [{ row: 'r5' }] } });
    const refused = await rep.command('vote.cast', { questionId, version, rows: ['r6'], choice: 'for' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden', message: 'You may not vote for register row r6.' } });
    expect((await orgClient.command('vote.cancel', { questionId, reason: 'проверка' })).ok).toBe(true);
  });

  it('lets an absentee voter cast ballots through the one-time link, come back for receipts and, after close, see the results', async () => {
    const item = await orgClient.command('agenda.add', { title: 'Утверждение положения о продаже имущества' });
    const itemId = item.ok ? item.value.itemId : '';
    const created = await orgClient.command('question.create', {
      itemId,
      question: { form: 'for-against-abstain', rule: 'majority-present' },
      mode: 'closed',
      results: 'after-close',
      minOpenSeconds: 0,
      absentee: { from: Date.now() - 1000, until: Date.now() + 3600_000 },
    });
    expect(created.ok).toBe(true);
    const questionId = created.ok ? created.value.questionId : '';

    const ballotLink = new URL(linkIn(mailTo('seven@example.test')[0]!.text, `${server.url}/absentee?`)).searchParams.get('ballot')!;
    const login = await api(`/api/meetings/${meetingId}/absentee/login`, { body: { token: ballotLink } });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    expect(login.body).toMatchObject({ userId: byRow.get('r7'), rows: ['r7'], method: 'absentee-link', status: 'invited' });
    const token = login.body.token as string;

    const page = await api(`/api/meetings/${meetingId}/absentee`, { token });
    expect(page.status).toBe(200);
    expect(page.body.voter).toEqual({ userId: byRow.get('r7'), name: 'ИП Семёнов С. С.', rows: [{ id: 'r7', name: 'ИП Семёнов С. С.', votes: '300000.00' }] });
    expect(page.body.notice.agenda.map((a: { title: string }) => a.title)).toEqual(['Отчёт конкурсного управляющего', 'Утверждение положения о продаже имущества']);
    const q = (page.body.questions as { id: string; version: string; acceptsBallots: boolean; absentee: { recast: boolean } }[]).find((x) => x.id === questionId)!;
    expect(q).toMatchObject({ acceptsBallots: true, absentee: { recast: false } });
    expect(page.body.receipts).toEqual([]);

    const cast = await api(`/api/meetings/${meetingId}/absentee/ballots`, { token, body: { questionId, version: q.version, choice: 'for', commandId: 'absentee-ballot-1' } });
    expect(cast.status, JSON.stringify(cast.body)).toBe(201);
    expect(cast.body.receipts).toEqual([{ questionId, row: 'r7', seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    // A retry of the same request gets the same receipt; a second ballot is refused (this question keeps the first).
    const retry = await api(`/api/meetings/${meetingId}/absentee/ballots`, { token, body: { questionId, version: q.version, choice: 'for', commandId: 'absentee-ballot-1' } });
    expect(retry.body).toEqual(cast.body);
    const again = await api(`/api/meetings/${meetingId}/absentee/ballots`, { token, body: { questionId, version: q.version, choice: 'against' } });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'already-voted', error: expect.stringContaining('ИП Семёнов С. С.') });

    // Later: the same link logs in again; the receipt is there; no results before the close.
    const back = await api(`/api/meetings/${meetingId}/absentee/login`, { body: { token: ballotLink } });
    expect(back.status).toBe(200);
    const later = await api(`/api/meetings/${meetingId}/absentee`, { token: back.body.token });
    expect(later.body.receipts).toEqual([{ ...cast.body.receipts[0], at: expect.any(Number), counted: true }]);
    expect(later.body.questions.find((x: { id: string }) => x.id === questionId).votedRows).toEqual(['r7']);
    expect(later.body.results).toEqual([]);

    expect((await orgClient.command('vote.open', { questionId })).ok).toBe(true);
    expect((await orgClient.command('vote.close', { questionId })).ok).toBe(true);
    const after = await waitFor(async () => {
      const r = await api(`/api/meetings/${meetingId}/absentee`, { token: back.body.token });
      return r.body.results.length > 0 ? r : null;
    }, 'results after close');
    expect(after.body.results[0]).toMatchObject({ questionId, report: { outcome: expect.any(String) } });
    expect(after.body.questions.find((x: { id: string }) => x.id === questionId).acceptsBallots).toBe(false);

    const audit = (await api(`/api/meetings/${meetingId}/ledger`, { token: org })).body.audit as { type: string; data: Record<string, unknown> }[];
    expect(audit.find((a) => a.type === 'participant.validated' && a.data.userId === byRow.get('r7'))?.data.method).toBe('absentee-link');
    expect(audit.find((a) => a.type === 'ballot.accepted' && a.data.row === 'r7')?.data).toMatchObject({ questionId, absentee: true });
    expect(audit.find((a) => a.type === 'ballot.refused')?.data).toMatchObject({ code: 'already-voted', rows: ['r7'] });
    // An absentee login never puts the voter in the lobby.
    expect(statusOf(byRow.get('r7')!)?.status).toBe('invited');
  });
});
