/**
 * The hub's identity key: an HMAC key for one-time codes, so that a stolen database alone does not
 * reveal them (a plain hash of six digits is reversed in a moment). Kept beside the session key.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Loads `dataDir/keys/identity.key`, generating it on first start. */
export function openIdentityKey(dataDir: string): Buffer {
  const file = path.join(dataDir, 'keys', 'identity.key');
  const read = (): Buffer => Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
  if (fs.existsSync(file)) return read();
  const key = crypto.randomBytes(32);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, key.toString('hex'), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process sharing the data directory wrote it first: use theirs.
    if (err instanceof Error && 'code' in err && err.code === 'EEXIST') return read();
    throw err;
  }
  return key;
}

/** HMAC-SHA-256 of a code under the key, bound to the code's id (the same digits under another id hash differently). */
export function codeHash(key: Buffer, id: string, code: string): string {
  return crypto.createHmac('sha256', key).update(`${id}\u0000${code}`).digest('hex');
}
