/**
 * A session connected to another hub, as the owner sees it when that hub forwards a command:
 * its answers travel back over the forwarding hub's channel.
 */
import type { Role } from '../../shared/protocol/index.ts';
import type { DocName } from '../../shared/docs.ts';
import type { MeetingSession } from '../meeting/MeetingSession.ts';

/** A forwarded session: identity from the forwarding hub (hubs trust each other), replies by publish. */
export class RemoteSession implements MeetingSession {
  readonly awarenessClientId = -1;
  readonly writableDocs: readonly DocName[] = [];
  lastUsed = Date.now();

  constructor(
    readonly key: string,
    readonly hub: string,
    readonly userId: string,
    readonly name: string,
    readonly role: Role,
    readonly rows: readonly string[],
    private readonly reply: (frame: Uint8Array) => void,
    private readonly closer: (code: number) => void,
  ) {}

  send(frame: Uint8Array): void {
    this.reply(frame);
  }

  close(code: number): void {
    this.closer(code);
  }
}
