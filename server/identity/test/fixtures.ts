/**
 * Test doubles for identity tests, all on loopback: an SMTP server (smtp-server) that keeps what it
 * receives, an HTTP SMS gateway that keeps what it is posted, and an identity provider's JWKS
 * endpoint with its signing key. Plus a small JSON client for the hub's HTTP API.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { webcrypto } from 'node:crypto';
import * as jose from 'jose';
import { SMTPServer } from 'smtp-server';
import WebSocket from 'ws';
import type { HubServer } from '../../app.ts';
import { HubClient, type WebSocketCtor } from '../../../shared/client/HubClient.ts';
import { tokenFor, wsUrl } from '../../test/helpers.ts';

/** A received e-mail, decoded. */
export interface Mail {
  to: string[];
  subject: string;
  text: string;
}

/** A local SMTP server that accepts everything and keeps it. */
export async function startSmtp(): Promise<{ port: number; mails: Mail[]; close(): Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), ...decodeMail(Buffer.concat(chunks).toString('latin1')) });
        done();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Subject and text of a single-part message as nodemailer writes it (base64 or quoted-printable, UTF-8). */
function decodeMail(raw: string): { subject: string; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1] ?? '';
  const subject = header('Subject').replace(/=\?utf-8\?([BQ])\?([^?]*)\?=\s*/gi, (_m, enc: string, t: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(t, 'base64').toString('utf8') : qp(t.replace(/_/g, ' ')),
  );
  const cte = header('Content-Transfer-Encoding').toLowerCase();
  const text = cte === 'base64' ? Buffer.from(body.replace(/\s/g, ''), 'base64').toString('utf8') : cte === 'quoted-printable' ? qp(body.replace(/=\r\n/g, '')) : Buffer.from(body, 'latin1').toString('utf8');
  return { subject, text: text.replace(/\r\n/g, '\n') };
}

function qp(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=' && /^[0-9A-F]{2}$/i.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(s.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** A local HTTP SMS gateway. Set `failWith` to make it answer an error status. */
export async function startSmsGateway(): Promise<{ url: string; messages: { to: string; text: string; auth: string | undefined }[]; failWith: number | null; close(): Promise<void> }> {
  const state = { failWith: null as number | null };
  const messages: { to: string; text: string; auth: string | undefined }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (state.failWith !== null) {
        res.writeHead(state.failWith).end('{"error":"down"}');
        return;
      }
      const m = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { to: string; text: string };
      messages.push({ to: m.to, text: m.text, auth: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `sms-${messages.length}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/send`,
    messages,
    get failWith() {
      return state.failWith;
    },
    set failWith(v: number | null) {
      state.failWith = v;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An identity provider: a JWKS endpoint on loopback and the key that signs its ID tokens. */
export async function startIdp(): Promise<{
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** An ID token with these claims (signed by the provider unless `key` says otherwise). */
  sign(claims: Record<string, unknown>, opts?: { audience?: string; issuer?: string; exp?: number; key?: 'stranger' | 'stranger-same-kid' }): Promise<string>;
  close(): Promise<void>;
}> {
  const issuer = 'https://idp.example.test';
  const audience = 'agora-meet-test';
  const { publicKey, privateKey } = await jose.generateKeyPair('RS256');
  const stranger = await jose.generateKeyPair('RS256');
  const kid = 'idp-key-1';
  const jwk = { ...(await jose.exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    issuer,
    audience,
    sign: (claims, opts = {}) =>
      new jose.SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: opts.key === 'stranger' ? 'stranger-key' : kid })
        .setIssuer(opts.issuer ?? issuer)
        .setAudience(opts.audience ?? audience)
        .setSubject(String(claims.sub ?? 'person-1'))
        .setIssuedAt()
        .setExpirationTime(opts.exp ?? '5m')
        .sign(opts.key ? stranger.privateKey : privateKey),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A P-256 key pair as a browser makes it, and a signer for the hub's challenge message. */
export async function browserKey(): Promise<{ jwk: webcrypto.JsonWebKey; sign(message: string): Promise<string> }> {
  const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const jwk = await webcrypto.subtle.exportKey('jwk', pair.publicKey);
  return {
    jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
    sign: async (message) => Buffer.from(await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, new TextEncoder().encode(message))).toString('base64url'),
  };
}

/** A JSON answer: status and parsed body. */
export interface Answer {
  status: number;
  // The tests read fields they expect; a missing one fails the assertion.
  body: Record<string, any>;
}

/** A small client for the hub's HTTP API. */
export function apiClient(server: HubServer) {
  return async (path: string, opts: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {}): Promise<Answer> => {
    const res = await fetch(`${server.url}${path}`, {
      method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
      headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...(opts.headers ?? {}) },
      ...(opts.body === undefined ? {} : { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) }),
    });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = { raw: text };
    }
    return { status: res.status, body };
  };
}

/** A connected client with a given session token. */
export function connectWith(server: HubServer, token: string): HubClient {
  return new HubClient({ url: wsUrl(server), token, WebSocket: WebSocket as unknown as WebSocketCtor, backoffInitialMs: 50, backoffMaxMs: 500 });
}

/** The first URL in a text that starts with `prefix`. */
export function linkIn(text: string, prefix: string): string {
  const m = new RegExp(`${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\S+`).exec(text);
  if (!m) throw new Error(`no link ${prefix} in: ${text}`);
  return m[0];
}

/** A register with seven creditors (votes in rubles), contacts for each method. */
export const REGISTER_CSV = [
  'id,name,inn,votes,secured,email,phone',
  'r1,ООО «Один»,7701000001,1000000.00,no,one@example.test,',
  'r2,ООО «Два»,7701000002,2000000.00,no,two@example.test,+79000000002',
  'r3,ООО «Три»,7701000003,1500000.00,no,,+79000000003',
  'r4,ООО «Четыре»,7701000004,500000.00,no,four@example.test,',
  'r5,АО «Пять»,7701000005,3000000.00,no,five@example.test,',
  'r6,ООО «Шесть»,7701000006,700000.00,no,six@example.test,',
  'r7,ИП Семёнов С. С.,770100000700,300000.00,no,seven@example.test,',
].join('\n');

/** A tiny valid PDF, as a power of attorney. */
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

/** A new creditors' meeting `days` ahead with a register, its organizer token, and the identity methods switched as given. */
export async function setupMeeting(
  server: HubServer,
  opts: { csv?: string; days?: number; methods?: Record<string, { enabled?: boolean; autoAdmit?: boolean }>; title?: string } = {},
): Promise<{ meetingId: string; org: string }> {
  const api = apiClient(server);
  const created = await api('/api/meetings', {
    token: await tokenFor(server, 'org-ivanov'),
    body: { title: opts.title ?? 'Собрание кредиторов ООО «Проверка»', startsAt: new Date(Date.now() + (opts.days ?? 20) * 24 * 3600_000).toISOString() },
  });
  if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  const meetingId = created.body.id as string;
  const org = created.body.organizerToken as string;
  const imported = await api(`/api/meetings/${meetingId}/register`, { token: org, body: opts.csv ?? REGISTER_CSV });
  if (imported.status !== 200) throw new Error(JSON.stringify(imported.body));
  if (opts.methods) {
    const r = await api(`/api/meetings/${meetingId}/identity`, { method: 'PUT', token: org, body: { methods: opts.methods } });
    if (r.status !== 200) throw new Error(JSON.stringify(r.body));
  }
  return { meetingId, org };
}

/** Every method on, none admitting automatically. */
export const ALL_METHODS = {
  'invitation-link': { enabled: true },
  'one-time-code': { enabled: true },
  'external-idp': { enabled: true },
  'power-of-attorney': { enabled: true },
  'key-challenge': { enabled: true },
};
