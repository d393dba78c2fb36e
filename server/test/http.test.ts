import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import type { HubServer } from '../app.ts';
import { createInvitation } from '../hub/invitations.ts';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { encodeJson, encodeSync, Op, PROTOCOL_VERSION } from '../../shared/protocol/index.ts';
import { startTestHub, tokenFor, DEMO, rawSocket, wsUrl, waitFor } from './helpers.ts';

describe('the HTTP API', () => {
  let server: HubServer;
  let org: string;
  const api = (p: string, init: RequestInit & { token?: string } = {}) =>
    fetch(`${server.url}${p}`, { ...init, headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.headers ?? {}) } });

  beforeAll(async () => {
    server = await startTestHub();
    org = await tokenFor(server, 'org-ivanov');
  });
  afterAll(() => server.stop());

  it('answers health, readiness, metrics and the JWKS', async () => {
    expect(await (await api('/healthz')).json()).toEqual({ ok: true });
    expect((await api('/readyz')).status).toBe(200);
    const metrics = await (await api('/metrics')).text();
    for (const name of ['hub_connections', 'hub_meetings_loaded', 'hub_messages_in_total', 'hub_command_seconds', 'hub_event_loop_lag_seconds']) expect(metrics).toContain(name);
    const jwks = (await (await api('/.well-known/jwks.json')).json()) as { keys: { crv: string }[] };
    expect(jwks.keys[0]?.crv).toBe('Ed25519');
  });

  it('counts the frames each session receives and sends in /metrics', async () => {
    const count = async () => {
      const text = await (await api('/metrics')).text();
      const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
      return { out: value(/^hub_messages_out_total (\d+)/m), bytes: value(/^hub_bytes_out_total (\d+)/m), syncIn: value(/^hub_messages_in_total\{op="0"\} (\d+)/m) };
    };
    const before = await count();
    const sock = rawSocket(`${wsUrl(server)}?token=${encodeURIComponent(await tokenFor(server, 'cred-stroy'))}`);
    await sock.opened;
    sock.ws.send(encodeJson(Op.Hello, { v: PROTOCOL_VERSION, session: 'metrics-session', generation: 1 }));
    await waitFor(() => sock.messages.some((m) => m[0] === Op.Welcome), 'the welcome');
    const enc = encoding.createEncoder();
    syncProtocol.writeSyncStep1(enc, new Y.Doc());
    sock.ws.send(encodeSync('agenda', encoding.toUint8Array(enc)));
    sock.ws.send(encodeSync('chat', encoding.toUint8Array(enc)));
    // The hub answers each with its full state (a sync step 2).
    await waitFor(() => sock.messages.filter((m) => m[0] === Op.Sync).length >= 2, 'the sync replies');
    await new Promise((r) => setTimeout(r, 200));
    const after = await count();
    sock.ws.close();
    expect(after.syncIn - before.syncIn).toBe(2);
    expect(after.out - before.out).toBe(sock.messages.length);
    expect(after.bytes - before.bytes).toBe(sock.messages.reduce((a, m) => a + m.length, 0));
  });

  it('exchanges a one-time invitation for a session token once, and refuses it the second time', async () => {
    const inv = await createInvitation(server.hub, DEMO, { userId: 'cred-alfa', name: 'ООО «Альфа-Консалт»', role: 'voter', rows: ['c08'], ttlHours: 1 }, { reusable: false, publicUrl: server.url });
    const first = await api('/api/login/link', { method: 'POST', body: JSON.stringify({ token: inv.token }) });
    expect(first.status).toBe(200);
    const body = (await first.json()) as { token: string; role: string; meetingId: string };
    expect(body).toMatchObject({ role: 'voter', meetingId: DEMO });
    const again = await api('/api/login/link', { method: 'POST', body: JSON.stringify({ token: inv.token }) });
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: string }).error).toMatch(/already used/);
    expect((await api('/api/login/link', { method: 'POST', body: '{not json' })).status).toBe(400);
  });

  it('imports a register from CSV, and refuses a file with any bad row without changing the stored register', async () => {
    const created = await api('/api/meetings', { method: 'POST', token: org, body: JSON.stringify({ title: 'Собрание кредиторов ООО «Лютик»', startsAt: '2026-12-20T10:00:00+03:00' }) });
    expect(created.status).toBe(201);
    const { id, organizerToken } = (await created.json()) as { id: string; organizerToken: string };
    const good = 'id,name,inn,votes,secured\nr1,ООО «Один»,7701000001,1000.00,no\nr2,ООО «Два»,7701000002,2500.50,yes\n';
    const ok = await api(`/api/meetings/${id}/register`, { method: 'POST', token: organizerToken, body: good });
    expect(await ok.json()).toEqual({ imported: 2 });
    const bad = 'id,name,inn,votes,secured\nr1,ООО «Один»,7701000001,1000.00,no\nr1,Дубль,,12,no\nr3,,123,1.234,maybe\n';
    const refused = await api(`/api/meetings/${id}/register`, { method: 'POST', token: organizerToken, body: bad });
    expect(refused.status).toBe(422);
    const details = ((await refused.json()) as { details: { line: number; message: string }[] }).details;
    expect(details.map((d) => d.line)).toEqual([3, 4, 4, 4, 4]);
    expect(details.map((d) => d.message).join(' ')).toMatch(/appears twice.*name is empty.*more than two decimals.*yes or no.*10 or 12 digits/s);
    const rows = ((await (await api(`/api/meetings/${id}/register`, { token: organizerToken })).json()) as { rows: { id: string; votes: string }[] }).rows;
    expect(rows.map((r) => [r.id, r.votes])).toEqual([['r1', '1000.00'], ['r2', '2500.50']]);
    // Another meeting's organizer may not touch this register.
    expect((await api(`/api/meetings/${id}/register`, { method: 'POST', token: org, body: good })).status).toBe(403);
  });

  it('stores documents by content hash with type and size checks', async () => {
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    const up = await api(`/api/meetings/${DEMO}/documents`, { method: 'POST', token: org, body: pdf, headers: { 'x-filename': 'draft.pdf' } });
    expect(up.status).toBe(201);
    const { sha256 } = (await up.json()) as { sha256: string };
    expect(sha256).toBe(crypto.createHash('sha256').update(pdf).digest('hex'));
    const down = await api(`/api/documents/${sha256}`, { token: await tokenFor(server, 'cred-stroy') });
    expect(down.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await down.arrayBuffer()).equals(pdf)).toBe(true);
    expect((await api(`/api/documents/${sha256}`)).status).toBe(401);
    const exe = await api(`/api/meetings/${DEMO}/documents`, { method: 'POST', token: org, body: Buffer.from('MZ\x90\x00binary') });
    expect(exe.status).toBe(415);
    const voter = await api(`/api/meetings/${DEMO}/documents`, { method: 'POST', token: await tokenFor(server, 'cred-stroy'), body: pdf });
    expect(voter.status).toBe(403);
    const huge = await api(`/api/meetings/${DEMO}/documents`, { method: 'POST', token: org, body: Buffer.concat([Buffer.from('%PDF-'), Buffer.alloc(26 * 1024 * 1024)]) });
    expect(huge.status).toBe(413);
  });

  it('says what is wrong with an unknown endpoint or an invalid request', async () => {
    const r = await api('/api/nothing-here');
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: string }).error).toMatch(/No such endpoint/);
    const invalid = await api('/api/meetings', { method: 'POST', token: org, body: JSON.stringify({ title: '' }) });
    expect(invalid.status).toBe(422);
  });
});
