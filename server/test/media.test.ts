import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubServer } from '../app.ts';
import type { HubClient } from '../../shared/client/HubClient.ts';
import { audioRtpParameters } from '../../sfu/test/helpers.ts';
import { connect, startTestHub, waitFor } from './helpers.ts';

describe('video signalling through the hub (real mediasoup workers)', () => {
  let server: HubServer;
  const clients: HubClient[] = [];
  beforeAll(async () => {
    server = await startTestHub({ MEDIA: 'on', MEDIA_WORKERS: '1', MEDIA_RTC_MIN_PORT: '47000', MEDIA_RTC_MAX_PORT: '47199' });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server.stop();
  });
  const join = async (u: string) => {
    const c = await connect(server, u);
    clients.push(c);
    await c.whenSynced();
    return c;
  };

  it('tells clients video is on, and refuses audio without the floor until the organizer grants it', async () => {
    const org = await join('org-ivanov');
    expect(org.welcome?.media).toEqual({ enabled: true });
    await org.command('participant.admit', { userId: 'cred-stroy' });
    const a = await join('cred-stroy');
    const caps = await a.media({ type: 'getRouterRtpCapabilities' });
    expect(caps.ok).toBe(true);
    const t = await a.media({ type: 'createTransport', direction: 'send' });
    expect(t).toMatchObject({ ok: true, data: { transportId: expect.any(String), iceCandidates: expect.any(Array) } });
    const transportId = t.ok ? (t.data as { transportId: string }).transportId : '';
    const produce = () => a.media({ type: 'produce', transportId, kind: 'audio', rtpParameters: audioRtpParameters(), appData: { source: 'mic' } });
    expect(await produce()).toMatchObject({ ok: false, error: { code: 'noFloor' } });
    expect((await org.command('floor.grant', { userId: 'cred-stroy' })).ok).toBe(true);
    const granted = await waitFor(async () => {
      const r = await produce();
      return r.ok ? r : null;
    }, 'audio accepted once the floor is granted');
    expect(granted.ok).toBe(true);
    // Revoking the floor closes the microphone on the server and tells its owner.
    const closed = new Promise((resolve) => a.on('event', (e) => e.type === 'media' && e.event.type === 'producerClosed' && resolve(e.event)));
    expect((await org.command('floor.revoke', { userId: 'cred-stroy' })).ok).toBe(true);
    expect(await closed).toMatchObject({ type: 'producerClosed', reason: 'floorRevoked' });
  });

  it('refuses malformed media requests with a readable error and keeps the session', async () => {
    const b = await join('cred-fns');
    const r = await b.media({ type: 'createTransport', direction: 'sideways' });
    expect(r).toMatchObject({ ok: false, error: { code: 'invalidRequest' } });
    expect(b.state).toBe('open');
  });
});

describe('a hub without video', () => {
  it('says so in the welcome and answers media requests with mediaUnavailable', async () => {
    const server = await startTestHub({ MEDIA: 'off' });
    try {
      const c = await connect(server, 'org-ivanov');
      await c.whenSynced();
      expect(c.welcome?.media.enabled).toBe(false);
      expect(c.welcome?.media.reason).toMatch(/MEDIA=off/);
      expect(await c.media({ type: 'getRouterRtpCapabilities' })).toMatchObject({ ok: false, error: { code: 'mediaUnavailable' } });
      c.close();
    } finally {
      await server.stop();
    }
  });
});
