/**
 * Method 2, one-time codes: six digits sent to the e-mail address or phone number the register holds
 * for the row, short-lived, at most a few attempts, rate-limited per row and per address. The code is
 * never stored or logged in clear: storage keeps an HMAC under the hub's identity key.
 */
import crypto from 'node:crypto';
import type { Hub } from '../hub/Hub.ts';
import type { RegisterRow } from '../storage/Storage.ts';
import { addressHash, maskAddress, normalizeEmail, normalizePhone, parseAddress } from './addresses.ts';
import { codeHash } from './identityKey.ts';
import { completeValidation, creditorFor, requireEnabled, type Login } from './admission.ts';
import { auditRefusal } from './meetingEffects.ts';
import { ok, refuse, type Outcome, type Refusal } from './outcome.ts';
import { WindowLimiter } from './WindowLimiter.ts';

const METHOD = 'one-time-code';
const CODE_DIGITS = 6;

/** What the person sees after asking for a code. */
export interface CodeSent {
  requestId: string;
  channel: 'email' | 'sms';
  /** The masked address the code went to. */
  sentTo: string;
  expiresAt: number;
}

/** One-time login codes for a hub. */
export class LoginCodes {
  /** Remembers which rows and addresses hit the limit this window, so a flood is audited once. */
  private readonly floods: WindowLimiter;

  constructor(
    private readonly hub: Hub,
    private readonly key: Buffer,
  ) {
    this.floods = new WindowLimiter(0, hub.config.identity.codeWindowSeconds * 1000);
  }

  private get cfg() {
    return this.hub.config.identity;
  }

  private async refused(meetingId: string, r: Refusal, data: Record<string, unknown> = {}): Promise<Refusal> {
    await auditRefusal(this.hub, meetingId, METHOD, r, data);
    return r;
  }

  /** Sends a code to the register's contact matching `address` (and `row`, when the address is on several rows). */
  async request(meetingId: string, a: { address: string; row?: string | undefined }): Promise<Outcome<CodeSent>> {
    const disabled = await requireEnabled(this.hub, meetingId, METHOD);
    if (disabled) return disabled;
    const addr = parseAddress(a.address);
    if (!addr) return refuse(422, 'invalid-address', 'Enter the e-mail address or the phone number you gave the arbitration manager (e.g. name@example.ru or +7 900 123-45-67).');
    const masked = maskAddress(addr.channel, addr.value);
    const register = await this.hub.storage.listRegister(meetingId);
    const contact = (r: RegisterRow): string | null => (addr.channel === 'email' ? normalizeEmail(r.email) : normalizePhone(r.phone));
    let rows = register.filter((r) => contact(r) === addr.value);
    if (a.row !== undefined) rows = rows.filter((r) => r.id === a.row);
    if (rows.length === 0) {
      return this.refused(
        meetingId,
        refuse(404, 'unknown-address', `${addr.channel === 'email' ? 'This e-mail address' : 'This phone number'} is not in the register of this meeting${a.row ? ' for that claim' : ''}. Use the contact you gave the arbitration manager, or ask the organizer.`),
        { address: masked },
      );
    }
    const who = await creditorFor(this.hub, meetingId, rows);
    if (!who.ok) {
      return refuse(409, 'ambiguous', 'This address is in the register for several claims: choose the claim you are logging in for.', {
        rows: rows.map((r) => ({ id: r.id, name: r.name })),
      });
    }
    const participant = who.participant;
    const row = rows.find((r) => participant.rows.includes(r.id)) ?? rows[0]!;
    const now = Date.now();
    const since = now - this.cfg.codeWindowSeconds * 1000;
    const hashOfAddress = addressHash(addr.value);
    const [perRow, perAddress] = await Promise.all([
      this.hub.storage.countLoginCodes({ meetingId, row: row.id }, since),
      this.hub.storage.countLoginCodes({ addressHash: hashOfAddress }, since),
    ]);
    if (perRow >= this.cfg.codeMaxPerRow || perAddress >= this.cfg.codeMaxPerAddress) {
      const minutes = Math.ceil(this.cfg.codeWindowSeconds / 60);
      const r = refuse(429, 'rate-limited', `Too many codes were requested for this ${perRow >= this.cfg.codeMaxPerRow ? 'claim' : 'address'}. Use the last code you received, or try again in ${minutes} minutes.`);
      // A flood is audited once per window (the first request over the limit), not once per request.
      return this.floods.hit(`${meetingId}:${row.id}:${hashOfAddress}`).first ? this.refused(meetingId, r, { row: row.id, address: masked }) : r;
    }
    const id = `lc-${crypto.randomBytes(12).toString('base64url')}`;
    const code = crypto.randomInt(0, 10 ** CODE_DIGITS).toString().padStart(CODE_DIGITS, '0');
    const expiresAt = now + this.cfg.codeTtlSeconds * 1000;
    await this.hub.storage.putLoginCode({
      id,
      meetingId,
      userId: participant.userId,
      row: row.id,
      channel: addr.channel,
      sentTo: masked,
      addressHash: hashOfAddress,
      codeHash: codeHash(this.key, id, code),
      createdAt: now,
      expiresAt,
      attempts: 0,
      usedAt: null,
      retiredAt: null,
    });
    const minutes = Math.round(this.cfg.codeTtlSeconds / 60);
    const meeting = await this.hub.storage.getMeeting(meetingId);
    try {
      await this.hub.messages.send({
        channel: addr.channel,
        to: addr.value,
        subject: `Код для входа: ${meeting?.title ?? 'собрание'}`,
        text:
          addr.channel === 'email'
            ? `Ваш код для входа на собрание «${meeting?.title ?? meetingId}»: ${code}\n\nКод действует ${minutes} мин. Никому его не сообщайте.\nЕсли вы не запрашивали код, ничего не делайте.`
            : `Код входа на собрание: ${code}. Действует ${minutes} мин. Никому не сообщайте.`,
        purpose: 'login-code',
        meetingId,
        sensitive: true,
      });
    } catch (err) {
      return refuse(502, 'not-sent', err instanceof Error ? err.message : 'The code could not be sent. Try again later.');
    }
    return ok({ requestId: id, channel: addr.channel, sentTo: masked, expiresAt });
  }

  /** Checks a code; on a match, validates its participant. */
  async verify(meetingId: string, a: { requestId: string; code: string }): Promise<Outcome<Login>> {
    const attempt = await this.hub.storage.spendLoginCode(a.requestId, meetingId, codeHash(this.key, a.requestId, a.code), Date.now(), this.cfg.codeMaxAttempts);
    if (attempt.status === 'unknown') return this.refused(meetingId, refuse(401, 'unknown-code', 'There is no such code request. Request a new code.'));
    const c = attempt.code;
    const tag = { userId: c.userId, row: c.row, sentTo: c.sentTo, request: c.id };
    switch (attempt.status) {
      case 'other-meeting':
        return this.refused(c.meetingId, refuse(403, 'other-meeting', 'This code was sent for another meeting: log in on the page of that meeting.'), { ...tag, presentedFor: meetingId });
      case 'ok':
        return completeValidation(this.hub, meetingId, c.userId, METHOD, { row: c.row, channel: c.channel, sentTo: c.sentTo, request: c.id });
      case 'wrong':
        return this.refused(
          meetingId,
          attempt.attemptsLeft > 0
            ? refuse(401, 'wrong-code', `The code is wrong. ${attempt.attemptsLeft} ${attempt.attemptsLeft === 1 ? 'attempt' : 'attempts'} left.`, { attemptsLeft: attempt.attemptsLeft })
            : refuse(401, 'locked', 'The code is wrong, and that was the last attempt. Request a new code.', { attemptsLeft: 0 }),
          tag,
        );
      case 'locked':
        return this.refused(meetingId, refuse(401, 'locked', 'Too many wrong attempts for this code. Request a new code.', { attemptsLeft: 0 }), tag);
      case 'expired':
        return this.refused(meetingId, refuse(401, 'expired', 'This code has expired. Request a new code.'), tag);
      case 'used':
        return this.refused(meetingId, refuse(401, 'used', 'This code was already used. Request a new code to log in again.'), tag);
      case 'retired':
        return this.refused(meetingId, refuse(401, 'replaced', 'A newer code was sent after this one: use the latest code.'), tag);
      default: {
        const never: never = attempt;
        throw new Error(`unhandled code attempt ${JSON.stringify(never)}`);
      }
    }
  }
}
