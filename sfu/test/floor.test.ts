import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerPool } from '../WorkerPool.ts';
import { TestClient, createTestPool, eventually } from './helpers.ts';

const PORTS = 43000;

describe('media policy on real workers', () => {
  let pool: WorkerPool;
  let n = 0;
  beforeAll(async () => {
    pool = await createTestPool(PORTS);
  });
  afterAll(() => pool.close());
  const newRoom = (options = {}) => pool.createRoom(`room-${++n}`, options);
  const errorCode = (reply: { result: { ok: boolean; error?: { code: string } } }) =>
    reply.result.ok ? 'ok' : reply.result.error?.code;

  it('refuses audio without the floor, allows it with the floor, closes it when the floor is revoked', async () => {
    const room = newRoom();
    const a = new TestClient(room, 'a');
    const b = new TestClient(room, 'b');
    await a.connect();
    await b.connect();

    expect(errorCode(await a.request(a.produceRequest('mic')))).toBe('noFloor');
    expect(room.setFloor(['a']).ok).toBe(true);
    const mic = await a.produce('mic');
    await eventually(() => expect(b.eventsOf('newConsumer').map((e) => e.consumer.view)).toEqual(['audio']));

    room.setFloor([]);
    expect(a.eventsOf('producerClosed')).toEqual([{ type: 'producerClosed', producerId: mic, reason: 'floorRevoked' }]);
    // Exactly one close; whichever comes first names it (policy pass or the producer's close).
    await eventually(() => expect(b.eventsOf('consumerClosed')).toHaveLength(1));
    expect(['noFloor', 'producerClosed']).toContain(b.eventsOf('consumerClosed')[0]!.reason);
    expect(room.getPeer('b')!.consumers.size).toBe(0);
    expect(errorCode(await a.request(a.produceRequest('mic')))).toBe('noFloor');
  });

  it('never lets a mic through when the floor is revoked while the worker creates it', async () => {
    const room = newRoom();
    const a = new TestClient(room, 'a');
    await a.connect();
    room.setFloor(['a']);
    const pending = a.request(a.produceRequest('mic'));
    // Most likely lands while the worker is creating the producer.
    setImmediate(() => room.setFloor([]));
    expect(errorCode(await pending)).toBe('noFloor');
    expect(room.getPeer('a')!.producers.size).toBe(0);
  });

  it('allows at most maxSpeakers floor holders', () => {
    const room = newRoom();
    const result = room.setFloor(['a', 'b', 'c', 'd']);
    expect(result.ok ? 'ok' : result.error.code).toBe('tooManySpeakers');
    expect(room.setFloor(['a', 'b', 'c', 'a']).ok).toBe(true);
    expect(room.floorHolders).toEqual(['a', 'b', 'c']);
  });

  it('refuses a kind that does not match the source, and a second producer of a source', async () => {
    const room = newRoom();
    const a = new TestClient(room, 'a');
    await a.connect();
    room.setFloor(['a']);
    expect(errorCode(await a.request(a.produceRequest('mic', 'video')))).toBe('kindMismatch');
    await a.produce('cam');
    expect(errorCode(await a.request(a.produceRequest('cam')))).toBe('alreadyProducing');
  });

  it('rejects malformed RTP parameters as a value, not an exception', async () => {
    const room = newRoom();
    const a = new TestClient(room, 'a');
    await a.connect();
    const bad = a.produceRequest('cam');
    bad['rtpParameters'] = { codecs: [{ mimeType: 'video/NOPE', payloadType: 101, clockRate: 90000 }], encodings: [{ ssrc: 1 }] };
    expect(errorCode(await a.request(bad))).toBe('rejectedByMediaServer');
  });

  it('lets one screen share at a time, and only with the floor or as organizer', async () => {
    const room = newRoom();
    const org = new TestClient(room, 'org', 'organizer');
    const p = new TestClient(room, 'p');
    await org.connect();
    await p.connect();
    expect(errorCode(await p.request(p.produceRequest('screen')))).toBe('noFloor');
    const screen = await org.produce('screen');
    room.setFloor(['p']);
    expect(errorCode(await p.request(p.produceRequest('screen')))).toBe('screenShareBusy');
    await eventually(() => expect(p.eventsOf('newConsumer').map((e) => e.consumer.view)).toEqual(['screen']));
    await org.ok({ type: 'closeProducer', producerId: screen });
    await p.produce('screen');
  });

  it('lets the organizer mute anyone server-side, and nobody else', async () => {
    const room = newRoom();
    const org = new TestClient(room, 'org', 'organizer');
    const a = new TestClient(room, 'a');
    const b = new TestClient(room, 'b');
    for (const c of [org, a, b]) await c.connect();
    room.setFloor(['a']);
    const mic = await a.produce('mic');
    const cam = await a.produce('cam');

    expect(errorCode(await b.request({ type: 'mutePeer', peerId: 'a', source: 'mic' }))).toBe('forbidden');
    expect((await org.ok({ type: 'mutePeer', peerId: 'a', source: 'mic' })).producerIds).toEqual([mic]);
    expect(a.eventsOf('producerPaused')).toEqual([{ type: 'producerPaused', producerId: mic, reason: 'organizerMute' }]);
    expect(room.getPeer('a')!.producers.get(mic)!.producer.paused).toBe(true);
    // The muted peer cannot undo it, not even by producing again.
    expect(errorCode(await a.request({ type: 'resumeProducer', producerId: mic }))).toBe('mutedByOrganizer');

    expect((await org.ok({ type: 'mutePeer', peerId: 'a', source: 'cam' })).producerIds).toEqual([cam]);
    expect(a.eventsOf('producerClosed')).toEqual([{ type: 'producerClosed', producerId: cam, reason: 'organizerMute' }]);
    expect(errorCode(await a.request(a.produceRequest('cam')))).toBe('mutedByOrganizer');

    // A new grant of the floor lifts the mute.
    room.setFloor([]);
    room.setFloor(['a']);
    await a.produce('mic');
    await a.produce('cam');
  });

  it('sends audio only of floor holders, thumbnails on the lowest layer and the stage on a higher one', async () => {
    const room = newRoom({ policy: { lastN: 2 } });
    const viewer = new TestClient(room, 'viewer');
    const cams = ['c1', 'c2', 'c3'].map((id) => new TestClient(room, id));
    await viewer.connect();
    for (const c of cams) {
      await c.connect();
      await c.produce('cam');
    }
    // lastN 2: the first two cameras as thumbnails, the third not consumed at all.
    await eventually(() => {
      const got = viewer.eventsOf('newConsumer').map((e) => [e.consumer.peerId, e.consumer.view]);
      expect(got).toEqual([
        ['c1', 'thumbnail'],
        ['c2', 'thumbnail'],
      ]);
    });
    const peer = room.getPeer('viewer')!;
    const c1 = [...peer.consumers.values()].find((c) => c.producerPeerId === 'c1')!;
    expect(c1.consumer.type).toBe('simulcast');
    expect(c1.consumer.preferredLayers?.spatialLayer).toBe(0);

    // Pin c3 on stage: consumed on a high layer; the thumbnails stay.
    room.setStage('c3');
    await eventually(() => expect(viewer.eventsOf('newConsumer').at(-1)?.consumer.view).toBe('stage'));
    const c3 = [...peer.consumers.values()].find((c) => c.producerPeerId === 'c3')!;
    expect(c3.consumer.preferredLayers?.spatialLayer).toBe(2);
    expect(viewer.eventsOf('mediaLayout').at(-1)).toEqual({ type: 'mediaLayout', stage: 'c3', thumbnails: ['c1', 'c2'], screen: null });

    // Pin c1: c1 moves to stage (layer up), c3 drops to a thumbnail... only if in last-N: c2, c3.
    room.setStage('c1');
    await eventually(() => expect(viewer.eventsOf('mediaLayout').at(-1)).toMatchObject({ stage: 'c1', thumbnails: ['c2', 'c3'] }));
    await eventually(() => expect(c1.view).toBe('stage'));
    expect(c1.consumer.preferredLayers?.spatialLayer).toBe(2);
    expect(viewer.eventsOf('consumerViewChanged').map((e) => e.view)).toEqual(expect.arrayContaining(['stage', 'thumbnail']));
  });

  it('pauses video nobody shows: the client hides it, or it leaves the layout', async () => {
    const room = newRoom({ policy: { lastN: 1 } });
    const viewer = new TestClient(room, 'viewer');
    const a = new TestClient(room, 'a');
    const b = new TestClient(room, 'b');
    for (const c of [viewer, a, b]) await c.connect();
    await a.produce('cam');
    await eventually(() => expect(viewer.eventsOf('newConsumer')).toHaveLength(1));
    const consumerId = viewer.eventsOf('newConsumer')[0]!.consumer.consumerId;
    const consumer = room.getPeer('viewer')!.consumers.get(consumerId)!.consumer;

    expect(consumer.paused).toBe(true); // until the client shows it
    expect((await viewer.ok({ type: 'resumeConsumer', consumerId })).paused).toBe(false);
    expect((await viewer.ok({ type: 'pauseConsumer', consumerId })).paused).toBe(true);
    expect((await viewer.ok({ type: 'resumeConsumer', consumerId })).paused).toBe(false);

    // A client may lower layers, never raise them past its view.
    expect((await viewer.ok({ type: 'setPreferredLayers', consumerId, layers: { spatialLayer: 2 } })).layers).toEqual({
      spatialLayer: 0,
      temporalLayer: 2,
    });

    // b speaks up (gets the floor): with lastN 1, b's camera replaces a's thumbnail.
    await b.produce('cam');
    room.setFloor(['b']);
    await eventually(() => expect(viewer.eventsOf('consumerPaused')).toEqual([{ type: 'consumerPaused', consumerId, reason: 'notVisible' }]));
    expect(consumer.paused).toBe(true);
    // The client asking to resume does not override policy.
    expect((await viewer.ok({ type: 'resumeConsumer', consumerId })).paused).toBe(true);
    // Back in the layout: it runs again, since the client wants it shown.
    room.setFloor([]);
    room.setStage('a');
    await eventually(() => expect(consumer.paused).toBe(false));
    expect(viewer.eventsOf('consumerResumed').map((e) => e.consumerId)).toContain(consumerId);
  });
});
