/**
 * CI smoke of the load harness: a small fill and chat burst (100 connections, rooms of 50) against a
 * real hub child process, failing on errors (lost connections, refused commands, missing or
 * duplicated deliveries), never on timings. Also checks that the k6 bundle builds and every k6
 * script parses, and that the protocol code the k6 scripts run (ProtocolSession) joins, posts and
 * receives against the real hub.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { runBench } from '../harness/bench.ts';
import { defaultOptions } from '../harness/options.ts';
import { buildK6 } from '../harness/buildK6.ts';
import { demoOrganizerInvite, startHubProcess, type ServerProcess } from '../harness/ServerProcess.ts';
import { login, provisionRooms } from '../harness/provision.ts';
import { ProtocolSession, markerText, MarkerKind, type Marker } from '../scenarios/index.ts';

const dirs: string[] = [];
const tmp = (prefix: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
};

afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('load harness smoke', () => {
  it('fills 100 connections and delivers a chat and annotation burst to everyone, without errors', async () => {
    const opts = {
      ...defaultOptions(),
      scenarios: ['fill' as const, 'chat' as const],
      layouts: ['rooms' as const],
      connections: 100,
      roomSize: 50,
      // 20 s under load: 10 s of idle connections heartbeating, 10 s of the burst.
      holdSeconds: 10,
      heartbeatMs: 2000,
      chatSeconds: 10,
      chatRate: 20,
      workers: 2,
      replicaSample: 10,
      peers: [],
      quiet: true,
      quietWaitSeconds: 0,
      outDir: tmp('agora-smoke-'),
    };
    const summary = await runBench(opts, () => {});
    expect(summary.runs.map((r) => r.name)).toEqual(['fill-rooms', 'chat-rooms']);
    for (const r of summary.runs) {
      expect(r.errors, `${r.name}: ${r.errors.samples.join('; ')}`).toMatchObject({ total: 0 });
      expect(r.connections).toBe(100);
    }
    const [fill, chat] = summary.runs;
    expect(fill!.values.connectedAtEnd).toBe(100);
    expect(chat!.values.messagesAcknowledged).toBeGreaterThan(0);
    expect(chat!.values.messagesAcknowledged).toBe(chat!.values.messagesSent);
    expect(chat!.values.missingDeliveries).toBe(0);
    expect(chat!.values.duplicateDeliveries).toBe(0);
    expect(chat!.values.replicasChecked).toBeGreaterThan(0);
    // Every message reached the 48 other participants of its room (organizers are not counted).
    expect(chat!.values.deliveries).toBe(chat!.values.messagesAcknowledged! * 48);
    expect(fs.existsSync(path.join(opts.outDir, 'summary.json'))).toBe(true);
    expect(fs.readFileSync(path.join(opts.outDir, 'report.html'), 'utf8')).toContain('<svg');
  });

  it('runs the fan-out comparison against Hocuspocus, on one process and as a cluster on Redis, delivering every update', async () => {
    const opts = {
      ...defaultOptions(),
      scenarios: ['fanout' as const],
      fanoutReaders: [20],
      fanoutSeconds: 3,
      fanoutWarmupSeconds: 1,
      workers: 2,
      replicaSample: 5,
      quiet: true,
      quietWaitSeconds: 0,
      outDir: tmp('agora-smoke-fanout-'),
    };
    const summary = await runBench(opts, () => {});
    expect(summary.runs.map((r) => r.name)).toEqual(['fanout-n20-hub', 'fanout-n20-hocuspocus', 'fanout-n20-hub-cluster', 'fanout-n20-hocuspocus-cluster']);
    for (const r of summary.runs) {
      expect(r.errors, `${r.name}: ${r.errors.samples.join('; ')}`).toMatchObject({ total: 0 });
      expect(r.values.connected, r.name).toBe(20);
      expect(r.values.missingDeliveries, r.name).toBe(0);
      expect(r.values.duplicateDeliveries, r.name).toBe(0);
      expect(r.values.replicasChecked, r.name).toBeGreaterThan(0);
      expect(r.latency['fanout.delivery']?.count, r.name).toBe(r.values.updatesMeasured! * 20);
    }
    expect(summary.fanout.map((c) => [c.readers, c.topology, c.peer.name])).toEqual([
      [20, 'single', 'hocuspocus'],
      [20, 'cluster', 'hocuspocus'],
    ]);
    for (const c of summary.fanout) expect(c.ratios.cpuPerDelivery).toBeGreaterThan(0);
  });

  it('builds the k6 bundle and every k6 script parses', async () => {
    const r = await buildK6();
    expect(r.bytes).toBeGreaterThan(10_000);
    expect(r.scripts.map((s) => path.basename(s)).sort()).toEqual(['chat-burst.js', 'fill.js', 'lib.js', 'reconnect-storm.js', 'vote-storm.js']);
  });

  describe('the k6 protocol code against a real hub', () => {
    let hub: ServerProcess | null = null;
    afterAll(async () => {
      await hub?.stop();
    });

    it('joins, syncs, posts and receives through ProtocolSession', async () => {
      const dir = tmp('agora-k6-');
      hub = await startHubProcess({ dataDir: dir, logFile: path.join(dir, 'hub.log') });
      const organizer = await login(hub.httpUrl, demoOrganizerInvite(path.join(dir, 'hub.log'))!);
      const [room] = await provisionRooms(hub.httpUrl, `${hub.wsBase}/ws`, organizer, 'k6', [3]);
      const open = (k: number, onMarker: (m: Marker) => void) => {
        const member = room!.members[k]!;
        let resolveSynced!: () => void;
        const synced = new Promise<void>((r) => (resolveSynced = r));
        const results: string[] = [];
        const s = new ProtocolSession({ userId: member.userId, session: `k6-smoke-${k}`, replicas: ['chat'], presence: true }, { synced: () => resolveSynced(), marker: onMarker, result: (type, ok) => results.push(`${type}:${ok}`) });
        const ws = new WebSocket(`${hub!.wsBase}/ws?token=${encodeURIComponent(member.token)}`);
        s.send = (f) => ws.send(f);
        ws.on('open', () => s.opened());
        ws.on('message', (d: Buffer) => s.receive(new Uint8Array(d)));
        return { s, ws, synced, results };
      };
      const got: Marker[] = [];
      const a = open(1, () => {});
      const b = open(2, (m) => got.push(m));
      await Promise.all([a.synced, b.synced]);
      a.s.command('chat.post', { text: markerText(MarkerKind.Chat, 0, 1, 1, Date.now(), 80) });
      const deadline = Date.now() + 5000;
      while ((got.length === 0 || a.results.length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(a.results).toEqual(['chat.post:true']);
      expect(got).toMatchObject([{ kind: 'c', room: 0, sender: 1, seq: 1 }]);
      // The replica of the receiver holds the message too.
      expect(b.s.docs.get('chat')!.getArray<{ text: string }>('messages').toArray().map((m) => m.text.slice(0, 12))).toEqual(['#LT:c:0:1:1:']);
      a.ws.close();
      b.ws.close();
    });
  });
});
