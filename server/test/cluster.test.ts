import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { readChat, readQuestions, readTally } from '../../shared/docs.ts';
import type { HubClient } from '../../shared/client/HubClient.ts';
import type { Receipt } from '../../shared/protocol/index.ts';
import type { LedgerRecord } from '../storage/Storage.ts';
import { RedisLog, StaleEpochError } from '../storage/RedisLog.ts';
import { ballotBody, verifyChain, chainHash, GENESIS } from '../ledger/chain.ts';
import { TestCluster, TestRedis } from './clusterHarness.ts';
import { waitFor, DEMO } from './helpers.ts';

const VOTERS: [string, string[]][] = [
  ['cred-stroy', ['c02']], ['cred-fns', ['c03']], ['cred-supply', ['c04']], ['cred-petrov', ['c05']], ['cred-trans', ['c06']],
  ['cred-energo', ['c07']], ['cred-alfa', ['c08']], ['cred-sidorova', ['c09']], ['cred-metal', ['c10']],
];

describe('a cluster of three hubs and one Redis', () => {
  let redis: TestRedis;
  let cluster: TestCluster;
  let r: Redis;
  let org: HubClient;
  const voters = new Map<string, { client: HubClient; hub: number }>();
  let itemId = '';

  beforeAll(async () => {
    redis = await TestRedis.start();
    cluster = new TestCluster(redis);
    await cluster.start(3);
    r = new Redis(redis.url);
    org = await cluster.connect(0, 'org-ivanov', 'organizer');
    for (const [u] of VOTERS) expect((await org.command('participant.admit', { userId: u })).ok).toBe(true);
    await Promise.all(
      VOTERS.map(async ([u, rows], i) => {
        const hub = i % 3;
        voters.set(u, { client: await cluster.connect(hub, u, 'voter', rows), hub });
      }),
    );
    itemId = (org.docs.agenda.getArray<string>('order').toArray()[0] ?? '') as string;
  });

  afterAll(async () => {
    r.disconnect();
    await cluster.stop();
  });

  const ledger = async () => (await r.lrange(`am:m:${DEMO}:ballots`, 0, -1)).map((v) => JSON.parse(v) as LedgerRecord);
  const version = (c: HubClient, q: string) => readQuestions(c.docs.agenda).find((x) => x.id === q)?.version ?? '';

  async function openQuestion(): Promise<string> {
    const created = await org.command('question.create', { itemId, question: { form: 'for-against-abstain', rule: 'majority-present' }, mode: 'open', minOpenSeconds: 0 });
    if (!created.ok) throw new Error(JSON.stringify(created.error));
    expect((await org.command('vote.open', { questionId: created.value.questionId })).ok).toBe(true);
    for (const { client } of voters.values()) await waitFor(() => readQuestions(client.docs.agenda).find((q) => q.id === created.value.questionId)?.status === 'open', 'open question everywhere');
    return created.value.questionId;
  }

  /** Casts with the same command id until answered ok (retrying "unavailable"); null if the client's hub is gone. */
  async function cast(c: HubClient, questionId: string, choice: string, id: string, hub = -1): Promise<Receipt[] | null> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      // A client whose own hub was killed waits for a balancer we do not have: it is out of the storm.
      if (hub >= 0 && cluster.hubs[hub]!.proc.exitCode !== null) return null;
      const res = await Promise.race([
        c.command('vote.cast', { questionId, version: version(c, questionId), choice }, { id }),
        new Promise<null>((res) => setTimeout(() => res(null), 10_000)),
      ]);
      if (res?.ok) return res.value.receipts;
      if (res && !res.ok && res.error.code !== 'unavailable') throw new Error(`${id}: ${res.error.message}`);
      await new Promise((res2) => setTimeout(res2, 200));
    }
    return null;
  }

  it('spreads one meeting over three hubs: chat and concurrent ballots from every hub reach every client, each counted once', async () => {
    expect(new Set(cluster.hubs.map((h) => h.instance)).size).toBe(3);
    const from = voters.get('cred-metal')!; // on hub 2
    expect((await from.client.command('chat.post', { text: 'слышно ли меня на всех узлах?' })).ok).toBe(true);
    for (const { client } of voters.values()) await waitFor(() => readChat(client.docs.chat).some((m) => m.text === 'слышно ли меня на всех узлах?'), 'chat on every hub');
    await waitFor(() => readChat(org.docs.chat).length === 1, 'chat at the organizer');

    const questionId = await openQuestion();
    const receipts = await Promise.all([...voters.entries()].map(([u, { client }], i) => cast(client, questionId, i % 4 === 0 ? 'against' : 'for', `first-${u}`)));
    expect(receipts.every((x) => x?.length === 1)).toBe(true);
    for (const { client } of [...voters.values(), { client: org }]) {
      await waitFor(() => readTally(client.docs.tallies, questionId)?.turnout.voted === 9, 'the same tally on every hub');
    }
    const rows = (await ledger()).filter((b) => b.questionId === questionId).map((b) => b.row);
    expect(rows.sort()).toEqual(VOTERS.map(([, rr]) => rr[0]).sort());
  });

  it('survives SIGKILL of the owner during a ballot storm: every acknowledged ballot is in the ledger once, under a higher epoch', async () => {
    const questionId = await openQuestion();
    const before = await cluster.owner((k) => r.get(k));
    const acked: Receipt[] = [];
    let killed = false;
    const storm = [...voters.entries()].map(async ([u, { client, hub }]) => {
      for (let round = 0; round < 6; round++) {
        const got = await cast(client, questionId, round % 2 ? 'against' : 'for', `storm-${u}-${round}`, hub);
        if (!got) return;
        acked.push(...got);
        if (!killed && acked.length >= 12) {
          killed = true;
          cluster.hubs[before.index]!.proc.kill('SIGKILL');
        }
      }
    });
    await Promise.all(storm);
    expect(killed).toBe(true);
    const after = await waitFor(async () => {
      const o = await cluster.owner((k) => r.get(k));
      return o.index !== before.index && o.index >= 0 ? o : null;
    }, 'a new owner', 20_000);
    expect(after.epoch).toBeGreaterThan(before.epoch);
    const all = await ledger();
    expect(verifyChain(all, (b) => ballotBody(DEMO, b))).toEqual([]);
    const hashes = all.map((b) => b.hash);
    for (const a of acked) expect(hashes.filter((h) => h === a.hash)).toHaveLength(1);
    // Voters on the surviving hubs see a tally that counts their last acknowledged ballots.
    const survivors = [...voters.values()].filter((v) => v.hub !== before.index);
    for (const { client } of survivors) await waitFor(() => client.state === 'open' && readTally(client.docs.tallies, questionId)?.turnout.voted === 9, 'tally after failover', 20_000);
  });

  it('fences a paused owner: after SIGSTOP another hub takes over, and the old owner gives up when it wakes', async () => {
    const before = await cluster.owner((k) => r.get(k));
    const paused = cluster.hubs[before.index]!;
    paused.proc.kill('SIGSTOP');
    const after = await waitFor(async () => {
      const o = await cluster.owner((k) => r.get(k)).catch(() => null);
      return o && o.index !== before.index && o.index >= 0 ? o : null;
    }, 'takeover while the owner is paused', 20_000);
    expect(after.epoch).toBeGreaterThan(before.epoch);
    const active = [...voters.values()].find((v) => v.hub === after.index)!;
    expect((await active.client.command('chat.post', { text: 'новый владелец' })).ok).toBe(true);
    paused.proc.kill('SIGCONT');
    await waitFor(() => paused.log.some((l) => l.includes('lease lost')), 'the woken owner notices it lost the lease', 15_000);
    const all = await ledger();
    expect(verifyChain(all, (b) => ballotBody(DEMO, b))).toEqual([]);
    expect((await cluster.owner((k) => r.get(k))).epoch).toBe(after.epoch);
  });

  it('continues after a Redis restart', async () => {
    const owner = await cluster.owner((k) => r.get(k));
    const speaker = [...voters.values()].find((v) => v.hub === owner.index)!;
    const listener = await waitFor(
      () => [...voters.values()].find((v) => v.hub !== owner.index && cluster.hubs[v.hub]!.proc.exitCode === null && v.client.state === 'open'),
      'a listener on another live hub',
      20_000,
    );
    await redis.stop();
    await redis.run();
    const sent = await waitFor(async () => {
      const res = await speaker.client.command('chat.post', { text: 'после перезапуска Redis' }, { id: 'after-redis-restart' });
      return res.ok ? res : null;
    }, 'a command accepted after Redis is back', 30_000);
    expect(sent.ok).toBe(true);
    await waitFor(() => readChat(listener.client.docs.chat).some((m) => m.text === 'после перезапуска Redis'), 'chat across hubs after the restart', 20_000);
    expect(readChat(listener.client.docs.chat).some((m) => m.text === 'слышно ли меня на всех узлах?')).toBe(true);
  });
});

describe('the Redis log', () => {
  it('refuses an append from an owner whose epoch is stale, and leaves the ledger unchanged', async () => {
    const redis = await TestRedis.start();
    const r = new Redis(redis.url);
    const a = new RedisLog(redis.url);
    const b = new RedisLog(redis.url);
    try {
      await Promise.all([a.ready(), b.ready()]);
      const mid = 'fenced';
      const ballot = (seq: number, prev: string): LedgerRecord => {
        const base = { seq, questionId: 'q', version: 'v', row: 'r1', userId: 'u', choice: 'for', at: 1 };
        return { ...base, prev, hash: chainHash(prev, ballotBody(mid, base)) };
      };
      await r.set(`am:m:${mid}:epoch`, '1');
      a.setEpoch(mid, 1);
      const first = ballot(1, GENESIS);
      await a.appendLog(mid, { entries: [], commands: [], ballots: [first], audit: [] });
      await r.set(`am:m:${mid}:epoch`, '2');
      b.setEpoch(mid, 2);
      await expect(a.appendLog(mid, { entries: [], commands: [], ballots: [ballot(2, first.hash)], audit: [] })).rejects.toBeInstanceOf(StaleEpochError);
      expect(await b.loadLedger(mid)).toEqual([first]);
      // The new owner cannot skip or repeat a ledger position either.
      await expect(b.appendLog(mid, { entries: [], commands: [], ballots: [ballot(3, first.hash)], audit: [] })).rejects.toThrow(/LEDGER_GAP/);
      await b.appendLog(mid, { entries: [], commands: [], ballots: [ballot(2, first.hash)], audit: [] });
      expect((await b.loadLedger(mid)).map((x) => x.seq)).toEqual([1, 2]);
    } finally {
      r.disconnect();
      await a.close();
      await b.close();
      await redis.stop('SIGKILL');
    }
  });
});
