/**
 * A meeting's audit log: every legally relevant event (admission, removal, vote opened, ballot
 * accepted, vote closed, document attached, signature) appended and hash-chained. Records become
 * durable with the meeting's next flush, in the same transaction as the change they describe.
 */
import type { AuditRecord } from '../storage/Storage.ts';
import { GENESIS, auditBody, chainHash } from '../ledger/chain.ts';

/** The audit log of one meeting. */
export class AuditLog {
  private pending: AuditRecord[] = [];

  constructor(
    private readonly meetingId: string,
    private readonly records: AuditRecord[],
  ) {}

  /** The head hash (GENESIS when empty): what the protocol carries. */
  get head(): string {
    return this.records.at(-1)?.hash ?? GENESIS;
  }

  /** Every record, in order. */
  get all(): readonly AuditRecord[] {
    return this.records;
  }

  /** Appends an event; it is durable after the meeting's next flush. */
  record(type: string, data: unknown, at: number): AuditRecord {
    const seq = this.records.length + 1;
    const prev = this.head;
    const hash = chainHash(prev, auditBody(this.meetingId, { seq, type, data, at }));
    const r: AuditRecord = { seq, type, data, at, prev, hash };
    this.records.push(r);
    this.pending.push(r);
    return r;
  }

  /** Takes the records appended since the last flush. */
  takePending(): AuditRecord[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}
