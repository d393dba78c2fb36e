/**
 * SMS over an HTTP gateway: one JSON POST per message to a configured URL.
 *
 *   POST <SMS_URL>   content-type: application/json   authorization: Bearer <SMS_TOKEN> (when set)
 *   { "to": "+79001234567", "text": "...", "sender": "<SMS_SENDER>" (when set), "purpose": "login-code" }
 *
 * Any 2xx answer means the gateway took the message; a JSON answer with an `id` names it. Providers
 * with another shape sit behind a small adapter service that speaks this one.
 */
import crypto from 'node:crypto';
import type { Logger } from '../log.ts';
import type { MessageGateway, OutgoingMessage, SentMessage } from './MessageGateway.ts';

/** SMS gateway settings (from config.messages.sms). */
export interface SmsHttpOptions {
  url: string;
  token: string | undefined;
  sender: string | undefined;
  timeoutMs: number;
}

/** Sends SMS through an HTTP gateway. */
export class SmsHttpGateway implements MessageGateway {
  constructor(
    private readonly opts: SmsHttpOptions,
    private readonly log: Logger,
  ) {}

  async send(m: OutgoingMessage): Promise<SentMessage> {
    if (m.channel !== 'sms') throw new Error(`The SMS gateway sends SMS only, not ${m.channel}.`);
    let res: Response;
    try {
      res = await fetch(this.opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}) },
        body: JSON.stringify({ to: m.to, text: m.text, purpose: m.purpose, ...(this.opts.sender ? { sender: this.opts.sender } : {}) }),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
    } catch (err) {
      this.log.warn({ err, to: m.to, purpose: m.purpose }, 'SMS gateway unreachable');
      throw new Error(`The SMS to ${m.to} was not sent: the SMS gateway did not answer.`, { cause: err });
    }
    const body = await res.text().catch(() => '');
    if (!res.ok) {
      this.log.warn({ status: res.status, to: m.to, purpose: m.purpose }, 'SMS gateway refused a message');
      throw new Error(`The SMS to ${m.to} was not sent: the SMS gateway answered ${res.status}.`);
    }
    this.log.info({ channel: m.channel, to: m.to, purpose: m.purpose, meeting: m.meetingId }, 'SMS sent');
    return { ...m, id: gatewayId(body) ?? crypto.randomUUID(), at: Date.now() };
  }

  outbox(): SentMessage[] {
    return [];
  }
}

/** The message id from a gateway's JSON answer, if it names one. */
function gatewayId(body: string): string | null {
  try {
    const v: unknown = JSON.parse(body);
    if (typeof v === 'object' && v !== null && 'id' in v && (typeof v.id === 'string' || typeof v.id === 'number')) return String(v.id).slice(0, 200);
  } catch {
    // Not JSON: the gateway took the message without naming it.
  }
  return null;
}
