/** The participants document: the roster with admission status and weights, and the live quorum. */
import type * as Y from 'yjs';
import { Layout, ParticipantSchema, type Participant } from '../../shared/docs.ts';
import { parseAmount, formatAmount } from '../../shared/voting/money.ts';
import type { ParticipantRecord, RegisterRow } from '../storage/Storage.ts';

/** The voting weight of a set of register rows, in kopecks. Secured claims carry no vote at the meeting level. */
export function weightOf(rows: readonly string[], register: readonly RegisterRow[]): bigint {
  const byId = new Map(register.map((r) => [r.id, r]));
  let total = 0n;
  for (const id of rows) {
    const r = byId.get(id);
    if (!r || r.secured) continue;
    const v = parseAmount(r.votes);
    if (v.ok) total += v.value;
  }
  return total;
}

/** Adds roster entries missing from the document (status "invited") and refreshes names, roles, rows and weights. */
export function syncParticipants(doc: Y.Doc, roster: readonly ParticipantRecord[], register: readonly RegisterRow[], names: ReadonlyMap<string, string> = new Map()): void {
  const people = Layout.people(doc);
  doc.transact(() => {
    for (const r of roster) {
      const existing = ParticipantSchema.safeParse(people.get(r.userId));
      const weight = formatAmount(weightOf(r.rows, register));
      const byId = new Map(register.map((row) => [row.id, row]));
      const claims = r.rows.flatMap((id) => {
        const row = byId.get(id);
        return row ? [{ row: id, votes: row.votes, secured: row.secured }] : [];
      });
      const name = names.get(r.userId) ?? (existing.success ? existing.data.name : r.userId);
      const next: Participant = existing.success
        ? { ...existing.data, role: r.role, rows: r.rows, weight, claims, name }
        : { userId: r.userId, name, role: r.role, rows: r.rows, weight, claims, status: 'invited' };
      if (JSON.stringify(next) !== JSON.stringify(people.get(r.userId))) people.set(r.userId, next);
    }
  });
}

/** Recomputes the live quorum from admissions: admitted voting weight over all voting weight in the register. */
export function recomputeQuorum(doc: Y.Doc, register: readonly RegisterRow[]): void {
  const people = Layout.people(doc);
  const admittedRows = new Set<string>();
  for (const v of people.values()) {
    const p = ParticipantSchema.safeParse(v);
    if (p.success && p.data.status === 'admitted') for (const row of p.data.rows) admittedRows.add(row);
  }
  const total = weightOf(register.map((r) => r.id), register);
  const present = weightOf([...admittedRows], register);
  const next = { present: formatAmount(present), total: formatAmount(total), reached: present * 2n > total };
  const quorum = Layout.quorum(doc);
  if (JSON.stringify(quorum.get('current')) !== JSON.stringify(next)) quorum.set('current', next);
}
