import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import { CloseCode, Op, PROTOCOL_VERSION, encodeJson, encodeSync } from '../../shared/protocol/index.ts';
import { readChat } from '../../shared/docs.ts';
import type { HubServer } from '../app.ts';
import type { HubClient } from '../../shared/client/HubClient.ts';
import { connect, rawSocket, startTestHub, tokenFor, waitFor, wsUrl } from './helpers.ts';

/** Opens a raw socket as `userId`, says hello and (unless the hello is meant to be refused) waits for the welcome. */
async function helloSocket(server: HubServer, userId: string, hello: object = {}, expectWelcome = !('v' in hello)) {
  const s = rawSocket(`${wsUrl(server)}?token=${await tokenFor(server, userId)}`);
  await s.opened;
  s.ws.send(encodeJson(Op.Hello, { v: PROTOCOL_VERSION, session: 'raw-session-1', generation: 1, ...hello }));
  if (expectWelcome) await welcomed(s);
  return s;
}

async function welcomed(s: ReturnType<typeof rawSocket>) {
  await waitFor(() => s.messages.some((m) => m[0] === Op.Welcome), 'welcome');
}

describe('bad input closes only the offending session and loses nothing', () => {
  let server: HubServer;
  let witness: HubClient;

  beforeAll(async () => {
    server = await startTestHub({ MAX_FRAME_BYTES: '65536', RATE_FRAMES_PER_SECOND: '50', RATE_FRAMES_BURST: '100', LOG_LEVEL: process.env.TEST_LOG ?? 'silent' });
    witness = await connect(server, 'org-ivanov');
    await witness.whenSynced();
    expect((await witness.command('chat.post', { text: 'stored before the attacks' })).ok).toBe(true);
  });

  afterAll(async () => {
    // The witness saw everything and still works; what was stored is still there.
    expect(witness.state).toBe('open');
    expect((await witness.command('chat.post', { text: 'after the attacks' })).ok).toBe(true);
    expect(readChat(witness.docs.chat).map((m) => m.text)).toEqual(['stored before the attacks', 'after the attacks']);
    witness.close();
    await server.stop();
  });

  const cases: [string, (s: ReturnType<typeof rawSocket>) => void, number][] = [
    ['an oversized frame', (s) => s.ws.send(new Uint8Array(70_000)), CloseCode.FrameTooLarge],
    ['an unknown opcode', (s) => s.ws.send(new Uint8Array([99, 1, 2])), CloseCode.BadFrame],
    ['a truncated varint', (s) => s.ws.send(new Uint8Array([0x80])), CloseCode.BadFrame],
    ['a server-only opcode', (s) => s.ws.send(encodeJson(Op.Result, { id: 'x', ok: true, value: 1 })), CloseCode.ProtocolViolation],
    ['invalid JSON in a command', (s) => s.ws.send(new Uint8Array([Op.Command, 3, 0x7b, 0x7b, 0x7b])), CloseCode.BadFrame],
    ['a command envelope without an id', (s) => s.ws.send(encodeJson(Op.Command, { type: 'chat.post', args: { text: 'x' } })), CloseCode.BadFrame],
    ['a text frame', (s) => s.ws.send('hello'), CloseCode.BadFrame],
    ['a second hello', (s) => s.ws.send(encodeJson(Op.Hello, { v: PROTOCOL_VERSION, session: 'raw-session-1', generation: 2 })), CloseCode.ProtocolViolation],
    [
      'a Yjs update to a read-only document',
      (s) => {
        const e = encoding.createEncoder();
        encoding.writeVarUint(e, 2);
        encoding.writeVarUint8Array(e, new Uint8Array([0, 0]));
        s.ws.send(encodeSync('chat', encoding.toUint8Array(e)));
      },
      CloseCode.ReadOnlyDocument,
    ],
    ['a sync frame for an unknown document', (s) => s.ws.send(encodeSync('secrets', new Uint8Array([0, 0]))), CloseCode.BadFrame],
    [
      'a flood of frames',
      (s) => {
        for (let i = 0; i < 300; i++) s.ws.send(encodeJson(Op.Command, { id: `f${i}`, type: 'hand.lower', args: {} }));
      },
      CloseCode.RateLimited,
    ],
    [
      'presence for another client id',
      (s) => {
        const e = encoding.createEncoder();
        encoding.writeVarUint(e, 1);
        encoding.writeVarUint(e, 12345);
        encoding.writeVarUint(e, 1);
        encoding.writeVarString(e, JSON.stringify({ userId: 'cred-stroy', name: 'x', online: true }));
        const inner = encoding.toUint8Array(e);
        const f = encoding.createEncoder();
        encoding.writeVarUint(f, Op.Awareness);
        encoding.writeVarUint8Array(f, inner);
        s.ws.send(encoding.toUint8Array(f));
      },
      CloseCode.ProtocolViolation,
    ],
  ];

  for (const [what, send, code] of cases) {
    it(`closes the session on ${what} with code ${code}`, async () => {
      const s = await helloSocket(server, 'cred-stroy');
      await welcomed(s);
      send(s);
      expect((await s.closed).code).toBe(code);
    });
  }

  it('closes an organizer sending a malformed update to the collaborative document', async () => {
    const s = await helloSocket(server, 'org-ivanov', { session: 'raw-org-session' });
    await welcomed(s);
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 2);
    encoding.writeVarUint8Array(e, new Uint8Array([200, 1, 2, 3, 4, 5]));
    s.ws.send(encodeSync('drafts', encoding.toUint8Array(e)));
    expect((await s.closed).code).toBe(CloseCode.BadFrame);
  });

  it('refuses a frame before hello, and versions too old or too new', async () => {
    const token = await tokenFor(server, 'cred-stroy');
    const a = rawSocket(`${wsUrl(server)}?token=${token}`);
    await a.opened;
    a.ws.send(encodeJson(Op.Command, { id: '1', type: 'hand.raise', args: {} }));
    expect((await a.closed).code).toBe(CloseCode.ProtocolViolation);
    const old = await helloSocket(server, 'cred-stroy', { v: 0 });
    expect((await old.closed).code).toBe(CloseCode.VersionTooOld);
    const young = await helloSocket(server, 'cred-stroy', { v: PROTOCOL_VERSION + 1 });
    expect((await young.closed).code).toBe(CloseCode.VersionTooNew);
  });

  it('refuses missing, forged and expired tokens with named codes', async () => {
    const none = rawSocket(wsUrl(server));
    expect((await none.closed).code).toBe(CloseCode.AuthInvalid);
    const good = await tokenFor(server, 'cred-stroy');
    const [h, p] = good.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ sub: 'org-ivanov', mid: 'demo-creditors', role: 'organizer', name: 'x', rows: [], exp: 9999999999 })).toString('base64url')}.${good.split('.')[2]}`;
    expect(p).toBeTruthy();
    const f = rawSocket(`${wsUrl(server)}?token=${forged}`);
    expect((await f.closed).code).toBe(CloseCode.AuthInvalid);
    const expired = (await server.hub.tokens.issue({ userId: 'cred-stroy', meetingId: 'demo-creditors', role: 'voter', name: 'x', rows: ['c02'] }, -10)).token;
    const e = rawSocket(`${wsUrl(server)}?token=${expired}`);
    expect((await e.closed).code).toBe(CloseCode.AuthExpired);
  });

  it('ends a session when its token expires', async () => {
    const short = (await server.hub.tokens.issue({ userId: 'cred-stroy', meetingId: 'demo-creditors', role: 'voter', name: 'x', rows: ['c02'] }, 2)).token;
    const s = rawSocket(`${wsUrl(server)}?token=${short}`);
    await s.opened;
    s.ws.send(encodeJson(Op.Hello, { v: PROTOCOL_VERSION, session: 'short-lived', generation: 1 }));
    await welcomed(s);
    expect((await s.closed).code).toBe(CloseCode.AuthExpired);
  });

  it('refuses a token for a meeting that does not exist', async () => {
    const t = (await server.hub.tokens.issue({ userId: 'org-ivanov', meetingId: 'no-such-meeting', role: 'organizer', name: 'x', rows: [] })).token;
    const s = rawSocket(`${wsUrl(server)}?token=${t}`);
    await s.opened;
    s.ws.send(encodeJson(Op.Hello, { v: PROTOCOL_VERSION, session: 'nowhere-1', generation: 1 }));
    expect((await s.closed).code).toBe(CloseCode.MeetingNotFound);
  });

  it('answers a command for another meeting with an error, not a change', async () => {
    const s = await helloSocket(server, 'org-ivanov', { session: 'raw-org-session-2' });
    await welcomed(s);
    s.ws.send(encodeJson(Op.Command, { id: 'c1', type: 'chat.post', meeting: 'm-other', args: { text: 'wrong room' } }));
    await waitFor(() => s.messages.some((m) => m[0] === Op.Result), 'result');
    const text = s.messages.find((m) => m[0] === Op.Result)!.toString('utf8');
    expect(text).toContain('wrong-meeting');
    s.ws.close();
  });

  it('lets a newer connection of a session replace the older, never the reverse', async () => {
    const first = await helloSocket(server, 'cred-fns', { session: 'tab-abcdefgh', generation: 1 });
    await welcomed(first);
    const second = await helloSocket(server, 'cred-fns', { session: 'tab-abcdefgh', generation: 2 });
    await welcomed(second);
    expect((await first.closed).code).toBe(CloseCode.SessionReplaced);
    const stale = await helloSocket(server, 'cred-fns', { session: 'tab-abcdefgh', generation: 1 }, false);
    expect((await stale.closed).code).toBe(CloseCode.SessionReplaced);
    expect(second.ws.readyState).toBe(WebSocket.OPEN);
    second.ws.close();
  });
});
