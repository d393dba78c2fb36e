/**
 * Large frames (a joiner's full state) go out compressed to clients that offer permessage-deflate,
 * as browsers do, and uncompressed to clients that do not; both end with the same documents.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readChat } from '../../shared/docs.ts';
import type { WebSocketCtor } from '../../shared/client/HubClient.ts';
import type { HubServer } from '../app.ts';
import { connect, rawSocket, startTestHub, tokenFor, wsUrl } from './helpers.ts';

/** A `ws` client that declines permessage-deflate. */
class PlainWebSocket extends WebSocket {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols, { perMessageDeflate: false });
  }
}

describe('compression of large frames', () => {
  let server: HubServer;

  beforeAll(async () => {
    server = await startTestHub();
  });
  afterAll(() => server.stop());

  it('a joiner receives a chat of more than 16 KB whole, with and without permessage-deflate', async () => {
    const org = await connect(server, 'org-ivanov');
    await org.whenSynced();
    const texts = Array.from({ length: 14 }, (_, i) => `Сообщение ${i}: ${'возражаю против включения требования в реестр; '.repeat(35)}`.slice(0, 2000).trim());
    for (const text of texts) expect((await org.command('chat.post', { text })).ok).toBe(true);
    expect(texts.join('').length).toBeGreaterThan(16 * 1024);

    const deflating = await connect(server, 'obs-debtor');
    const plain = await connect(server, 'cred-stroy', { WebSocket: PlainWebSocket as unknown as WebSocketCtor });
    await Promise.all([deflating.whenSynced(), plain.whenSynced()]);
    for (const c of [deflating, plain]) expect(readChat(c.docs.chat).map((m) => m.text).slice(-texts.length)).toEqual(texts);

    // The hub agrees to compress when asked, and sends plain frames otherwise.
    const offered = rawSocket(`${wsUrl(server)}?token=${await tokenFor(server, 'cred-fns')}`);
    await offered.opened;
    expect(offered.ws.extensions).toContain('permessage-deflate');
    offered.ws.close();
    const declined = new PlainWebSocket(`${wsUrl(server)}?token=${await tokenFor(server, 'cred-fns')}`);
    await new Promise((resolve) => declined.once('open', resolve));
    expect(declined.extensions).toBe('');
    declined.close();
    for (const c of [org, deflating, plain]) c.close();
  });
});
