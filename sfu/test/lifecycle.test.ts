import { afterEach, describe, expect, it } from 'vitest';
import type { WorkerPool } from '../WorkerPool.ts';
import { TestClient, createTestPool, eventually } from './helpers.ts';

const PORTS = 41000;

async function routerIdsOf(pool: WorkerPool): Promise<string[]> {
  const ids: string[] = [];
  for (const w of pool.workers()) {
    const worker = pool.worker(w.index);
    if (worker === null) continue;
    const dump: unknown = await worker.dump();
    if (typeof dump === 'object' && dump !== null && 'routerIds' in dump && Array.isArray(dump.routerIds)) {
      ids.push(...dump.routerIds.map(String));
    }
  }
  return ids;
}

describe('WorkerPool / Room / Peer lifecycle (real workers)', () => {
  let pool: WorkerPool | null = null;
  afterEach(() => {
    pool?.close();
    pool = null;
  });

  it('starts one worker per slot with disjoint port ranges', async () => {
    pool = await createTestPool(PORTS, { numWorkers: 2 });
    const workers = pool.workers();
    expect(workers).toHaveLength(2);
    expect(workers.every((w) => w.alive && w.pid !== null)).toBe(true);
    expect(workers[0]!.rtcMaxPort).toBeLessThan(workers[1]!.rtcMinPort);
    const usage = await pool.getResourceUsage();
    expect(usage.map((u) => u.workerIndex)).toEqual([0, 1]);
    expect(usage[0]!.usage.ru_utime).toBeGreaterThanOrEqual(0);
  });

  it('media flows through the room, and closing it leaves no router or transport behind', async () => {
    pool = await createTestPool(PORTS, { numWorkers: 2 });
    const room = pool.createRoom('meeting-1');
    const [a, b, c] = ['a', 'b', 'c'].map((id) => new TestClient(room, id));
    room.setFloor(['a']);
    for (const client of [a!, b!, c!]) await client.connect();
    const mic = await a!.produce('mic');
    const cam = await a!.produce('cam');
    await b!.produce('cam');

    // b and c receive a's audio (floor holder) and a's camera; c also gets b's camera.
    await eventually(() => {
      const got = c!.eventsOf('newConsumer').map((e) => e.consumer.producerId);
      expect(got).toEqual(expect.arrayContaining([mic, cam]));
      expect(got).toHaveLength(3);
    });
    const metrics = await pool.getMetrics();
    expect(metrics.rooms).toBe(1);
    expect(metrics.peers).toBe(3);
    expect(metrics.producers.audio.active).toBe(1);
    expect(metrics.producers.video.active).toBe(2);
    // Consumers start paused until the client resumes them.
    expect(metrics.consumers.audio.paused).toBe(2);
    expect(metrics.consumers.video.paused).toBe(4);
    expect(metrics.workers.reduce((n, w) => n + w.transports, 0)).toBeGreaterThanOrEqual(6);
    expect(metrics.bitrate).not.toBeNull();

    const first = c!.eventsOf('newConsumer')[0]!.consumer.consumerId;
    expect((await c!.ok({ type: 'resumeConsumer', consumerId: first })).paused).toBe(false);
    expect((await pool.getMetrics()).consumers.audio.active + (await pool.getMetrics()).consumers.video.active).toBe(1);

    expect(await routerIdsOf(pool)).not.toHaveLength(0);
    room.close();
    room.close();
    expect(pool.getRoom('meeting-1')).toBeUndefined();
    await eventually(async () => expect(await routerIdsOf(pool!)).toEqual([]));
    expect((await pool.getMetrics()).workers.every((w) => w.routers === 0 && w.transports === 0)).toBe(true);
  });

  it('closes a router when its last peer leaves', async () => {
    pool = await createTestPool(PORTS, { numWorkers: 1 });
    const room = pool.createRoom('meeting-2');
    const a = new TestClient(room, 'a');
    const b = new TestClient(room, 'b');
    await a.connect();
    await b.connect();
    await a.produce('cam');
    expect(await routerIdsOf(pool)).toHaveLength(1);
    expect((await a.ok({ type: 'leave' })).left).toBe(true);
    expect(await routerIdsOf(pool)).toHaveLength(1);
    room.leave('b');
    await eventually(async () => expect(await routerIdsOf(pool!)).toEqual([]));
    // A left peer's requests are refused, not thrown.
    const reply = await a.request({ type: 'getRouterRtpCapabilities' });
    expect(reply.result.ok ? null : reply.result.error.code).toBe('notJoined');
  });

  it('pool.close() is idempotent, closes rooms first and ends the workers', async () => {
    pool = await createTestPool(PORTS, { numWorkers: 2 });
    const room = pool.createRoom('meeting-3');
    const a = new TestClient(room, 'a');
    await a.connect();
    pool.close();
    pool.close();
    expect(room.closed).toBe(true);
    expect(pool.workers().every((w) => !w.alive)).toBe(true);
    expect(await pool.whenWorkerAvailable()).toBe(false);
    expect(() => pool!.createRoom('late')).toThrow(/closed/);
    const reply = await a.request({ type: 'getRouterRtpCapabilities' });
    expect(reply.result.ok ? null : reply.result.error.code).toBe('mediaUnavailable');
  });
});
