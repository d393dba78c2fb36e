/**
 * Ballots cast from this browser, kept so a voter still sees their choice and receipts after a
 * reload. Per register row: a representative may vote each claim differently.
 */
import type { Receipt } from '$shared/protocol/commands.ts';

/** One row's ballot: what was chosen and the ledger's receipt. */
export interface RowBallot {
  choice: unknown;
  receipt: Receipt;
}

/** What this browser remembers of its ballots on one question version. */
export interface StoredBallot {
  version: string;
  rows: Record<string, RowBallot>;
}

const key = (meetingId: string) => `agora.ballots.${meetingId}`;

function all(meetingId: string): Record<string, StoredBallot> {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(key(meetingId)) ?? '{}');
    return typeof v === 'object' && v !== null ? (v as Record<string, StoredBallot>) : {};
  } catch {
    return {};
  }
}

/** The remembered ballots for a question, if any. */
export function loadBallot(meetingId: string, questionId: string): StoredBallot | null {
  const b = all(meetingId)[questionId];
  return b && typeof b.version === 'string' && typeof b.rows === 'object' && b.rows !== null ? b : null;
}

/** Remembers accepted ballots; rows voted again replace their earlier entry, a new question version starts afresh. */
export function saveBallot(meetingId: string, questionId: string, version: string, choice: unknown, receipts: readonly Receipt[]): StoredBallot {
  const prev = loadBallot(meetingId, questionId);
  const rows = prev && prev.version === version ? { ...prev.rows } : {};
  for (const r of receipts) rows[r.row] = { choice, receipt: r };
  const next: StoredBallot = { version, rows };
  try {
    localStorage.setItem(key(meetingId), JSON.stringify({ ...all(meetingId), [questionId]: next }));
  } catch {
    // Not remembered; the receipt is still shown until the page is left.
  }
  return next;
}
