/** The development gateway: writes each message to the log and keeps the last ones in memory for the outbox page. */
import crypto from 'node:crypto';
import type { Logger } from '../log.ts';
import type { MessageGateway, OutgoingMessage, SentMessage } from './MessageGateway.ts';

const KEEP = 1000;

/** Logs messages instead of sending them. */
export class DevGateway implements MessageGateway {
  private readonly sent: SentMessage[] = [];

  constructor(private readonly log: Logger) {}

  async send(m: OutgoingMessage): Promise<SentMessage> {
    const s: SentMessage = { ...m, id: crypto.randomUUID(), at: Date.now() };
    this.sent.push(s);
    if (this.sent.length > KEEP) this.sent.shift();
    // The development adapter exists to show messages; production adapters never log their text, and
    // nothing logs a secret (a one-time code, a login link): those are only in the outbox.
    this.log.info(
      { channel: m.channel, to: m.to, purpose: m.purpose, subject: m.subject, text: m.sensitive ? '[secret: see the outbox]' : m.text },
      'message (development gateway)',
    );
    return s;
  }

  outbox(meetingId?: string): SentMessage[] {
    return this.sent.filter((s) => meetingId === undefined || s.meetingId === meetingId);
  }
}
