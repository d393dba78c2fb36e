/**
 * One-time codes for simple electronic signatures: six digits, sent to the signer's registered
 * address, valid for a few minutes, single use, at most five wrong attempts, rate-limited per
 * signer. Only a keyed hash of a code is stored (HMAC under a key kept in the data directory: a
 * plain hash of six digits is reversed by trying all million), and codes are never logged.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { SignatureCodeRecord, Storage } from '../storage/Storage.ts';

/** Limits of one-time signature codes. */
export interface CodeLimits {
  digits: number;
  ttlMs: number;
  maxAttempts: number;
  /** At most this many codes per signer per window. */
  perWindow: number;
  windowMs: number;
  /** At least this long between two codes of one signer. */
  resendMs: number;
}

/** Defaults: 6 digits, 5 minutes, 5 wrong attempts, 3 codes per 15 minutes, 30 s between codes. */
export const DEFAULT_CODE_LIMITS: CodeLimits = {
  digits: 6,
  ttlMs: 5 * 60_000,
  maxAttempts: 5,
  perWindow: 3,
  windowMs: 15 * 60_000,
  resendMs: 30_000,
};

/** A refusal with the HTTP status that fits it and a message the signer can read. */
export interface CodeRefusal {
  ok: false;
  status: number;
  message: string;
  retryAfterSeconds?: number;
}

/** Issues and checks one-time signature codes. */
export class SignatureCodes {
  constructor(
    private readonly storage: Storage,
    private readonly key: Buffer,
    readonly limits: CodeLimits = DEFAULT_CODE_LIMITS,
  ) {}

  /** The code key from `dataDir/keys/signature-codes.key`, generated on first use. */
  static keyIn(dataDir: string): Buffer {
    const file = path.join(dataDir, 'keys', 'signature-codes.key');
    if (!fs.existsSync(file)) {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      try {
        fs.writeFileSync(file, crypto.randomBytes(32), { mode: 0o600, flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    return fs.readFileSync(file);
  }

  /** The stored form of a code: bound to its id, so equal codes never have equal hashes. */
  private hash(id: string, code: string): string {
    return crypto.createHmac('sha256', this.key).update(`${id}\n${code}`).digest('hex');
  }

  /** Creates a code for a signer, unless the signer asked too often; the caller sends it. */
  async issue(
    c: { meetingId: string; userId: string; manifest: string; channel: 'email' | 'sms'; sentTo: string },
    now: number,
  ): Promise<{ ok: true; id: string; code: string; expiresAt: number } | CodeRefusal> {
    const recent = await this.storage.recentSignatureCodes(c.meetingId, c.userId, now - this.limits.windowMs);
    const last = recent[0];
    if (last && now - last.createdAt < this.limits.resendMs) {
      const wait = Math.ceil((last.createdAt + this.limits.resendMs - now) / 1000);
      return { ok: false, status: 429, message: `A code was sent moments ago; you can ask for another in ${wait} s.`, retryAfterSeconds: wait };
    }
    if (recent.length >= this.limits.perWindow) {
      const oldest = recent[recent.length - 1]!;
      const wait = Math.ceil((oldest.createdAt + this.limits.windowMs - now) / 1000);
      return {
        ok: false,
        status: 429,
        message: `Too many codes requested: at most ${this.limits.perWindow} in ${this.limits.windowMs / 60_000} minutes. Try again in ${Math.ceil(wait / 60)} min.`,
        retryAfterSeconds: wait,
      };
    }
    const id = `sc-${crypto.randomBytes(12).toString('base64url')}`;
    const code = crypto.randomInt(0, 10 ** this.limits.digits).toString().padStart(this.limits.digits, '0');
    const rec: SignatureCodeRecord = {
      id,
      meetingId: c.meetingId,
      userId: c.userId,
      manifest: c.manifest,
      channel: c.channel,
      sentTo: c.sentTo,
      codeHash: this.hash(id, code),
      createdAt: now,
      expiresAt: now + this.limits.ttlMs,
      attempts: 0,
      usedAt: null,
      retiredAt: null,
    };
    await this.storage.putSignatureCode(rec);
    return { ok: true, id, code, expiresAt: rec.expiresAt };
  }

  /** Checks a code once; a match spends it. */
  async confirm(id: string, userId: string, code: string, now: number): Promise<{ ok: true; record: SignatureCodeRecord } | CodeRefusal> {
    const candidate = /^\d+$/.test(code) && code.length === this.limits.digits ? code : '';
    const r = await this.storage.spendSignatureCode(id, userId, this.hash(id, candidate), now, this.limits.maxAttempts);
    switch (r.status) {
      case 'confirmed':
        return { ok: true, record: r.code };
      case 'wrong':
        return r.attemptsLeft > 0
          ? { ok: false, status: 422, message: `The code is wrong; ${r.attemptsLeft} attempt${r.attemptsLeft === 1 ? '' : 's'} left.` }
          : { ok: false, status: 410, message: `The code is wrong, and that was the last of ${this.limits.maxAttempts} attempts: the code no longer works. Ask for a new one.` };
      case 'locked':
        return { ok: false, status: 410, message: `This code was entered wrongly ${this.limits.maxAttempts} times and no longer works. Ask for a new one.` };
      case 'expired':
        return { ok: false, status: 410, message: `This code expired ${Math.max(1, Math.round((now - r.code.expiresAt) / 1000))} s ago (codes are valid ${this.limits.ttlMs / 60_000} minutes). Ask for a new one.` };
      case 'used':
        return { ok: false, status: 409, message: 'This code was already used: each code signs once.' };
      case 'retired':
        return { ok: false, status: 410, message: 'A newer code was sent after this one; use the newest code.' };
      case 'unknown':
        return { ok: false, status: 404, message: 'No such code for you. Ask for a new one.' };
      default: {
        const unreachable: never = r;
        return unreachable;
      }
    }
  }
}

/** Masks an address for display and the audit log: "st***@example.test", "+7******0002". */
export function maskAddress(channel: 'email' | 'sms', to: string): string {
  if (channel === 'email') {
    const at = to.lastIndexOf('@');
    if (at < 1) return '***';
    return `${to.slice(0, Math.min(2, at))}***${to.slice(at)}`;
  }
  const digits = to.replace(/[^\d+]/g, '');
  return digits.length <= 6 ? '***' : `${digits.slice(0, 2)}${'*'.repeat(digits.length - 6)}${digits.slice(-4)}`;
}
