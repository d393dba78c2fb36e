import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStorage } from './SqliteStorage.ts';
import type { LedgerRecord } from './Storage.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function file(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-test-'));
  dirs.push(d);
  return path.join(d, 'hub.db');
}

const ballot = (seq: number): LedgerRecord => ({ seq, questionId: 'q', version: 'v', row: `r${seq}`, userId: 'u', choice: 'for', at: 1, prev: 'p', hash: `h${seq}` });
const update = (n: number) => ({ doc: 'chat', update: new Uint8Array([n]) });

describe('SqliteStorage group commit', () => {
  it('commits the batches of several meetings from one turn together, refuses a failing batch alone, and keeps the rest durable', async () => {
    const f = file();
    const s = new SqliteStorage(f);
    await s.appendLog('m1', { entries: [update(1)], commands: [], ballots: [ballot(1)], audit: [] });
    // One turn: m1 repeats ledger position 1 (refused by the primary key); m2 and m3 are fine; m1's next batch must not land after its gap.
    const results = await Promise.allSettled([
      s.appendLog('m2', { entries: [update(2)], commands: [{ key: 'u:c1', result: { id: 'c1', ok: true } }], ballots: [ballot(1)], audit: [] }),
      s.appendLog('m1', { entries: [update(3)], commands: [], ballots: [ballot(1)], audit: [] }),
      s.appendLog('m3', { entries: [update(4)], commands: [], ballots: [], audit: [] }),
      s.appendLog('m1', { entries: [update(5)], commands: [], ballots: [ballot(2)], audit: [] }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    // After the refusal m1 goes on from where it was.
    await s.appendLog('m1', { entries: [update(6)], commands: [], ballots: [ballot(2)], audit: [] });
    await s.close();

    const r = new SqliteStorage(f);
    expect((await r.loadLedger('m1')).map((b) => b.seq)).toEqual([1, 2]);
    expect((await r.loadLedger('m2')).map((b) => b.seq)).toEqual([1]);
    const m1 = await r.loadMeetingState('m1', 10);
    expect(m1.docs.get('chat')?.updates.map((u) => u[0])).toEqual([1, 6]);
    expect((await r.loadMeetingState('m2', 10)).commands.map((c) => c.key)).toEqual(['u:c1']);
    expect((await r.loadMeetingState('m3', 10)).docs.get('chat')?.updates.map((u) => u[0])).toEqual([4]);
    await r.close();
  });

  it('close() commits what was queued in the same turn', async () => {
    const f = file();
    const s = new SqliteStorage(f);
    const p = s.appendLog('m1', { entries: [update(7)], commands: [], ballots: [], audit: [] });
    await s.close();
    await p;
    const r = new SqliteStorage(f);
    expect((await r.loadMeetingState('m1', 10)).docs.get('chat')?.updates.map((u) => u[0])).toEqual([7]);
    await r.close();
  });
});
