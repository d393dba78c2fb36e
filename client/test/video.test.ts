/**
 * Video in the meeting room, end to end: a real hub with real mediasoup workers, Debian Chromium
 * with a fake camera and microphone, three browser profiles (the organizer and two creditors). The
 * organizer gives one creditor the floor and pins them; they turn camera and microphone on; the
 * others see them on the stage and get their sound; the creditor without the floor cannot speak;
 * taking the floor back turns the speaker's microphone off with a notice; the organizer turns the
 * speaker's camera off. Screenshots go to test-results/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { startHub, type HubServer } from '../../server/app.ts';
import { testConfig } from '../../server/test/helpers.ts';
import type { SfuMetrics } from '../../sfu/metrics.ts';
import { CLIENT_BUILD, checkPrerequisites, launch, person, plain, shot } from './browser.ts';

const STROY = 'ООО «СтройИнвест» (Смирнова А. В.)';
const FNS = 'УФНС по г. Москве (Кузнецов Д. С.)';
const POLL = { timeout: 30_000, interval: 100 };

/** What a user notices of a <video>: its size once frames arrive, and its clock moving on. */
const videoState = (video: Locator) =>
  video.evaluate((v: HTMLVideoElement) => ({ width: v.videoWidth, height: v.videoHeight, time: v.currentTime, paused: v.paused }));

/** Waits until the video shows frames and keeps playing (its currentTime moves on). */
async function expectPlaying(video: Locator): Promise<void> {
  await video.waitFor();
  // Frames have arrived (a size) and the element plays them (autoplay starts it just after).
  await expect.poll(async () => videoState(video).then((s) => s.width > 0 && !s.paused), POLL).toBe(true);
  const first = await videoState(video);
  await expect.poll(async () => (await videoState(video)).time, POLL).toBeGreaterThan(first.time);
}

describe('video in the meeting room', () => {
  let server: HubServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let org: Page;
  let a: Page; // ООО «СтройИнвест»: gets the floor
  let b: Page; // УФНС: listens

  const link = (userId: string): string => {
    const l = server.demo?.links.find((x) => x.userId === userId);
    if (!l) throw new Error(`no demo link for ${userId}`);
    const u = new URL(l.link);
    return `http://127.0.0.1:${server.port}${u.pathname}${u.search}`;
  };
  const tab = (page: Page, name: RegExp) => page.getByRole('tab', { name }).click();
  const stageVideo = (page: Page, userId: string) => page.getByTestId('stage').locator(`[data-testid=tile][data-user=${userId}] video`);

  beforeAll(async () => {
    checkPrerequisites();
    server = await startHub(
      testConfig({ CLIENT_DIR: CLIENT_BUILD, MEDIA: 'on', MEDIA_WORKERS: '1', MEDIA_RTC_MIN_PORT: '46000', MEDIA_RTC_MAX_PORT: '46399' }),
    );
    const status = server.hub.mediaStatus();
    if (!status.enabled) throw new Error(`video is off on the test hub: ${status.reason ?? 'no reason'} (npm run setup builds the mediasoup worker)`);
    browser = await launch();
    for (const _ of [0, 1, 2]) {
      const p = await person(browser);
      contexts.push(p.context);
    }
    [org, a, b] = contexts.map((c) => c.pages()[0]!) as [Page, Page, Page];
    // Headless Chromium plays sound without a gesture whatever --autoplay-policy says (and reports
    // user activation early). The other creditor's browser gets a desktop browser's policy instead:
    // <audio>.play() is refused until the person has clicked or typed on the page.
    await b.addInitScript(() => {
      let interacted = false;
      for (const type of ['pointerdown', 'keydown']) addEventListener(type, (e) => (interacted ||= e.isTrusted), true);
      const play = HTMLMediaElement.prototype.play;
      HTMLMediaElement.prototype.play = function (this: HTMLMediaElement) {
        if (this instanceof HTMLAudioElement && !interacted) {
          return Promise.reject(new DOMException('play() failed because the user did not interact with the document first.', 'NotAllowedError'));
        }
        return play.call(this);
      };
    });
    for (const p of [org, a, b]) p.on('dialog', (d) => void d.accept());
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  it('everyone joins the room muted, with camera and microphone buttons', async () => {
    await org.goto(link('org-ivanov'));
    await org.getByTestId('meeting-title').filter({ hasText: 'ООО «Ромашка»' }).waitFor();
    for (const [page, userId] of [[a, 'cred-stroy'], [b, 'cred-fns']] as const) {
      await page.goto(link(userId));
      await page.getByRole('heading', { name: 'Ожидание допуска' }).waitFor();
    }
    await org.getByTestId('console-link').click();
    await org.getByTestId('open-meeting').click();
    await org.getByTestId('meeting-status').filter({ hasText: 'Идёт' }).waitFor();
    await org.getByRole('button', { name: `Допустить: ${STROY}` }).click();
    await org.getByRole('button', { name: `Допустить: ${FNS}` }).click();
    await org.getByRole('link', { name: 'Зал' }).click();

    for (const page of [org, a, b]) {
      await page.locator('[data-testid=media-controls][data-status=ready]').waitFor();
      expect(await page.getByTestId('video-disabled').count()).toBe(0);
      // Everyone joins muted: camera and microphone off, the microphone locked until the floor is given.
      expect(await page.getByRole('button', { name: /Камера/ }).getAttribute('aria-pressed')).toBe('false');
      const mic = page.getByRole('button', { name: /Микрофон/ });
      expect(await mic.getAttribute('aria-pressed')).toBe('false');
      expect(await mic.isDisabled()).toBe(true);
    }
    expect(plain(await b.getByTestId('media-controls').textContent())).toContain('Микрофон включается, когда председатель предоставит вам слово.');
  });

  it('the speaker with the floor, pinned on the stage, is seen and heard by the others', async () => {
    await tab(a, /Очередь/);
    await a.getByRole('button', { name: /Поднять руку/ }).click();
    await tab(org, /Очередь/);
    await org.getByRole('button', { name: `Дать слово: ${STROY}` }).click();
    await a.getByText('Вам предоставлено слово').waitFor();
    await tab(org, /Участники/);
    await org.getByRole('button', { name: `Вывести на сцену: ${STROY}` }).click();
    for (const page of [org, a, b]) await page.getByTestId('stage').locator('[data-testid=tile][data-user=cred-stroy]').waitFor();

    // The speaker turns the camera and the microphone on.
    const mic = a.getByRole('button', { name: /Микрофон/ });
    await expect.poll(() => mic.isEnabled(), POLL).toBe(true);
    await a.getByRole('button', { name: /Камера/ }).click();
    await a.locator('[data-testid=cam-toggle][aria-pressed=true]').waitFor();
    await mic.click();
    await a.locator('[data-testid=mic-toggle][aria-pressed=true]').waitFor();
    expect(await a.getByTestId('media-notice').count()).toBe(0);
    // Their own tile shows their camera (a mirrored preview).
    await expectPlaying(stageVideo(a, 'cred-stroy'));

    // The organizer and the other creditor see the speaker's video playing on the stage, and get their sound.
    const audioPlaying = (page: Page) =>
      page.locator('[data-testid=remote-audio][data-user=cred-stroy]').evaluate((el: HTMLAudioElement) => !el.paused && el.srcObject !== null);
    for (const page of [org, b]) {
      await expectPlaying(stageVideo(page, 'cred-stroy'));
      await expect.poll(() => page.locator('[data-testid=remote-audio][data-user=cred-stroy]').count(), POLL).toBe(1);
    }
    // The organizer has clicked around the page, so the browser lets the sound play at once.
    await expect.poll(() => audioPlaying(org), POLL).toBe(true);
    expect(await org.getByTestId('sound-blocked').count()).toBe(0);
    // The other creditor has not touched the page yet: the browser refuses, and the page offers a button.
    await b.getByRole('button', { name: 'Включить звук' }).waitFor();
    expect(await audioPlaying(b)).toBe(false);
    await shot(b, 'v2a-creditor-enable-sound');
    await b.getByRole('button', { name: 'Включить звук' }).click();
    await expect.poll(() => audioPlaying(b), POLL).toBe(true);
    expect(await b.getByTestId('sound-blocked').count()).toBe(0);
    // The speaker is marked on the others' stage as holding the floor.
    expect(await org.getByTestId('stage').locator('[data-user=cred-stroy]').getAttribute('aria-label')).toContain('у микрофона');

    await tab(org, /Участники/);
    await shot(org, 'v1-organizer-video');
    await shot(b, 'v2-creditor-video');
    await shot(a, 'v3-speaker-self-view');
  });

  it('the creditor without the floor cannot turn the microphone on', async () => {
    const mic = b.getByRole('button', { name: /Микрофон/ });
    expect(await mic.isDisabled()).toBe(true);
    expect(await mic.getAttribute('aria-describedby')).toBe('mic-needs-floor');
    expect(plain(await b.locator('#mic-needs-floor').textContent())).toBe('Микрофон включается, когда председатель предоставит вам слово.');
    // The camera is always allowed: it works without the floor.
    await b.getByRole('button', { name: /Камера/ }).click();
    await b.locator('[data-testid=cam-toggle][aria-pressed=true]').waitFor();
    await b.getByRole('button', { name: /Камера/ }).click();
    await b.locator('[data-testid=cam-toggle][aria-pressed=false]').waitFor();
  });

  it('video nobody shows is paused on the SFU: on a phone, another tab pauses the stage; back on the stage it plays', async () => {
    const pausedVideo = async () => ((await server.hub.media.metrics()) as SfuMetrics).consumers.video.paused;
    await expect.poll(pausedVideo, POLL).toBe(0);
    await b.setViewportSize({ width: 390, height: 844 });
    await tab(b, /Очередь/);
    await b.getByTestId('queue').waitFor();
    // The creditor's consumer of the speaker's camera is paused; the organizer's still runs.
    await expect.poll(pausedVideo, POLL).toBe(1);
    await tab(b, /Сцена/);
    await expect.poll(pausedVideo, POLL).toBe(0);
    await expectPlaying(stageVideo(b, 'cred-stroy'));
    await shot(b, 'v4-phone-stage-video');
    await b.setViewportSize({ width: 1440, height: 900 });
  });

  it('taking the floor back turns the speaker\'s microphone off with a notice; the pinned video stays', async () => {
    await tab(org, /Очередь/);
    await org.getByRole('button', { name: `Забрать слово у: ${STROY}` }).click();
    const mic = a.getByRole('button', { name: /Микрофон/ });
    await a.locator('[data-testid=mic-toggle][aria-pressed=false]').waitFor();
    expect(await mic.getAttribute('data-state')).toBe('off');
    await a.getByTestId('media-notice').filter({ hasText: 'Слово завершено — ваш микрофон выключен.' }).waitFor();
    expect(await mic.isDisabled()).toBe(true);
    // The others lose the sound but still see the pinned speaker.
    for (const page of [org, b]) {
      await expect.poll(() => page.locator('[data-testid=remote-audio][data-user=cred-stroy]').count(), POLL).toBe(0);
      await expectPlaying(stageVideo(page, 'cred-stroy'));
    }
    await shot(a, 'v5-speaker-floor-revoked');
  });

  it('the organizer turns the speaker\'s camera off from the people list', async () => {
    await tab(org, /Участники/);
    await org.getByRole('button', { name: `Выключить камеру: ${STROY}` }).click();
    await a.locator('[data-testid=cam-toggle][aria-pressed=false]').waitFor();
    await a.getByTestId('media-notice').filter({ hasText: 'Организатор выключил вашу камеру.' }).waitFor();
    for (const page of [org, b]) {
      await page.getByTestId('stage').locator('[data-testid=tile][data-user=cred-stroy][data-video=off]').waitFor();
    }
    // Until the floor is given again, the hub refuses the camera with a readable reason.
    await a.getByRole('button', { name: /Камера/ }).click();
    await a.getByTestId('media-notice').filter({ hasText: 'Организатор выключил вашу камеру: включить её можно после нового предоставления слова.' }).waitFor();
    expect(await a.getByRole('button', { name: /Камера/ }).getAttribute('aria-pressed')).toBe('false');
    await shot(a, 'v6-speaker-camera-muted');
  });

  it('the organizer shares a screen on everyone\'s stage; a second share is refused with a reason', async () => {
    await org.getByRole('button', { name: /Экран/ }).click();
    await org.locator('[data-testid=screen-toggle][aria-pressed=true]').waitFor();
    await org.getByText('Вы показываете свой экран').waitFor();
    for (const page of [a, b]) {
      await expectPlaying(page.locator('[data-testid=screen-share][data-user=org-ivanov] video'));
      expect(plain(await page.getByTestId('screen-share').textContent())).toContain('Экран: Иванов И. И.');
    }
    await shot(b, 'v7-creditor-screen-share');

    // The speaker gets the floor again (which also lifts the organizer's mute) and tries to share too.
    await tab(a, /Очередь/);
    await a.getByRole('button', { name: /Поднять руку/ }).click();
    await tab(org, /Очередь/);
    await org.getByRole('button', { name: `Дать слово: ${STROY}` }).click();
    const screen = a.getByRole('button', { name: /Экран/ });
    await expect.poll(() => screen.isEnabled(), POLL).toBe(true);
    await screen.click();
    await a.getByTestId('media-notice').filter({ hasText: 'Экран уже показывает другой участник: одновременно возможен только один показ.' }).waitFor();
    expect(await screen.getAttribute('aria-pressed')).toBe('false');
    // The camera works again after the new grant.
    await a.getByRole('button', { name: /Камера/ }).click();
    await a.locator('[data-testid=cam-toggle][aria-pressed=true]').waitFor();

    await org.getByRole('button', { name: /Экран/ }).click();
    await org.locator('[data-testid=screen-toggle][aria-pressed=false]').waitFor();
    for (const page of [a, b]) await expect.poll(() => page.getByTestId('screen-share').count(), POLL).toBe(0);
  });
});
