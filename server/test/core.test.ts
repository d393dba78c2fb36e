/** Unit tests of the hub core over in-memory socket pairs (no network; frames move when the test settles). */
import { afterEach, describe, expect, it } from 'vitest';
import v8 from 'node:v8';
import vm from 'node:vm';
import { HubClient } from '../../shared/client/HubClient.ts';
import { readChat } from '../../shared/docs.ts';
import { CloseCode, Op } from '../../shared/protocol/index.ts';
import { MemoryNet } from './memory.ts';
import { DEMO } from './helpers.ts';

const rnd = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

describe('hub core over in-memory sockets', () => {
  let net: MemoryNet;
  afterEach(async () => net.close());

  async function client(userId: string, seed = 1): Promise<HubClient> {
    const p = await net.hub.storage.getParticipant(DEMO, userId);
    const u = await net.hub.storage.getUser(userId);
    const { token } = await net.hub.tokens.issue({ userId, meetingId: DEMO, role: p!.role, name: u!.name, rows: p!.rows });
    return new HubClient({ url: 'ws://memory/ws', token, WebSocket: net.WebSocket, random: rnd(seed), backoffInitialMs: 1, backoffMaxMs: 5 });
  }

  it('replicas converge after one settle', async () => {
    net = await MemoryNet.create();
    const org = await client('org-ivanov', 1);
    const obs = await client('obs-debtor', 2);
    await net.settle();
    expect(org.state).toBe('open');
    const sent = org.command('chat.post', { text: 'первое' });
    await net.settle();
    expect((await sent).ok).toBe(true);
    expect(readChat(obs.docs.chat).map((m) => m.text)).toEqual(['первое']);
  });

  it('closes a reader that stops reading with SlowConsumer; it reconnects and resyncs instead of forking', async () => {
    net = await MemoryNet.create({ MAX_BACKPRESSURE_BYTES: '4096' });
    const org = await client('org-ivanov', 3);
    const slow = await client('obs-debtor', 4);
    await net.settle();
    const slowLink = net.links[1]!;
    net.slowReaders.add(slowLink.client);
    const closes: number[] = [];
    slow.on('close', (code) => closes.push(code));
    for (let i = 0; i < 50; i++) void org.command('chat.post', { text: `message ${i} ${'x'.repeat(200)}` });
    await net.settle();
    expect(slowLink.closing?.code).toBe(CloseCode.SlowConsumer);
    net.slowReaders.delete(slowLink.client);
    await net.settle();
    expect(closes).toContain(CloseCode.SlowConsumer);
    await net.settle();
    expect(slow.state).toBe('open');
    expect(readChat(slow.docs.chat)).toHaveLength(50);
    expect(readChat(slow.docs.chat)).toEqual(readChat(org.docs.chat));
  });

  it('coalesces a flood of presence updates into few broadcasts', async () => {
    net = await MemoryNet.create({ AWARENESS_INTERVAL_MS: '1000' });
    const a = await client('org-ivanov', 5);
    const b = await client('obs-debtor', 6);
    await net.settle();
    await net.settle();
    const bLink = net.links[1]!;
    net.slowReaders.add(bLink.client); // hold b's frames to count them
    for (let i = 0; i < 100; i++) a.setPresence({ userId: 'org-ivanov', name: 'Иванов', online: true, hand: i % 2 === 0 });
    await net.settle();
    const awarenessFrames = bLink.toClient.filter((f) => f[0] === Op.Awareness).length;
    expect(awarenessFrames).toBeLessThanOrEqual(2);
    net.slowReaders.delete(bLink.client);
    await new Promise((r) => setTimeout(r, 1100));
    await net.settle();
    const state = [...(b.awareness?.getStates().values() ?? [])].find((s) => (s as { userId?: string }).userId === 'org-ivanov') as { hand?: boolean } | undefined;
    expect(state?.hand).toBe(false); // the last of the 100 updates won
  });

  it('unloads meetings once idle: a thousand meetings opened and closed leave nothing loaded and the heap near baseline', async () => {
    net = await MemoryNet.create({ UNLOAD_IDLE_MS: '0' });
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const heap = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const { storage, tokens } = net.hub;
    const round = async (n: number, offset: number) => {
      for (let i = 0; i < n; i++) {
        const id = `soak-${offset + i}`;
        await storage.createMeeting({ id, title: `Soak ${i}`, kind: 'board', startsAt: '2026-12-01T10:00:00Z', organizerUserId: 'org-ivanov', createdAt: Date.now() });
        await storage.upsertParticipant({ meetingId: id, userId: 'org-ivanov', role: 'organizer', rows: [] });
        const { token } = await tokens.issue({ userId: 'org-ivanov', meetingId: id, role: 'organizer', name: 'Иванов', rows: [] });
        const c = new HubClient({ url: 'ws://memory/ws', token, WebSocket: net.WebSocket, random: rnd(i) });
        await net.settle();
        const r = c.command('chat.post', { text: `hello ${i}` });
        await net.settle();
        expect((await r).ok).toBe(true);
        c.close();
        await net.settle();
        net.links.length = 0;
      }
      await new Promise((r) => setTimeout(r, 50));
      await net.settle();
    };
    await round(100, 0); // warm up code paths
    const baseline = heap();
    await round(1000, 100);
    expect(net.hub.loadedCount).toBe(0);
    const grown = heap() - baseline;
    expect(grown).toBeLessThan(20 * 1024 * 1024);
  }, 120_000);
});
