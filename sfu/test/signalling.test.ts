import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SFU_LIMITS,
  consumerInfoSchema,
  sfuRequestSchema,
  sfuResponseSchemas,
  sfuServerEventSchema,
} from '../../shared/media/signalling.ts';
import { handleSfuRequest } from '../signalling.ts';
import type { WorkerPool } from '../WorkerPool.ts';
import { TestClient, createTestPool, eventually, videoRtpParameters } from './helpers.ts';

describe('signalling schemas', () => {
  it('accepts the requests a client sends', () => {
    for (const req of [
      { type: 'getRouterRtpCapabilities' },
      { type: 'createTransport', direction: 'recv' },
      { type: 'connectTransport', transportId: 't', dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: 'AB:CD' }] } },
      { type: 'produce', transportId: 't', kind: 'video', rtpParameters: videoRtpParameters(), appData: { source: 'cam' } },
      { type: 'consume', rtpCapabilities: { codecs: [], headerExtensions: [] } },
      { type: 'setPreferredLayers', consumerId: 'c', layers: { spatialLayer: 0 } },
      { type: 'mutePeer', peerId: 'p', source: 'mic' },
      { type: 'leave' },
    ]) {
      expect(sfuRequestSchema.safeParse(req).success, JSON.stringify(req)).toBe(true);
    }
  });

  it('refuses unknown types, unknown fields, bad enums and oversized descriptions', () => {
    const bad = [
      { type: 'nope' },
      { type: 'leave', extra: 1 },
      { type: 'createTransport', direction: 'both' },
      { type: 'produce', transportId: 't', kind: 'video', rtpParameters: videoRtpParameters(), appData: { source: 'tv' } },
      { type: 'pauseConsumer', consumerId: 'x'.repeat(SFU_LIMITS.maxIdLength + 1) },
      {
        type: 'produce',
        transportId: 't',
        kind: 'video',
        rtpParameters: { ...videoRtpParameters(), encodings: Array.from({ length: SFU_LIMITS.maxEncodings + 1 }, (_, i) => ({ ssrc: i })) },
        appData: { source: 'cam' },
      },
      { type: 'connectTransport', transportId: 't', dtlsParameters: { fingerprints: [] } },
    ];
    for (const req of bad) expect(sfuRequestSchema.safeParse(req).success, JSON.stringify(req).slice(0, 80)).toBe(false);
  });

  it('answers mediaUnavailable when video is disabled (no room)', async () => {
    const reply = await handleSfuRequest({ room: null, peerId: 'p', role: 'participant' }, { type: 'leave' });
    expect(reply).toEqual({ type: 'leave', result: { ok: false, error: { code: 'mediaUnavailable', message: expect.any(String) } } });
  });
});

describe('replies and events from real workers match the shared schemas', () => {
  let pool: WorkerPool;
  beforeAll(async () => {
    pool = await createTestPool(45000);
  });
  afterAll(() => pool.close());

  it('validates capabilities, transports, consumers and events', async () => {
    const room = pool.createRoom('schemas');
    const a = new TestClient(room, 'a');
    const b = new TestClient(room, 'b');
    const caps = await a.ok({ type: 'getRouterRtpCapabilities' });
    expect(sfuResponseSchemas.getRouterRtpCapabilities.parse(caps)).toBeTruthy();
    const transport = await a.ok({ type: 'createTransport', direction: 'send' });
    expect(sfuResponseSchemas.createTransport.parse(transport).iceCandidates[0]?.ip).toBe('127.0.0.1');
    a.sendTransportId = transport.transportId;
    await b.connect();
    room.setFloor(['a']);
    await a.produce('mic');
    await a.produce('cam');
    await eventually(() => expect(b.eventsOf('newConsumer')).toHaveLength(2));
    for (const e of b.events) expect(sfuServerEventSchema.parse(e)).toEqual(e);
    for (const e of b.eventsOf('newConsumer')) expect(consumerInfoSchema.parse(e.consumer).rtpParameters.codecs.length).toBeGreaterThan(0);

    // Errors are values naming the problem.
    const reply = await b.request({ type: 'resumeConsumer', consumerId: 'unknown' });
    expect(reply.result).toEqual({ ok: false, error: { code: 'consumerNotFound', message: expect.any(String) } });
    const dtls = await a.request({
      type: 'connectTransport',
      transportId: transport.transportId,
      dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'md0', value: 'zz' }] },
    });
    expect(dtls.result.ok ? 'ok' : dtls.result.error.code).toBe('rejectedByMediaServer');
  });
});
