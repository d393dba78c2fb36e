import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { readQuestions, readTally, readAgenda } from '../../shared/docs.ts';
import type { HubServer } from '../app.ts';
import type { HubClient } from '../../shared/client/HubClient.ts';
import { REPO_ROOT } from '../config.ts';
import { connect, startTestHub, tokenFor, waitFor, DEMO } from './helpers.ts';

const run = promisify(execFile);

/** The twelve claims of the demo register are held by nine creditors and one representative (c01, c11, c12). */
const CREDITORS = ['cred-stroy', 'cred-fns', 'cred-supply', 'cred-petrov', 'cred-trans', 'cred-energo', 'cred-alfa', 'cred-sidorova', 'cred-metal'];
const REP = 'rep-orlov';

describe('a whole vote through the real hub', () => {
  let server: HubServer;
  let org: HubClient;
  const voters = new Map<string, HubClient>();
  let items: string[] = [];

  beforeAll(async () => {
    server = await startTestHub();
    org = await connect(server, 'org-ivanov');
    await org.whenSynced();
    for (const u of [...CREDITORS, REP]) expect((await org.command('participant.admit', { userId: u })).ok).toBe(true);
    await Promise.all(
      [...CREDITORS, REP].map(async (u) => {
        const c = await connect(server, u);
        await c.whenSynced();
        voters.set(u, c);
      }),
    );
    items = readAgenda(org.docs.agenda).map((i) => i.id);
  });

  afterAll(async () => {
    for (const c of voters.values()) c.close();
    org.close();
    await server.stop();
  });

  async function createQuestion(args: Parameters<HubClient['command']>[1] & object) {
    const r = await org.command('question.create', args as never);
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    return r.value;
  }

  const versionOf = (c: HubClient, questionId: string) => readQuestions(c.docs.agenda).find((q) => q.id === questionId)?.version ?? '';

  async function castAll(questionId: string, choices: Record<string, unknown>, repChoices: Record<string, unknown>) {
    for (const c of voters.values()) await waitFor(() => versionOf(c, questionId), 'question at voter');
    const results = await Promise.all([
      ...Object.entries(choices).map(([u, choice]) => voters.get(u)!.command('vote.cast', { questionId, version: versionOf(voters.get(u)!, questionId), choice })),
      ...Object.entries(repChoices).map(([row, choice]) =>
        voters.get(REP)!.command('vote.cast', { questionId, version: versionOf(voters.get(REP)!, questionId), rows: [row], choice }),
      ),
    ]);
    for (const r of results) expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
    return results;
  }

  async function closeAndCompare(questionId: string) {
    const closed = await org.command('vote.close', { questionId });
    expect(closed.ok).toBe(true);
    // Every client sees the same final tally.
    const finals = await Promise.all(
      [org, ...voters.values()].map((c) => waitFor(() => {
        const t = readTally(c.docs.tallies, questionId);
        return t?.status === 'closed' && t.visible && t.report ? t : null;
      }, 'final tally at every client')),
    );
    for (const t of finals) expect(t.report).toEqual(finals[0]!.report);
    // The published result equals the auditors' CLI on the ballots exported from the ledger.
    const res = await fetch(`${server.url}/api/meetings/${DEMO}/questions/${questionId}/case.json`, { headers: { authorization: `Bearer ${await tokenFor(server, 'org-ivanov')}` } });
    expect(res.status).toBe(200);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'case-')), 'case.json');
    fs.writeFileSync(file, JSON.stringify(await res.json()));
    const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'server/cli/tally.ts'), file], { cwd: REPO_ROOT });
    expect(JSON.parse(stdout)).toEqual(finals[0]!.report);
    return finals[0]!;
  }

  it('majority of present, open vote: each choice visible live; representative votes each claim differently', async () => {
    const { questionId } = await createQuestion({ itemId: items[0]!, question: { form: 'for-against-abstain', rule: 'majority-present' }, mode: 'open', minOpenSeconds: 0 });
    expect((await org.command('vote.open', { questionId })).ok).toBe(true);
    const choices = Object.fromEntries(CREDITORS.map((u, i) => [u, i % 3 === 2 ? 'against' : 'for']));
    const casts = await castAll(questionId, choices, { c11: 'abstain' });
    expect(casts[0]).toMatchObject({ ok: true, value: { receipts: [{ questionId, seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) }] } });
    // A secured claim carries no vote on this question: refused with a reason, nothing counted.
    const secured = await voters.get(REP)!.command('vote.cast', { questionId, version: versionOf(voters.get(REP)!, questionId), rows: ['c01'], choice: 'for' });
    expect(secured).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    await waitFor(() => (readTally(voters.get('cred-fns')!.docs.tallies, questionId)?.choices?.length ?? 0) === 10, 'open choices visible');
    const t = await closeAndCompare(questionId);
    expect(t.report?.outcome).toBe('adopted');
    expect(t.turnout).toEqual({ voted: 10, eligible: 10 });
  });

  it('majority of register, closed vote: only turnout until close, then the result', async () => {
    const { questionId } = await createQuestion({ itemId: items[1]!, question: { form: 'for-against-abstain', rule: 'majority-register' }, mode: 'closed', minOpenSeconds: 0 });
    expect((await org.command('vote.open', { questionId })).ok).toBe(true);
    // Against: c02 12,400,000.50 + c03 9,850,000.00 + c10 6,780,000.00; for: the other 20,770,001.00 of 49,800,001.50 voting.
    const choices = Object.fromEntries(CREDITORS.map((u) => [u, ['cred-stroy', 'cred-fns', 'cred-metal'].includes(u) ? 'against' : 'for']));
    await castAll(questionId, choices, { c11: 'for' });
    const live = await waitFor(() => {
      const x = readTally(voters.get('cred-petrov')!.docs.tallies, questionId);
      return x?.turnout.voted === 10 ? x : null;
    }, 'turnout');
    expect(live.visible).toBe(false);
    expect(live.report).toBeUndefined();
    expect(live.choices).toBeUndefined();
    const t = await closeAndCompare(questionId);
    expect(t.report?.outcome).toBe('rejected');
  });

  it('cumulative election of three committee members', async () => {
    const candidates = ['Антонов А. А.', 'Борисова Б. Б.', 'Власов В. В.', 'Глебова Г. Г.'];
    const { questionId } = await createQuestion({
      itemId: items[2]!,
      question: { form: 'cumulative', rule: 'cumulative-election', seats: 3, options: candidates },
      mode: 'closed',
      results: 'live',
      minOpenSeconds: 0,
    });
    expect((await org.command('vote.open', { questionId })).ok).toBe(true);
    // c04 holds 7,300,000.00 votes x 3 seats = 21,900,000.00 to spread.
    const overspent = await voters.get('cred-supply')!.command('vote.cast', { questionId, version: versionOf(voters.get('cred-supply')!, questionId), choice: { [candidates[0]!]: '21900000.01' } });
    expect(overspent).toMatchObject({ ok: false, error: { code: 'invalid-args' } });
    const unknown = await voters.get('cred-supply')!.command('vote.cast', { questionId, version: versionOf(voters.get('cred-supply')!, questionId), choice: { 'Никто': '1.00' } });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'invalid-args' } });
    const spread = (u: string) => {
      const weights: Record<string, string> = { 'cred-stroy': '37200001.50', 'cred-fns': '29550000.00' };
      return weights[u] ? { [candidates[(u.length % 4)]!]: weights[u]! } : { [candidates[0]!]: '1000.00', [candidates[1]!]: '1000.00', [candidates[2]!]: '1000.00' };
    };
    await castAll(questionId, Object.fromEntries(CREDITORS.map((u) => [u, spread(u)])), { c11: { [candidates[3]!]: '6450000.00' } });
    const t = await closeAndCompare(questionId);
    expect(t.report?.seats?.total).toBe(3);
  });

  it('choice of the register holder among candidates, with a re-cast that replaces the earlier ballot', async () => {
    const options = ['АО «Реестр-Сервис»', 'ООО «Регистратор»', 'АО «Новый регистратор»'];
    const { questionId } = await createQuestion({ itemId: items[3]!, question: { form: 'one-of', rule: 'choice', options }, mode: 'open', minOpenSeconds: 0 });
    expect((await org.command('vote.open', { questionId })).ok).toBe(true);
    await castAll(questionId, Object.fromEntries(CREDITORS.map((u, i) => [u, options[i % 2]!])), { c11: options[2]! });
    const petrov = voters.get('cred-petrov')!;
    expect((await petrov.command('vote.cast', { questionId, version: versionOf(petrov, questionId), choice: options[1]! })).ok).toBe(true);
    const t = await closeAndCompare(questionId);
    expect(t.report?.counts).toBeDefined();
    const mine = t.choices?.find((c) => c.row === 'c05');
    expect(mine?.choice).toBe(options[1]);
  });

  it('refuses bad ballots with readable reasons and leaves the ledger unchanged', async () => {
    const { questionId, version } = await createQuestion({ itemId: items[0]!, question: { form: 'number', rule: 'majority-present', min: '1.00', max: '100.00' } as never, mode: 'open', minOpenSeconds: 3600 });
    const stroy = voters.get('cred-stroy')!;
    const before = await ledgerSize();
    await waitFor(() => versionOf(stroy, questionId), 'question at voter');
    // Before open.
    expect(await stroy.command('vote.cast', { questionId, version, choice: '5.00' })).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect((await org.command('vote.open', { questionId })).ok).toBe(true);
    // Out of bounds; for somebody else's claim; by an observer; by the organizer; for an outdated version; unknown question.
    expect(await stroy.command('vote.cast', { questionId, version, choice: '500.00' })).toMatchObject({ ok: false, error: { code: 'invalid-args' } });
    expect(await stroy.command('vote.cast', { questionId, version, rows: ['c03'], choice: '5.00' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const obs = await connect(server, 'obs-debtor');
    await obs.whenSynced();
    expect(await obs.command('vote.cast', { questionId, version, choice: '5.00' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    obs.close();
    expect(await org.command('vote.cast', { questionId, version, choice: '5.00' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await stroy.command('vote.cast', { questionId, version: 'f'.repeat(64), choice: '5.00' })).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(await stroy.command('vote.cast', { questionId: 'q-none', version, choice: '5.00' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(await ledgerSize()).toBe(before);
    // The same command id twice is stored once.
    const a = await stroy.command('vote.cast', { questionId, version, choice: '5.00' }, { id: 'ballot-retry-1' });
    const b = await stroy.command('vote.cast', { questionId, version, choice: '5.00' }, { id: 'ballot-retry-1' });
    expect(b).toEqual(a);
    expect(await ledgerSize()).toBe(before + 1);
    // Too early to close while voters are missing.
    expect(await org.command('vote.close', { questionId })).toMatchObject({ ok: false, error: { code: 'conflict' } });
    // Editing the question invalidates the ballot cast for the old wording, visibly.
    const edited = await org.command('question.update', { questionId, itemId: items[0]!, question: { form: 'number', rule: 'majority-present', min: '1.00', max: '50.00' } as never, mode: 'open', minOpenSeconds: 3600 });
    expect(edited).toMatchObject({ ok: true, value: { invalidated: 1 } });
    await waitFor(() => readTally(stroy.docs.tallies, questionId)?.invalidated === 1, 'invalidated ballot visible');
    expect((await org.command('vote.cancel', { questionId, reason: 'вопрос снят' })).ok).toBe(true);
    expect(await stroy.command('vote.cast', { questionId, version: versionOf(stroy, questionId), choice: '5.00' })).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(await ledgerSize()).toBe(before + 1);
  });

  async function ledgerSize(): Promise<number> {
    const res = await fetch(`${server.url}/api/meetings/${DEMO}/ledger`, { headers: { authorization: `Bearer ${await tokenFor(server, 'org-ivanov')}` } });
    const body = (await res.json()) as { ballots: unknown[] };
    return body.ballots.length;
  }
});

describe('live turnout during a ballot storm', () => {
  it('moves at most once per TALLY_INTERVAL_MS while ballots arrive, yet closing shows the final tally at once', async () => {
    // A long interval makes the throttle visible; the default is 100 ms.
    const server = await startTestHub({ TALLY_INTERVAL_MS: '1500' });
    const org = await connect(server, 'org-ivanov');
    await org.whenSynced();
    const voters = CREDITORS.slice(0, 4);
    for (const u of voters) expect((await org.command('participant.admit', { userId: u })).ok).toBe(true);
    const clients = await Promise.all(voters.map(async (u) => {
      const c = await connect(server, u);
      await c.whenSynced();
      return c;
    }));
    try {
      const itemId = readAgenda(org.docs.agenda)[0]!.id;
      const created = await org.command('question.create', { itemId, question: { form: 'for-against-abstain', rule: 'majority-present' }, mode: 'closed', minOpenSeconds: 0 });
      if (!created.ok) throw new Error(JSON.stringify(created.error));
      const { questionId, version } = created.value;
      expect((await org.command('vote.open', { questionId })).ok).toBe(true);
      // Opening is a change of state: shown at once.
      expect(readTally(org.docs.tallies, questionId)).toMatchObject({ status: 'open', turnout: { voted: 0 } });
      const cast = (c: HubClient) => c.command('vote.cast', { questionId, version, choice: 'for' });
      // The first ballot after the refresh of the opening waits for the interval.
      expect((await cast(clients[0]!)).ok).toBe(true);
      expect((await cast(clients[1]!)).ok).toBe(true);
      expect(readTally(org.docs.tallies, questionId)?.turnout.voted).toBe(0);
      // ...and then shows every ballot cast so far in one refresh.
      await waitFor(() => readTally(org.docs.tallies, questionId)?.turnout.voted === 2, 'turnout after the interval', 5000);
      expect((await cast(clients[2]!)).ok).toBe(true);
      // Closing does not wait: the acknowledgement comes after the final tally is visible.
      expect((await org.command('vote.close', { questionId })).ok).toBe(true);
      expect(readTally(org.docs.tallies, questionId)).toMatchObject({ status: 'closed', visible: true, turnout: { voted: 3 }, report: { outcome: expect.any(String) } });
    } finally {
      for (const c of clients) c.close();
      org.close();
      await server.stop();
    }
  });
});

describe('live turnout follows the roster', () => {
  let server: HubServer;
  let org: HubClient;

  beforeAll(async () => {
    server = await startTestHub();
    org = await connect(server, 'org-ivanov');
    await org.whenSynced();
  });

  afterAll(async () => {
    org.close();
    await server.stop();
  });

  it('counts as eligible exactly the claims of admitted creditors, as they are admitted and removed during the vote', async () => {
    for (const u of ['cred-stroy', 'cred-fns', 'cred-supply']) expect((await org.command('participant.admit', { userId: u })).ok).toBe(true);
    const itemId = readAgenda(org.docs.agenda)[0]!.id;
    const r = await org.command('question.create', { itemId, question: { form: 'for-against-abstain', rule: 'majority-present' }, mode: 'closed', minOpenSeconds: 0 });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    const { questionId } = r.value as { questionId: string };
    expect((await org.command('vote.open', { questionId })).ok).toBe(true);
    const eligible = (n: number) => waitFor(() => readTally(org.docs.tallies, questionId)?.turnout.eligible === n, `${n} eligible`);
    await eligible(3);
    // The representative holds three claims, two of them secured (no vote on this question): one more.
    expect((await org.command('participant.admit', { userId: 'rep-orlov' })).ok).toBe(true);
    await eligible(4);
    expect((await org.command('participant.remove', { userId: 'cred-fns', reason: 'test' })).ok).toBe(true);
    await eligible(3);
    expect((await org.command('participant.admit', { userId: 'cred-petrov' })).ok).toBe(true);
    await eligible(4);
  });
});
