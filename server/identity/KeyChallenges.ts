/**
 * Method 5, a key registered ahead of the meeting (WebCrypto ECDSA P-256, public JWK): at login the
 * hub hands out a nonce inside a fixed message, the client signs the message (ECDSA with SHA-256,
 * the 64-byte r||s signature WebCrypto produces), the hub verifies. A nonce is good for one attempt
 * and a short time; the message names the meeting, so a signature cannot be replayed elsewhere.
 */
import crypto, { webcrypto } from 'node:crypto';
import * as jose from 'jose';
import { z } from 'zod';
import type { SessionClaims } from '../auth/TokenService.ts';
import { hashToken } from '../auth/TokenService.ts';
import type { Hub } from '../hub/Hub.ts';
import type { ParticipantKeyRecord } from '../storage/Storage.ts';
import { completeValidation, requireEnabled, type Login } from './admission.ts';
import { auditRefusal, changeMeeting } from './meetingEffects.ts';
import { ok, refuse, type Outcome, type Refusal } from './outcome.ts';

const METHOD = 'key-challenge';
const P256_SIGNATURE_BYTES = 64;
const B64URL_32 = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a P-256 coordinate is 32 bytes in base64url');

/** A public P-256 key as WebCrypto exports it (`crypto.subtle.exportKey('jwk', publicKey)`). */
export const PublicJwkSchema = z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: B64URL_32, y: B64URL_32, d: z.string().optional() });

/** The exact text a client signs for a nonce. */
export function challengeMessage(meetingId: string, nonce: string): string {
  return `agora-meet key login\nmeeting: ${meetingId}\nnonce: ${nonce}`;
}

/** What the client gets to sign. */
export interface Challenge {
  keyId: string;
  nonce: string;
  /** Sign these UTF-8 bytes. */
  message: string;
  algorithm: 'ECDSA P-256 SHA-256';
  expiresAt: number;
}

/** Registered keys and login challenges of a hub. */
export class KeyChallenges {
  constructor(private readonly hub: Hub) {}

  private async refused(meetingId: string, r: Refusal, data: Record<string, unknown> = {}): Promise<Refusal> {
    await auditRefusal(this.hub, meetingId, METHOD, r, data);
    return r;
  }

  /** Registers a participant's public key: by the participant (their session) or by the organizer for `userId`. */
  async register(meetingId: string, caller: SessionClaims, a: { jwk: unknown; userId?: string | undefined }): Promise<Outcome<{ keyId: string; userId: string }>> {
    const userId = caller.role === 'organizer' ? a.userId : caller.userId;
    if (!userId) return refuse(422, 'invalid-args', 'Name the participant (userId) whose key this is.');
    if (caller.role !== 'organizer' && a.userId !== undefined && a.userId !== caller.userId) return refuse(403, 'forbidden', 'You may register only your own key.');
    const parsed = PublicJwkSchema.safeParse(a.jwk);
    if (!parsed.success) return refuse(422, 'invalid-key', 'The key must be a public ECDSA P-256 key in JWK form (kty "EC", crv "P-256", x, y).');
    if (parsed.data.d !== undefined) return refuse(422, 'private-key', 'This is a private key. Send only the public key; the private key never leaves your device.');
    const jwk = { kty: 'EC', crv: 'P-256', x: parsed.data.x, y: parsed.data.y };
    try {
      await importKey(jwk);
    } catch {
      return refuse(422, 'invalid-key', 'The key is not a valid point on the P-256 curve.');
    }
    const p = await this.hub.storage.getParticipant(meetingId, userId);
    if (!p) return refuse(404, 'not-found', 'No such participant in this meeting.');
    const keyId = await jose.calculateJwkThumbprint(jwk, 'sha256');
    const existing = await this.hub.storage.getParticipantKey(meetingId, keyId);
    if (existing && existing.userId !== userId) return refuse(409, 'conflict', 'This key is already registered to another participant.');
    if (!existing) {
      await this.hub.storage.putParticipantKey({ meetingId, keyId, userId, jwk, createdAt: Date.now(), createdBy: caller.userId, revokedAt: null });
      await changeMeeting(this.hub, meetingId, (c) => c.audit('key.registered', { userId, keyId, by: caller.userId }));
    }
    return ok({ keyId, userId });
  }

  /** The keys of a meeting (the organizer's view), or of one participant. */
  async list(meetingId: string, userId?: string): Promise<{ keyId: string; userId: string; createdAt: number; revoked: boolean }[]> {
    return (await this.hub.storage.listParticipantKeys(meetingId))
      .filter((k) => userId === undefined || k.userId === userId)
      .map((k) => ({ keyId: k.keyId, userId: k.userId, createdAt: k.createdAt, revoked: k.revokedAt !== null }));
  }

  /** A fresh nonce for a registered key. */
  async challenge(meetingId: string, keyId: string): Promise<Outcome<Challenge>> {
    const disabled = await requireEnabled(this.hub, meetingId, METHOD);
    if (disabled) return disabled;
    const key = await this.hub.storage.getParticipantKey(meetingId, keyId);
    if (!key || key.revokedAt !== null) {
      return this.refused(meetingId, refuse(404, 'unknown-key', 'No key with this id is registered for this meeting. Register your key first, or log in another way.'), { keyId });
    }
    const nonce = crypto.randomBytes(32).toString('base64url');
    const now = Date.now();
    const expiresAt = now + this.hub.config.identity.keyChallengeTtlSeconds * 1000;
    await this.hub.storage.putKeyChallenge({ nonceHash: hashToken(nonce), meetingId, keyId, userId: key.userId, createdAt: now, expiresAt, usedAt: null });
    return ok({ keyId, nonce, message: challengeMessage(meetingId, nonce), algorithm: 'ECDSA P-256 SHA-256', expiresAt });
  }

  /** Verifies a signed nonce; the nonce is spent by this attempt whatever its outcome. */
  async login(meetingId: string, a: { nonce: string; signature: string }): Promise<Outcome<Login>> {
    const use = await this.hub.storage.useKeyChallenge(hashToken(a.nonce), Date.now());
    if (use.status === 'unknown') return this.refused(meetingId, refuse(401, 'unknown-challenge', 'This challenge was not issued by this hub. Request a new one.'));
    const ch = use.challenge;
    const tag = { userId: ch.userId, keyId: ch.keyId };
    if (ch.meetingId !== meetingId) return this.refused(ch.meetingId, refuse(403, 'other-meeting', 'This challenge was issued for another meeting.'), { ...tag, presentedFor: meetingId });
    if (use.status === 'used') return this.refused(meetingId, refuse(401, 'replayed', 'This challenge was already used. Each challenge is good for one attempt: request a new one.'), tag);
    if (use.status === 'expired') return this.refused(meetingId, refuse(401, 'expired', 'This challenge has expired. Request a new one and sign it at once.'), tag);
    const key = await this.hub.storage.getParticipantKey(meetingId, ch.keyId);
    if (!key || key.revokedAt !== null) return this.refused(meetingId, refuse(401, 'unknown-key', 'The key of this challenge is no longer registered.'), tag);
    if (!(await verifies(key, challengeMessage(meetingId, a.nonce), a.signature))) {
      return this.refused(meetingId, refuse(401, 'bad-signature', 'The signature does not match your registered key. Sign the exact message with the key you registered, and request a new challenge.'), tag);
    }
    return completeValidation(this.hub, meetingId, ch.userId, METHOD, { keyId: ch.keyId });
  }
}

function importKey(jwk: { kty: string; crv: string; x: string; y: string }): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey('jwk', { ...jwk, ext: true }, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
}

async function verifies(key: ParticipantKeyRecord, message: string, signature: string): Promise<boolean> {
  const jwk = PublicJwkSchema.safeParse(key.jwk);
  if (!jwk.success || !/^[A-Za-z0-9_-]+$/.test(signature)) return false;
  const sig = Buffer.from(signature, 'base64url');
  if (sig.length !== P256_SIGNATURE_BYTES) return false;
  try {
    const k = await importKey({ kty: 'EC', crv: 'P-256', x: jwk.data.x, y: jwk.data.y });
    return await webcrypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, k, sig, Buffer.from(message, 'utf8'));
  } catch {
    return false;
  }
}
