/**
 * The message gateway: how the hub reaches people outside the meeting (invitations, one-time codes,
 * signature confirmations). Adapters: e-mail over SMTP, SMS over an HTTP gateway, and a development
 * adapter that writes messages to the log and keeps them for the organizer's outbox page.
 */

/** A message to one address. */
export interface OutgoingMessage {
  channel: 'email' | 'sms';
  /** An e-mail address or a phone number. */
  to: string;
  subject: string;
  text: string;
  /** What the message is for (e.g. 'invitation', 'login-code', 'signature-code'): for logs and the outbox. */
  purpose: string;
  meetingId?: string;
  /** The text carries a secret (a login link, a one-time code): adapters must never write it to a log. */
  sensitive?: boolean;
}

/** A sent message as the outbox shows it. */
export interface SentMessage extends OutgoingMessage {
  id: string;
  at: number;
}

/** Sends messages. Implementations resolve once the message is handed over (or throw a readable Error). */
export interface MessageGateway {
  send(m: OutgoingMessage): Promise<SentMessage>;
  /** Messages this gateway keeps for inspection (development adapter only; others return []). */
  outbox(meetingId?: string): SentMessage[];
  /** Releases connections (SMTP pools). Optional: adapters without resources omit it. */
  close?(): Promise<void>;
}
