import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { SfuLogger } from '../log.ts';
import type { WorkerDeathReport, WorkerPool } from '../WorkerPool.ts';
import { TestClient, createTestPool, eventually } from './helpers.ts';

const PORTS = 44000;

describe('worker death (SIGKILL a real worker)', () => {
  let pool: WorkerPool | null = null;
  afterEach(() => {
    pool?.close();
    pool = null;
  });

  it('reports the dead worker, tells its peers to reconnect, replaces it, and media works again', async () => {
    // The hub's pino logger fits the SFU's logger interface.
    const logger: SfuLogger = pino({ level: 'silent' });
    pool = await createTestPool(PORTS, { respawnDelayMs: 100, logger });
    const deaths: WorkerDeathReport[] = [];
    const replaced: { workerIndex: number; pid: number }[] = [];
    pool.on('workerDied', (r) => deaths.push(r));
    pool.on('workerReplaced', (r) => replaced.push(r));
    // A listener that throws must not stop the others.
    pool.on('workerDied', () => {
      throw new Error('a broken listener');
    });

    const room = pool.createRoom('meeting', { newRouterPenalty: 0 });
    const a = new TestClient(room, 'a');
    const b = new TestClient(room, 'b');
    await a.connect();
    await b.connect();
    room.setFloor(['a', 'b']);
    const micA = await a.produce('mic');
    await b.produce('mic');
    const peerA = room.getPeer('a')!;
    expect(peerA.routerEntry?.workerIndex).toBe(0);
    expect(room.getPeer('b')!.routerEntry?.workerIndex).toBe(1);
    await eventually(() => expect(b.eventsOf('newConsumer').map((e) => e.consumer.producerId)).toEqual([micA]));

    const victim = pool.workers()[0]!;
    process.kill(victim.pid!, 'SIGKILL');

    await eventually(() => expect(deaths).toHaveLength(1));
    expect(deaths[0]).toMatchObject({ workerIndex: 0, pid: victim.pid, affected: [{ roomId: 'meeting', peerIds: ['a'] }] });
    expect(a.eventsOf('reconnectMedia')).toEqual([{ type: 'reconnectMedia', reason: 'workerDied' }]);
    expect(b.eventsOf('reconnectMedia')).toEqual([]);
    // b's consumer of a's (piped) audio went with the dead worker.
    await eventually(() => expect(b.eventsOf('consumerClosed').map((e) => e.reason)).toEqual(['producerClosed']));
    expect(peerA.routerEntry).toBeNull();
    expect(peerA.producers.size).toBe(0);
    expect(peerA.transports.size).toBe(0);

    await eventually(() => expect(replaced).toHaveLength(1));
    expect(replaced[0]!.workerIndex).toBe(0);
    expect(replaced[0]!.pid).not.toBe(victim.pid);
    expect(pool.workers().map((w) => w.alive)).toEqual([true, true]);
    expect(pool.workers()[0]!.rtcMinPort).toBe(victim.rtcMinPort);

    // a reconnects: new transports, produces again, and b hears it again.
    await a.connect();
    const micA2 = await a.produce('mic');
    await eventually(() => expect(b.eventsOf('newConsumer').map((e) => e.consumer.producerId)).toEqual([micA, micA2]));
    // a also receives b's audio again.
    expect(room.getPeer('a')!.consumers.size).toBe(1);
  });

  it('a room whose only worker died waits for the replacement', async () => {
    pool = await createTestPool(PORTS + 200, { numWorkers: 1, respawnDelayMs: 200 });
    const room = pool.createRoom('solo');
    const a = new TestClient(room, 'a');
    await a.connect();
    process.kill(pool.workers()[0]!.pid!, 'SIGKILL');
    await eventually(() => expect(a.eventsOf('reconnectMedia')).toHaveLength(1));
    expect(pool.liveWorkerIndexes()).toEqual([]);
    // The request waits for the new worker instead of failing.
    const caps = await a.ok({ type: 'getRouterRtpCapabilities' });
    expect(caps.rtpCapabilities.codecs?.length).toBeGreaterThan(0);
    expect(pool.liveWorkerIndexes()).toEqual([0]);
  });
});
