/** What a meeting needs to know about, and do with, one joined session. */
import type { Role } from '../../shared/protocol/index.ts';
import type { DocName } from '../../shared/docs.ts';

/** A session as the meeting sees it. */
export interface MeetingSession {
  readonly userId: string;
  readonly name: string;
  readonly role: Role;
  /** Register rows this session votes for. */
  readonly rows: readonly string[];
  readonly awarenessClientId: number;
  readonly writableDocs: readonly DocName[];
  send(frame: Uint8Array): void;
  close(code: number): void;
}
