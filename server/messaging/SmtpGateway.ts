/**
 * E-mail over SMTP (nodemailer, pooled connections). Messages are plain text in UTF-8; the gateway
 * never logs their text (invitations and codes carry secrets), only the envelope.
 */
import crypto from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { Logger } from '../log.ts';
import type { MessageGateway, OutgoingMessage, SentMessage } from './MessageGateway.ts';

/** Connections kept open to the SMTP server (a notice to a large register goes out over these). */
const MAX_CONNECTIONS = 3;

/** SMTP settings (from config.messages.smtp). */
export interface SmtpOptions {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  /** Refuse to send unless the connection is encrypted (STARTTLS required). */
  requireTls: boolean;
  user: string | undefined;
  password: string | undefined;
  /** The From header, e.g. "Арбитражный управляющий <au@example.ru>". */
  from: string;
  timeoutMs: number;
}

/** Sends e-mail through one SMTP server. */
export class SmtpGateway implements MessageGateway {
  private readonly transport: Transporter<SMTPPool.SentMessageInfo, SMTPPool.Options>;

  constructor(
    private readonly opts: SmtpOptions,
    private readonly log: Logger,
  ) {
    this.transport = nodemailer.createTransport({
      pool: true,
      maxConnections: MAX_CONNECTIONS,
      host: opts.host,
      port: opts.port,
      secure: opts.secure,
      requireTLS: opts.requireTls,
      ...(opts.user ? { auth: { user: opts.user, pass: opts.password ?? '' } } : {}),
      connectionTimeout: opts.timeoutMs,
      greetingTimeout: opts.timeoutMs,
      socketTimeout: opts.timeoutMs,
    });
  }

  async send(m: OutgoingMessage): Promise<SentMessage> {
    if (m.channel !== 'email') throw new Error(`The SMTP gateway sends e-mail only, not ${m.channel}.`);
    try {
      const info = await this.transport.sendMail({ from: this.opts.from, to: m.to, subject: m.subject, text: m.text });
      if (info.rejected.length > 0) throw new Error(`The mail server refused the address ${m.to}.`);
      this.log.info({ channel: m.channel, to: m.to, purpose: m.purpose, meeting: m.meetingId, messageId: info.messageId }, 'e-mail sent');
      return { ...m, id: info.messageId || crypto.randomUUID(), at: Date.now() };
    } catch (err) {
      this.log.warn({ err, to: m.to, purpose: m.purpose }, 'e-mail not sent');
      throw new Error(`The e-mail to ${m.to} was not sent: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  outbox(): SentMessage[] {
    return [];
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
