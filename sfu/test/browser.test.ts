/**
 * Video end to end with real Chromium (fake camera and microphone), the real hub and real mediasoup
 * workers: three pages join; the organizer grants the floor to one; the others receive its audio and
 * video; a participant without the floor cannot send audio; revoking the floor stops the audio.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { HubServer } from '../../server/app.ts';
import { startTestHub, tokenFor, waitFor, wsUrl, tempDir } from '../../server/test/helpers.ts';

const CHROMIUM = '/usr/bin/chromium';

type W = {
  join(url: string, token: string): Promise<{ enabled: boolean }>;
  produce(source: 'mic' | 'cam'): Promise<{ ok: boolean; error?: { code: string } }>;
  command(type: string, args: object): Promise<{ ok: boolean }>;
  stats(): Promise<{ consumerId: string; kind: string; bytesReceived: number; framesDecoded: number }[]>;
  remote(): { peerId: string; kind: string; source: string; view: string }[];
  events(): string[];
};

describe('video in real browsers', () => {
  let server: HubServer;
  let browser: Browser;
  let site: http.Server;
  let siteUrl = '';

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (.ci/run does)`);
    server = await startTestHub({ MEDIA: 'on', MEDIA_WORKERS: '2', MEDIA_RTC_MIN_PORT: '45000', MEDIA_RTC_MAX_PORT: '45399' });
    const dir = tempDir('media-page-');
    await build({ entryPoints: [path.join(import.meta.dirname, 'browser/page.ts')], bundle: true, format: 'esm', outfile: path.join(dir, 'page.js'), platform: 'browser', logLevel: 'silent' });
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>media test</title><script type="module" src="page.js"></script>');
    site = http.createServer((req, res) => {
      const file = path.join(dir, req.url === '/' ? 'index.html' : path.basename(req.url ?? ''));
      if (!fs.existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'text/html' }).end(fs.readFileSync(file));
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    siteUrl = `http://127.0.0.1:${(site.address() as { port: number }).port}/`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    site?.close();
    await server?.stop();
  });

  async function open(userId: string): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(siteUrl);
    await page.waitForFunction(() => 'join' in window);
    const media = await page.evaluate(([u, t]) => (window as unknown as W).join(u!, t!), [wsUrl(server), await tokenFor(server, userId)]);
    expect(media).toEqual({ enabled: true });
    return page;
  }
  /** Runs `fn(window)` in the page; `fn` must be self-contained (it is sent as source). */
  const w = (p: Page) => <T>(fn: (w: W) => Promise<T> | T) => p.evaluate(`(${fn.toString()})(window)`) as Promise<T>;

  it('the floor holder is seen and heard; nobody else can send audio; revoking the floor stops it', async () => {
    const org = await open('org-ivanov');
    for (const u of ['cred-stroy', 'cred-fns']) expect(await org.evaluate((id) => (window as unknown as W).command('participant.admit', { userId: id }), u)).toMatchObject({ ok: true });
    const speaker = await open('cred-stroy');
    const listener = await open('cred-fns');

    // Without the floor, audio is refused by the server.
    expect(await w(listener)((x) => x.produce('mic'))).toMatchObject({ ok: false, error: { code: 'noFloor' } });

    await org.evaluate(() => (window as unknown as W).command('floor.grant', { userId: 'cred-stroy' }));
    await org.evaluate(() => (window as unknown as W).command('stage.pin', { userId: 'cred-stroy' }));
    const mic = await waitFor(async () => {
      const r = await w(speaker)((x) => x.produce('mic'));
      return r.ok ? r : null;
    }, 'microphone accepted with the floor');
    expect(mic.ok).toBe(true);
    expect(await w(speaker)((x) => x.produce('cam'))).toMatchObject({ ok: true });

    // The others receive both, and what they receive keeps flowing: bytes and decoded frames grow.
    for (const page of [listener, org]) {
      const first = await waitFor(async () => {
        const s = await w(page)((x) => x.stats());
        const audio = s.find((x) => x.kind === 'audio' && x.bytesReceived > 0);
        const video = s.find((x) => x.kind === 'video' && x.framesDecoded > 0);
        return audio && video ? { audio, video } : null;
      }, 'audio and video arriving', 30_000);
      const later = await waitFor(async () => {
        const s = await w(page)((x) => x.stats());
        const audio = s.find((x) => x.consumerId === first.audio.consumerId);
        const video = s.find((x) => x.consumerId === first.video.consumerId);
        return audio && video && audio.bytesReceived > first.audio.bytesReceived && video.framesDecoded > first.video.framesDecoded ? true : null;
      }, 'media still flowing', 15_000);
      expect(later).toBe(true);
    }
    expect(await w(listener)((x) => x.remote())).toEqual(expect.arrayContaining([expect.objectContaining({ peerId: 'cred-stroy', kind: 'audio' }), expect.objectContaining({ peerId: 'cred-stroy', kind: 'video', view: 'stage' })]));

    // Revoking the floor closes the speaker's microphone on the server; listeners lose the audio.
    await org.evaluate(() => (window as unknown as W).command('floor.revoke', { userId: 'cred-stroy' }));
    await waitFor(async () => (await w(speaker)((x) => x.events())).includes('producerClosed:floorRevoked'), 'the speaker is told');
    await waitFor(async () => !(await w(listener)((x) => x.remote())).some((r) => r.kind === 'audio'), 'audio gone at the listener');
    // Video stays on stage (it is pinned) and keeps flowing.
    expect((await w(listener)((x) => x.remote())).some((r) => r.kind === 'video' && r.peerId === 'cred-stroy')).toBe(true);
  }, 120_000);
});
