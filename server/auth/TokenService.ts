/**
 * Session tokens: short-lived JWTs (EdDSA, jose) naming the user, the meeting and the role.
 * The signing key is generated on first start and kept in the data directory; its public half is
 * published as a JWKS so other hubs and verifiers can check tokens.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import * as jose from 'jose';
import { z } from 'zod';
import { RoleSchema, type Role } from '../../shared/protocol/messages.ts';

const ISSUER = 'agora-meet';
const AUDIENCE = 'agora-meet/session';
const ALG = 'EdDSA';

/** What a session token says. */
export interface SessionClaims {
  userId: string;
  meetingId: string;
  role: Role;
  name: string;
  rows: string[];
  /** Expiry, in seconds since the epoch. */
  exp: number;
}

/** Why a token was refused. */
export type TokenRefusal = 'expired' | 'invalid';

const ClaimsSchema = z.object({
  sub: z.string().min(1),
  mid: z.string().min(1),
  role: RoleSchema,
  name: z.string(),
  rows: z.array(z.string()),
  exp: z.number().int(),
});

/** Issues and verifies session tokens with the hub's key. */
export class TokenService {
  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
    private readonly publicJwk: jose.JWK,
    private readonly ttlSeconds: number,
  ) {}

  /** Loads the key from `dataDir/keys/session.jwk`, generating it on first start. */
  static async open(dataDir: string, ttlSeconds: number): Promise<TokenService> {
    const file = path.join(dataDir, 'keys', 'session.jwk');
    let jwk: jose.JWK;
    if (fs.existsSync(file)) {
      jwk = JSON.parse(fs.readFileSync(file, 'utf8')) as jose.JWK;
    } else {
      const { privateKey } = await jose.generateKeyPair(ALG, { crv: 'Ed25519', extractable: true });
      jwk = await jose.exportJWK(privateKey);
      jwk.kid = crypto.randomBytes(8).toString('hex');
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      fs.writeFileSync(file, JSON.stringify(jwk), { mode: 0o600 });
    }
    const privateKey = (await jose.importJWK(jwk, ALG)) as CryptoKey;
    const { d: _d, ...pub } = jwk;
    const publicKey = (await jose.importJWK(pub, ALG)) as CryptoKey;
    return new TokenService(privateKey, publicKey, { ...pub, alg: ALG, use: 'sig' }, ttlSeconds);
  }

  /** The public keys as a JWKS document. */
  jwks(): { keys: jose.JWK[] } {
    return { keys: [this.publicJwk] };
  }

  /** Signs a session token valid for the configured lifetime (or `ttlSeconds`). */
  async issue(c: Omit<SessionClaims, 'exp'>, ttlSeconds = this.ttlSeconds): Promise<{ token: string; exp: number }> {
    const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
    const token = await new jose.SignJWT({ mid: c.meetingId, role: c.role, name: c.name, rows: c.rows })
      .setProtectedHeader({ alg: ALG, kid: this.publicJwk.kid })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(c.userId)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(this.privateKey);
    return { token, exp };
  }

  /** Verifies a session token; never throws. */
  async verify(token: string): Promise<{ ok: true; claims: SessionClaims } | { ok: false; reason: TokenRefusal }> {
    try {
      const { payload } = await jose.jwtVerify(token, this.publicKey, { issuer: ISSUER, audience: AUDIENCE, algorithms: [ALG] });
      const p = ClaimsSchema.safeParse(payload);
      if (!p.success) return { ok: false, reason: 'invalid' };
      const { sub, mid, role, name, rows, exp } = p.data;
      return { ok: true, claims: { userId: sub, meetingId: mid, role, name, rows, exp } };
    } catch (err) {
      return { ok: false, reason: err instanceof jose.errors.JWTExpired ? 'expired' : 'invalid' };
    }
  }
}

/** A new random invitation (or one-time) token and the hash it is stored under. */
export function newOpaqueToken(): { token: string; hash: string } {
  const token = crypto.randomBytes(24).toString('base64url');
  return { token, hash: hashToken(token) };
}

/** The stored form of an opaque token: its SHA-256 in hex (tokens are never stored in clear). */
export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}
