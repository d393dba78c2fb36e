/**
 * One meeting spread over three local hubs and one Redis: clients connect round-robin to the hubs,
 * one admitted participant posts chat at a fixed rate, and every client records when each message
 * arrives. Reports delivery latency per hub (the owner's clients and the replicas'), so ops see
 * what the cross-hub hop costs.
 *
 *   npm run bench:cluster -- [--clients 150] [--rate 20] [--seconds 20]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { Layout } from '../../shared/docs.ts';
import { REPO_ROOT } from '../../server/config.ts';
import { TestCluster, TestRedis } from '../../server/test/clusterHarness.ts';
import type { HubClient } from '../../shared/client/HubClient.ts';

const { values } = parseArgs({ options: { clients: { type: 'string', default: '150' }, rate: { type: 'string', default: '20' }, seconds: { type: 'string', default: '20' } } });
const N = Number(values.clients);
const rate = Number(values.rate);
const seconds = Number(values.seconds);

const redis = await TestRedis.start();
const cluster = new TestCluster(redis);
try {
  await cluster.start(3);
  const r = new Redis(redis.url);
  const org = await cluster.connect(0, 'org-ivanov', 'organizer');
  const owner = await cluster.owner((k) => r.get(k));
  r.disconnect();
  await org.command('participant.admit', { userId: 'cred-stroy' });
  // The writer sits on a replica hub, so every message crosses hubs twice (forward, then fan-out).
  const writerHub = (owner.index + 1) % 3;
  const writer = await cluster.connect(writerHub, 'cred-stroy', 'voter', ['c02']);
  const readers: { client: HubClient; hub: number; seen: Map<string, number> }[] = [];
  for (let i = 0; i < N; i++) {
    const hub = i % 3;
    const client = await cluster.connect(hub, 'obs-debtor', 'observer');
    const seen = new Map<string, number>();
    // Only the inserted messages are read (reading the whole chat on every update would make the load generator the bottleneck).
    Layout.chat(client.docs.chat).observe((e) => {
      const now = performance.now();
      for (const d of e.changes.delta) for (const m of (d.insert as { text?: string }[] | undefined) ?? []) if (m.text && !seen.has(m.text)) seen.set(m.text, now);
    });
    readers.push({ client, hub, seen });
    if (i % 25 === 24) process.stdout.write(`connected ${i + 1}/${N}\n`);
  }
  const sentAt = new Map<string, number>();
  const total = rate * seconds;
  process.stdout.write(`owner is hub ${owner.index}, writer on hub ${writerHub}; sending ${total} messages at ${rate}/s to ${N} readers\n`);
  for (let i = 0; i < total; i++) {
    const text = `bench-${i}`;
    sentAt.set(text, performance.now());
    void writer.command('chat.post', { text });
    await new Promise((res) => setTimeout(res, 1000 / rate));
  }
  await new Promise((res) => setTimeout(res, 2000));
  const perHub = [0, 1, 2].map((hub) => {
    const lat: number[] = [];
    let missing = 0;
    for (const rd of readers.filter((x) => x.hub === hub)) {
      for (const [text, t0] of sentAt) {
        const t = rd.seen.get(text);
        if (t === undefined) missing += 1;
        else lat.push(t - t0);
      }
    }
    lat.sort((a, b) => a - b);
    const q = (p: number) => Math.round((lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN) * 10) / 10;
    return { hub, role: hub === owner.index ? 'owner' : 'replica', deliveries: lat.length, missing, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: q(1) };
  });
  console.log('\nhub  role     deliveries  missing  p50 ms  p95 ms  p99 ms  max ms');
  for (const h of perHub) {
    console.log(`${String(h.hub).padStart(3)}  ${h.role.padEnd(7)}  ${String(h.deliveries).padStart(10)}  ${String(h.missing).padStart(7)}  ${String(h.p50).padStart(6)}  ${String(h.p95).padStart(6)}  ${String(h.p99).padStart(6)}  ${String(h.max).padStart(6)}`);
  }
  const out = path.join(REPO_ROOT, 'loadtest', 'results');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'cluster-cross-hub.json'), JSON.stringify({ at: new Date().toISOString(), clients: N, rate, seconds, perHub }, null, 2));
} finally {
  await cluster.stop();
}
process.exit(0);
