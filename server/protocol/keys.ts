/**
 * Signing keys of the protocol: one Ed25519 key per organizer, and the hub's attestation key that
 * signs the record of each simple electronic signature. Keys are generated on first use and kept
 * under `dataDir/keys/protocol/` (private halves never leave it); the public halves are published
 * as a JWKS and copied into every bundle. A key's id is its RFC 7638 thumbprint, so a verifier can
 * check that an id names exactly that key.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import * as jose from 'jose';

/** The JWS algorithm of protocol signatures. */
export const SIGNATURE_ALG = 'EdDSA';

/** Who a key belongs to. */
export type KeyOwner = { kind: 'organizer'; userId: string } | { kind: 'hub' };

/** A loaded signing key. */
export interface SigningKey {
  kid: string;
  owner: KeyOwner;
  privateKey: CryptoKey;
  publicJwk: jose.JWK;
}

interface KeyFile {
  owner: KeyOwner;
  jwk: jose.JWK;
}

/** The protocol's signing keys, kept in a directory. */
export class ProtocolKeys {
  private readonly cache = new Map<string, Promise<SigningKey>>();

  constructor(private readonly dir: string) {}

  /** Keys kept under the hub's data directory. */
  static inDataDir(dataDir: string): ProtocolKeys {
    return new ProtocolKeys(path.join(dataDir, 'keys', 'protocol'));
  }

  /** The organizer's key, generated on first use. */
  organizer(userId: string): Promise<SigningKey> {
    // File names never carry user input: the user id is hashed.
    const file = `organizer-${crypto.createHash('sha256').update(userId).digest('hex').slice(0, 32)}.jwk.json`;
    return this.load(file, { kind: 'organizer', userId });
  }

  /** The hub's attestation key. */
  hub(): Promise<SigningKey> {
    return this.load('hub.jwk.json', { kind: 'hub' });
  }

  /** Public keys as a JWKS: the given ones, or every key in the directory. */
  async jwks(keys?: readonly SigningKey[]): Promise<{ keys: jose.JWK[] }> {
    if (keys) return { keys: keys.map((k) => k.publicJwk) };
    const files = fs.existsSync(this.dir) ? fs.readdirSync(this.dir).filter((f) => f.endsWith('.jwk.json')).sort() : [];
    const all = await Promise.all(
      files.map((f) => {
        const kf = JSON.parse(fs.readFileSync(path.join(this.dir, f), 'utf8')) as KeyFile;
        return this.load(f, kf.owner);
      }),
    );
    return { keys: all.map((k) => k.publicJwk) };
  }

  private load(file: string, owner: KeyOwner): Promise<SigningKey> {
    let p = this.cache.get(file);
    if (!p) {
      p = this.read(file, owner);
      this.cache.set(file, p);
      p.catch(() => this.cache.delete(file));
    }
    return p;
  }

  private async read(file: string, owner: KeyOwner): Promise<SigningKey> {
    const full = path.join(this.dir, file);
    let kf: KeyFile;
    if (fs.existsSync(full)) {
      kf = JSON.parse(fs.readFileSync(full, 'utf8')) as KeyFile;
    } else {
      const { privateKey } = await jose.generateKeyPair(SIGNATURE_ALG, { crv: 'Ed25519', extractable: true });
      kf = { owner, jwk: await jose.exportJWK(privateKey) };
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      // Exclusive create: two first uses at once keep the first key, never overwrite it.
      try {
        fs.writeFileSync(full, JSON.stringify(kf), { mode: 0o600, flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        kf = JSON.parse(fs.readFileSync(full, 'utf8')) as KeyFile;
      }
    }
    const { d: _d, ...pub } = kf.jwk;
    const kid = await jose.calculateJwkThumbprint(pub, 'sha256');
    const privateKey = (await jose.importJWK({ ...kf.jwk, alg: SIGNATURE_ALG }, SIGNATURE_ALG)) as CryptoKey;
    return { kid, owner: kf.owner, privateKey, publicJwk: { kty: pub.kty, crv: pub.crv, x: pub.x, kid, alg: SIGNATURE_ALG, use: 'sig' } };
  }
}

/** Signs a payload as a compact JWS with a key. */
export async function signJws(key: SigningKey, payload: object): Promise<string> {
  return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: SIGNATURE_ALG, kid: key.kid, typ: 'JOSE' }).sign(key.privateKey);
}
