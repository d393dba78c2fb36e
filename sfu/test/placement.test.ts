import { afterEach, describe, expect, it } from 'vitest';
import type { WorkerPool } from '../WorkerPool.ts';
import { TestClient, createTestPool, eventually, routerProducerIds } from './helpers.ts';

const PORTS = 42000;

describe('placement and piping (real workers)', () => {
  let pool: WorkerPool | null = null;
  afterEach(() => {
    pool?.close();
    pool = null;
  });

  const workerOf = (pool: WorkerPool, roomId: string, peerId: string): number | undefined =>
    pool.getRoom(roomId)?.getPeer(peerId)?.routerEntry?.workerIndex;

  it('keeps a small room on one router, and spreads when the router costs nothing', async () => {
    pool = await createTestPool(PORTS);
    const packed = pool.createRoom('packed');
    for (const id of ['a', 'b', 'c']) await new TestClient(packed, id).connect();
    expect(['a', 'b', 'c'].map((p) => workerOf(pool!, 'packed', p))).toEqual([0, 0, 0]);

    const spread = pool.createRoom('spread', { newRouterPenalty: 0 });
    // Worker 0 already carries the packed room, so the first peer goes to worker 1.
    for (const id of ['x', 'y']) await new TestClient(spread, id).connect({ consume: false });
    expect(workerOf(pool, 'spread', 'x')).toBe(1);
    expect(workerOf(pool, 'spread', 'y')).toBe(1);
    // Load is peers + producers + consumers: worker 0 has 3, worker 1 has 2, so z joins worker 1.
    expect([pool.workerLoad(0), pool.workerLoad(1)]).toEqual([3, 2]);
    await new TestClient(spread, 'z').connect({ consume: false });
    expect(workerOf(pool, 'spread', 'z')).toBe(1);
    // Then worker 0 is the lighter one, and the fourth peer goes there.
    await new TestClient(spread, 'w').connect({ consume: false });
    expect(workerOf(pool, 'spread', 'w')).toBe(0);
  });

  it('places a new peer on the least-loaded worker by producers and consumers', async () => {
    pool = await createTestPool(PORTS + 200);
    // A large penalty keeps the busy room on one worker.
    const busy = pool.createRoom('busy', { newRouterPenalty: 1000 });
    const speakers = ['s1', 's2', 's3'].map((id) => new TestClient(busy, id));
    busy.setFloor(['s1', 's2', 's3']);
    for (const s of speakers) {
      await s.connect();
      await s.produce('mic');
      await s.produce('cam');
    }
    // 3 peers, 6 producers and 12 consumers on worker 0.
    await eventually(() => expect(pool!.workerLoad(0)).toBe(3 + 6 + 12));
    const room = pool.createRoom('other', { newRouterPenalty: 8 });
    const a = new TestClient(room, 'a');
    await a.connect();
    expect(workerOf(pool, 'other', 'a')).toBe(1);
    // The next peer of that room stays with it (worker 1 is now far less loaded anyway).
    const b = new TestClient(room, 'b');
    await b.connect();
    expect(workerOf(pool, 'other', 'b')).toBe(1);
  });

  it('spreads a growing room to another worker once its router is clearly busier (default penalty)', async () => {
    pool = await createTestPool(PORTS + 800);
    const room = pool.createRoom('growing');
    room.setFloor(['s1', 's2', 's3']);
    for (const id of ['s1', 's2', 's3']) {
      const s = new TestClient(room, id);
      await s.connect();
      await s.produce('mic');
      await s.produce('cam');
    }
    // s1, s2: worker 0. Before s3 joins, worker 0 carries 2 peers + 4 producers + 4 consumers = 10,
    // more than an empty worker plus the new-router penalty (8).
    expect(['s1', 's2', 's3'].map((p) => workerOf(pool!, 'growing', p))).toEqual([0, 0, 1]);
    // And media still reaches everyone across the pipe.
    await eventually(() => expect(room.getPeer('s3')!.consumers.size).toBe(4));
    await eventually(() => expect(room.getPeer('s1')!.consumers.size).toBe(4));
  });

  it('pipes a producer to another router only while someone there consumes it', async () => {
    pool = await createTestPool(PORTS + 400);
    const room = pool.createRoom('pipes', { newRouterPenalty: 0, policy: { lastN: 0, maxIdleVideoConsumers: 0 } });
    const a = new TestClient(room, 'a');
    const b = new TestClient(room, 'b');
    await a.connect();
    await b.connect();
    expect(workerOf(pool, 'pipes', 'a')).toBe(0);
    expect(workerOf(pool, 'pipes', 'b')).toBe(1);
    const routerOf = (index: number) => room.routerEntries().find((e) => e.workerIndex === index)!.router;

    // lastN 0 and no stage: nobody shows a's camera, so it is not piped.
    const cam = await a.produce('cam');
    await new Promise((r) => setTimeout(r, 100));
    expect(await routerProducerIds(routerOf(0))).toContain(cam);
    expect(await routerProducerIds(routerOf(1))).not.toContain(cam);
    expect(b.eventsOf('newConsumer')).toHaveLength(0);

    // On stage, b consumes it: now it is piped to b's router.
    room.setStage('a');
    await eventually(() => expect(b.eventsOf('newConsumer').map((e) => e.consumer.producerId)).toEqual([cam]));
    expect(b.eventsOf('newConsumer')[0]!.consumer.view).toBe('stage');
    expect(await routerProducerIds(routerOf(1))).toContain(cam);

    // Off stage with no idle consumers kept: the consumer closes, and so does the pipe.
    room.setStage(null);
    await eventually(() => expect(b.eventsOf('consumerClosed').map((e) => e.reason)).toEqual(['notVisible']));
    await eventually(async () => expect(await routerProducerIds(routerOf(1))).not.toContain(cam));
    expect(await routerProducerIds(routerOf(0))).toContain(cam);
  });

  it('a producer on the same router is consumed without any pipe', async () => {
    pool = await createTestPool(PORTS + 600);
    const room = pool.createRoom('local');
    const a = new TestClient(room, 'a');
    const b = new TestClient(room, 'b');
    await a.connect();
    await b.connect();
    await a.produce('cam');
    await eventually(() => expect(b.eventsOf('newConsumer')).toHaveLength(1));
    expect(room.routerEntries()).toHaveLength(1);
    expect(room.routerEntries()[0]!.pipes.size).toBe(0);
  });
});
