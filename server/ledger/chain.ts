/**
 * Hash chains for the ballot ledger and the audit log: each record's hash is SHA-256 over the
 * previous hash, a newline and the canonical JSON of the record's body. The first record's
 * previous hash is GENESIS. The protocol carries the heads; the verifier recomputes them.
 */
import crypto from 'node:crypto';
import { canonicalJson } from '../../shared/canonical.ts';

/** The previous hash of the first record of any chain. */
export const GENESIS = '0'.repeat(64);

/** SHA-256 (hex) of a string or bytes. */
export function sha256(data: string | Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** The hash of a record given the previous hash and the record's body. */
export function chainHash(prev: string, body: unknown): string {
  return sha256(`${prev}\n${canonicalJson(body)}`);
}

/** The hashed body of a ballot (what its hash covers). */
export function ballotBody(meetingId: string, r: { seq: number; questionId: string; version: string; row: string; userId: string; choice: unknown; at: number }): object {
  return { kind: 'ballot', meetingId, seq: r.seq, questionId: r.questionId, version: r.version, row: r.row, userId: r.userId, choice: r.choice, at: r.at };
}

/** The hashed body of an audit record. */
export function auditBody(meetingId: string, r: { seq: number; type: string; data: unknown; at: number }): object {
  return { kind: 'audit', meetingId, seq: r.seq, type: r.type, data: r.data, at: r.at };
}

/** A problem found while checking a chain. */
export interface ChainProblem {
  seq: number;
  message: string;
}

/** Checks a chain's order, links and hashes; returns the problems found (none for a sound chain). */
export function verifyChain<T extends { seq: number; prev: string; hash: string }>(records: readonly T[], body: (r: T) => unknown): ChainProblem[] {
  const problems: ChainProblem[] = [];
  let prev = GENESIS;
  records.forEach((r, i) => {
    if (r.seq !== i + 1) problems.push({ seq: r.seq, message: `record ${i + 1} has sequence number ${r.seq} (records missing or reordered)` });
    if (r.prev !== prev) problems.push({ seq: r.seq, message: `record ${r.seq} does not link to the record before it` });
    const expected = chainHash(r.prev, body(r));
    if (expected !== r.hash) problems.push({ seq: r.seq, message: `record ${r.seq} was altered: its hash does not match its content` });
    prev = r.hash;
  });
  return problems;
}
