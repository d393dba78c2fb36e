/**
 * Method 3, an external identity provider (OIDC; e.g. the state services portal): the client brings
 * the provider's ID token, the hub verifies it with jose against the provider's JWKS (issuer,
 * audience, algorithms, expiry), and maps it to the register by one claim (the tax number `inn` by
 * default). No row, or rows held by several participants, is refused with the reason.
 */
import * as jose from 'jose';
import type { IdentityConfig } from '../config.ts';
import type { Hub } from '../hub/Hub.ts';
import type { RegisterRow } from '../storage/Storage.ts';
import { normalizeEmail, normalizeInn, normalizePhone } from './addresses.ts';
import { completeValidation, creditorFor, requireEnabled, type Login } from './admission.ts';
import { auditRefusal } from './meetingEffects.ts';
import { refuse, type Outcome, type Refusal } from './outcome.ts';

const METHOD = 'external-idp';
/** How long to wait for the provider's JWKS, and how long a fetched JWKS is trusted before refetching. */
const JWKS_TIMEOUT_MS = 5000;
const JWKS_MAX_AGE_MS = 10 * 60_000;

type IdpConfig = NonNullable<IdentityConfig['idp']>;

/** Verifies provider tokens and maps them to register rows. */
export class ExternalIdp {
  private readonly jwks: ReturnType<typeof jose.createRemoteJWKSet> | null;

  constructor(
    private readonly hub: Hub,
    private readonly cfg: IdpConfig | null,
  ) {
    this.jwks = cfg ? jose.createRemoteJWKSet(new URL(cfg.jwksUrl), { timeoutDuration: JWKS_TIMEOUT_MS, cacheMaxAge: JWKS_MAX_AGE_MS }) : null;
  }

  /** What the login screen shows: whether a provider is configured and its name. */
  get info(): { configured: boolean; label: string | null; claim: string | null } {
    return { configured: this.cfg !== null, label: this.cfg?.label ?? null, claim: this.cfg?.claim ?? null };
  }

  private async refused(meetingId: string, r: Refusal, data: Record<string, unknown> = {}): Promise<Refusal> {
    await auditRefusal(this.hub, meetingId, METHOD, r, data);
    return r;
  }

  /** Logs in with a provider's ID token. */
  async login(meetingId: string, idToken: string): Promise<Outcome<Login>> {
    if (!this.cfg || !this.jwks) return refuse(404, 'not-configured', 'This hub has no external identity provider configured.');
    const disabled = await requireEnabled(this.hub, meetingId, METHOD);
    if (disabled) return disabled;
    let payload: jose.JWTPayload;
    try {
      ({ payload } = await jose.jwtVerify(idToken, this.jwks, {
        algorithms: this.cfg.algorithms,
        ...(this.cfg.issuer ? { issuer: this.cfg.issuer } : {}),
        ...(this.cfg.audience ? { audience: this.cfg.audience } : {}),
      }));
    } catch (err) {
      const r = explain(err, this.cfg.label);
      return r.status === 503 ? r : this.refused(meetingId, r);
    }
    const claim = this.cfg.claim;
    const raw = payload[claim];
    const value = typeof raw === 'string' || typeof raw === 'number' ? normalize(claim, String(raw)) : null;
    const subject = { iss: payload.iss ?? null, sub: payload.sub ?? null };
    if (!value) {
      return this.refused(meetingId, refuse(401, 'claim-missing', `The ${this.cfg.label} token carries no usable "${claim}" claim, so it cannot be matched to the register.`), subject);
    }
    const rows = (await this.hub.storage.listRegister(meetingId)).filter((r) => normalize(claim, columnOf(r, claim) ?? '') === value);
    const who = await creditorFor(this.hub, meetingId, rows);
    if (!who.ok) {
      const r =
        who.reason === 'unknown'
          ? refuse(403, 'unknown-person', `No claim in the register of this meeting has ${claimTitle(claim)} ${value}. If you represent a creditor, submit a power of attorney.`)
          : refuse(409, 'ambiguous', `Several claims in the register have ${claimTitle(claim)} ${value}, held by different participants, so the login cannot tell which one is yours. Ask the organizer, or log in with the link or code sent for your claim.`, { rows: rows.map((r) => r.id) });
      return this.refused(meetingId, r, { ...subject, [claim]: value });
    }
    return completeValidation(this.hub, meetingId, who.participant.userId, METHOD, { ...subject, [claim]: value, rows: rows.map((r) => r.id) });
  }
}

function normalize(claim: IdpConfig['claim'], v: string): string | null {
  switch (claim) {
    case 'inn':
      return normalizeInn(v);
    case 'email':
      return normalizeEmail(v);
    case 'phone':
      return normalizePhone(v);
    default: {
      const never: never = claim;
      throw new Error(`unknown claim ${String(never)}`);
    }
  }
}

function columnOf(r: RegisterRow, claim: IdpConfig['claim']): string | null {
  return claim === 'inn' ? r.inn : claim === 'email' ? r.email : r.phone;
}

function claimTitle(claim: IdpConfig['claim']): string {
  return claim === 'inn' ? 'the tax number (INN)' : claim === 'email' ? 'the e-mail address' : 'the phone number';
}

/** A readable refusal for a token jose would not accept. */
function explain(err: unknown, label: string): Refusal {
  const e = jose.errors;
  if (err instanceof e.JWTExpired) return refuse(401, 'expired', `The ${label} token has expired. Log in with ${label} again.`);
  if (err instanceof e.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return refuse(401, 'wrong-audience', `The ${label} token was issued for another application (wrong audience).`);
    if (err.claim === 'iss') return refuse(401, 'wrong-issuer', `The token was not issued by ${label} (wrong issuer).`);
    return refuse(401, 'invalid-claims', `The ${label} token is not acceptable: ${err.message}.`);
  }
  if (err instanceof e.JWKSNoMatchingKey) return refuse(401, 'unknown-key', `The token is signed by a key ${label} does not publish.`);
  if (err instanceof e.JWSSignatureVerificationFailed) return refuse(401, 'bad-signature', `The token's signature does not verify with ${label}'s keys.`);
  if (err instanceof e.JOSEAlgNotAllowed) return refuse(401, 'algorithm', 'The token is signed with an algorithm this hub does not accept.');
  if (err instanceof e.JWKSTimeout || err instanceof e.JWKSInvalid || err instanceof TypeError) {
    return refuse(503, 'idp-unavailable', `${label} cannot be reached to check the token. Try again in a minute, or log in another way.`);
  }
  if (err instanceof e.JOSEError) return refuse(401, 'invalid-token', `The ${label} token is not valid (${err.code}).`);
  return refuse(401, 'invalid-token', `The ${label} token is not valid.`);
}
