/** E-mail addresses and phone numbers: normalized for matching against the register, masked for answers and the audit log. */
import crypto from 'node:crypto';

/** An address a person typed, normalized; or null when it is neither an e-mail address nor a phone number. */
export function parseAddress(text: string): { channel: 'email' | 'sms'; value: string } | null {
  const t = text.trim();
  if (t.includes('@')) {
    const email = normalizeEmail(t);
    return email ? { channel: 'email', value: email } : null;
  }
  const phone = normalizePhone(t);
  return phone ? { channel: 'sms', value: phone } : null;
}

/** Lower-cased e-mail address, or null when it does not look like one. */
export function normalizeEmail(text: string | null | undefined): string | null {
  if (!text) return null;
  const t = text.trim().toLowerCase();
  return /^[^\s@]{1,64}@[^\s@]{1,253}\.[^\s@]{2,}$/.test(t) ? t : null;
}

/** A phone number as +digits (Russian 8-prefixed and 10-digit numbers become +7...), or null. */
export function normalizePhone(text: string | null | undefined): string | null {
  if (!text) return null;
  if (/[^\d\s()+-]/.test(text)) return null;
  let d = text.replace(/\D/g, '');
  if (d.length === 11 && d.startsWith('8')) d = `7${d.slice(1)}`;
  else if (d.length === 10 && d.startsWith('9')) d = `7${d}`;
  return d.length >= 10 && d.length <= 15 ? `+${d}` : null;
}

/** A tax number (INN) as digits. */
export function normalizeInn(text: string | null | undefined): string | null {
  if (!text) return null;
  const d = text.replace(/\s/g, '');
  return /^\d{10}$|^\d{12}$/.test(d) ? d : null;
}

/** "st***@example.test" or "+7******0002": enough for a person to recognize their own address. */
export function maskAddress(channel: 'email' | 'sms', value: string): string {
  if (channel === 'email') {
    const [local = '', domain = ''] = value.split('@');
    return `${local.slice(0, 2)}***@${domain}`;
  }
  return `${value.slice(0, 2)}${'*'.repeat(Math.max(0, value.length - 6))}${value.slice(-4)}`;
}

/** The stored form of an address for rate limits (never the address itself). */
export function addressHash(value: string): string {
  return crypto.createHash('sha256').update(`address:${value}`).digest('hex');
}
