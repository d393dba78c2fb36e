/**
 * Routes each message to the adapter of its channel (e-mail, SMS), and builds the hub's gateway from
 * the config: SMTP and the HTTP SMS gateway where configured, the development gateway for the rest
 * (when MESSAGES_DEV is on), or a refusal that names the missing setting.
 */
import type { MessagesConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import { DevGateway } from './DevGateway.ts';
import type { MessageGateway, OutgoingMessage, SentMessage } from './MessageGateway.ts';
import { SmsHttpGateway } from './SmsHttpGateway.ts';
import { SmtpGateway } from './SmtpGateway.ts';

type Channel = OutgoingMessage['channel'];

/** A gateway per channel behind one interface. */
export class ChannelGateway implements MessageGateway {
  constructor(private readonly byChannel: Record<Channel, MessageGateway | { missing: string }>) {}

  async send(m: OutgoingMessage): Promise<SentMessage> {
    const g = this.byChannel[m.channel];
    if ('missing' in g) throw new Error(g.missing);
    return g.send(m);
  }

  outbox(meetingId?: string): SentMessage[] {
    const seen = new Set<MessageGateway>();
    const out: SentMessage[] = [];
    for (const g of Object.values(this.byChannel)) {
      if ('missing' in g || seen.has(g)) continue;
      seen.add(g);
      out.push(...g.outbox(meetingId));
    }
    return out.sort((a, b) => a.at - b.at);
  }

  /** Names of the adapters per channel, for the organizer's outbox page and the logs. */
  describe(): Record<Channel, string> {
    const name = (g: MessageGateway | { missing: string }): string =>
      'missing' in g ? 'none' : g instanceof SmtpGateway ? 'smtp' : g instanceof SmsHttpGateway ? 'sms-http' : g instanceof DevGateway ? 'development' : 'custom';
    return { email: name(this.byChannel.email), sms: name(this.byChannel.sms) };
  }

  async close(): Promise<void> {
    const all = new Set(Object.values(this.byChannel));
    await Promise.all([...all].map((g) => ('missing' in g ? undefined : g.close?.())));
  }
}

/** The hub's message gateway for a config. */
export function createMessageGateway(config: MessagesConfig, log: Logger): ChannelGateway {
  const dev = config.dev ? new DevGateway(log.child({ adapter: 'development' })) : null;
  const email = config.smtp
    ? new SmtpGateway({ ...config.smtp, timeoutMs: config.timeoutMs }, log.child({ adapter: 'smtp' }))
    : (dev ?? { missing: 'E-mail is not configured on this hub (set SMTP_HOST).' });
  const sms = config.sms ? new SmsHttpGateway({ ...config.sms, timeoutMs: config.timeoutMs }, log.child({ adapter: 'sms-http' })) : (dev ?? { missing: 'SMS is not configured on this hub (set SMS_URL).' });
  return new ChannelGateway({ email, sms });
}
