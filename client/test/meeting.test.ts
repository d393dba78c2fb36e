/**
 * End to end, in a real browser against a real hub: an organizer and two creditors run a short
 * meeting in three browser profiles — admission, chat, a note on a PDF page, the speaker queue, a
 * closed vote — and the pages show what each of them would notice. Screenshots of every screen go
 * to test-results/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startHub, type HubServer } from '../../server/app.ts';
import { testConfig } from '../../server/test/helpers.ts';
import { CLIENT_BUILD, checkPrerequisites, launch, person, plain, shot } from './browser.ts';
import { makePdf } from './pdf.ts';
import { startProxy, type NetworkProxy } from './proxy.ts';

const ORG = 'Иванов И. И., конкурсный управляющий';
const STROY = 'ООО «СтройИнвест» (Смирнова А. В.)';
const FNS = 'УФНС по г. Москве (Кузнецов Д. С.)';
const FIRST_ITEM = 'Отчёт конкурсного управляющего о своей деятельности';
const POLL = { timeout: 15_000, interval: 50 };

describe('a short meeting of creditors in three browsers', () => {
  let server: HubServer;
  /** The browsers reach the hub through this proxy, so the network can be cut. */
  let network: NetworkProxy;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let org: Page;
  let a: Page; // ООО «СтройИнвест», 12 400 000,50
  let b: Page; // УФНС, 9 850 000,00
  let aContext: BrowserContext;

  const link = (userId: string): string => {
    const l = server.demo?.links.find((x) => x.userId === userId);
    if (!l) throw new Error(`no demo link for ${userId}`);
    const u = new URL(l.link);
    return `${network.url}${u.pathname}${u.search}`;
  };
  const text = async (page: Page, testId: string): Promise<string> => plain(await page.getByTestId(testId).first().textContent());
  const tab = (page: Page, name: RegExp) => page.getByRole('tab', { name }).click();

  beforeAll(async () => {
    checkPrerequisites();
    server = await startHub(testConfig({ CLIENT_DIR: CLIENT_BUILD }));
    network = await startProxy(server.port);
    browser = await launch();
    const o = await person(browser);
    const x = await person(browser);
    const y = await person(browser);
    contexts.push(o.context, x.context, y.context);
    org = o.page;
    a = x.page;
    aContext = x.context;
    b = y.page;
    for (const p of [org, a, b]) p.on('dialog', (d) => void d.accept());
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await network?.close();
    await server?.stop();
  });

  it('creditors wait in the lobby with the agenda until the organizer admits them', async () => {
    await org.goto(link('org-ivanov'));
    await org.getByTestId('meeting-title').filter({ hasText: 'ООО «Ромашка»' }).waitFor();
    expect(org.url()).toMatch(/\/m\/demo-creditors$/);
    await org.getByTestId('quorum').waitFor();
    await shot(org, '01-organizer-room-empty');

    for (const [page, userId] of [[a, 'cred-stroy'], [b, 'cred-fns']] as const) {
      await page.goto(link(userId));
      await page.getByRole('heading', { name: 'Ожидание допуска' }).waitFor();
      await page.getByText(FIRST_ITEM).waitFor();
    }
    await shot(a, '02-lobby');

    await org.getByTestId('console-link').click();
    await org.getByTestId('lobby-count').filter({ hasText: '2 ожидают допуска' }).waitFor();
    await org.getByTestId('open-meeting').click();
    await org.getByTestId('meeting-status').filter({ hasText: 'Идёт' }).waitFor();
    await shot(org, '03-console-lobby');
    await org.getByRole('button', { name: `Допустить: ${STROY}` }).click();
    await org.getByRole('button', { name: `Допустить: ${FNS}` }).click();
    await expect.poll(() => org.getByTestId('lobby-count').count(), POLL).toBe(0);

    for (const page of [a, b]) {
      await page.getByTestId('agenda').waitFor();
      await expect.poll(() => page.getByTestId('agenda-item').count(), POLL).toBe(4);
      // Present: 12 400 000,50 + 9 850 000,00 of 49 800 001,50 voting in the register: no quorum yet.
      await expect.poll(() => text(page, 'quorum'), POLL).toContain('22 250 000,50 из 49 800 001,50');
      expect(await text(page, 'quorum')).toContain('нет');
      expect(await text(page, 'meeting-status')).toBe('Идёт');
    }
    await shot(org, '04-console-admitted');
  });

  it('the organizer makes the first item current and every room highlights it with its draft decision', async () => {
    await org.getByLabel('Статус вопроса 1').selectOption('active');
    for (const page of [a, b]) {
      await page.getByTestId('current-item').filter({ hasText: FIRST_ITEM }).waitFor();
      await page.getByTestId('current-item').getByText('Принять к сведению отчёт конкурсного управляющего').waitFor();
      await expect.poll(() => page.locator('[data-testid=agenda-item][aria-current]').count(), POLL).toBe(1);
    }
    // Creditors read the draft; only the organizer edits it.
    expect(await a.getByTestId('draft-editor').count()).toBe(0);
    await shot(a, '05-room-current-item');
  });

  it('a chat message reaches every page', async () => {
    await tab(a, /Чат/);
    await a.getByLabel('Сообщение').fill('Добрый день, коллеги');
    await a.getByLabel('Сообщение').press('Enter');
    await tab(b, /Чат/);
    await org.getByRole('link', { name: 'Зал' }).click();
    await tab(org, /Чат/);
    for (const page of [a, b, org]) {
      await expect.poll(() => page.getByTestId('chat-message').count(), POLL).toBe(1);
      expect(await text(page, 'chat-message')).toContain(STROY);
      expect(await text(page, 'chat-message')).toContain('Добрый день, коллеги');
    }
    await shot(b, '06-chat');
  });

  it('the organizer edits the draft decision and creditors see the wording change live', async () => {
    const editor = org.getByTestId('current-item').getByTestId('draft-editor');
    await editor.click();
    await editor.press('End');
    await editor.pressSequentially(' Замечаний нет.');
    for (const page of [a, b]) {
      await page.getByTestId('current-item').getByTestId('draft-text').filter({ hasText: 'о своей деятельности. Замечаний нет.' }).waitFor();
    }
    await shot(org, '06b-organizer-draft');
  });

  it('a note added on page 2 of an uploaded PDF appears on that page for everyone, with its author', async () => {
    await org.getByTestId('console-link').click();
    const pdf = makePdf([
      ['Regulation on the sale of property', 'of Romashka LLC (draft)', 'Page 1 of 3'],
      ['Section 2. Starting price', 'Lot 1: 15 000 000.00 RUB', 'Page 2 of 3'],
      ['Section 3. Auction', 'Page 3 of 3'],
    ]);
    await org.getByTestId('upload-input').setInputFiles({ name: 'polozhenie.pdf', mimeType: 'application/pdf', buffer: pdf });
    await org.getByTestId('upload-submit').click();
    await org.getByText('Документ «polozhenie.pdf» прикреплён к вопросу 1.').waitFor();

    // Creditor B opens it from the current item, goes to page 2 and clicks on the page.
    await b.getByTestId('current-item').getByTestId('open-doc').click();
    await b.getByTestId('page-indicator').filter({ hasText: 'Страница 1 из 3' }).waitFor();
    await b.locator('[data-testid=pdf-page][data-rendered=true]').waitFor();
    await b.getByRole('button', { name: 'Следующая страница' }).click();
    await b.getByTestId('page-indicator').filter({ hasText: 'Страница 2 из 3' }).waitFor();
    await b.locator('[data-testid=pdf-page][data-rendered=true]').waitFor();
    const box = await b.getByTestId('pdf-page').boundingBox();
    if (!box) throw new Error('the page is not on screen');
    await b.mouse.click(box.x + box.width * 0.3, box.y + box.height * 0.25);
    await b.getByLabel('Новая заметка').fill('Проверить начальную цену лота 1');
    await b.getByRole('button', { name: 'Сохранить' }).click();
    await expect.poll(() => b.getByTestId('annotation-marker').count(), POLL).toBe(1);
    await shot(b, '07-document-note');

    // Creditor A sees it on page 2 (and not on page 1), with author and text.
    await a.getByTestId('current-item').getByTestId('open-doc').click();
    await a.locator('[data-testid=pdf-page][data-rendered=true]').waitFor();
    expect(await a.getByTestId('annotation-marker').count()).toBe(0);
    await a.getByRole('button', { name: 'Следующая страница' }).click();
    await expect.poll(() => a.getByTestId('annotation-marker').count(), POLL).toBe(1);
    const marker = await a.getByTestId('annotation-marker').getAttribute('aria-label');
    expect(marker).toContain(FNS);
    expect(marker).toContain('Проверить начальную цену лота 1');
    expect(await text(a, 'annotation')).toContain(FNS);

    // With the keyboard alone: focus the page, move the note cursor with the arrows, Enter, type, Tab to Save, Enter.
    await a.getByTestId('pdf-page').focus();
    for (let i = 0; i < 5; i++) await a.keyboard.press('ArrowDown');
    await a.keyboard.press('Enter');
    await a.keyboard.type('Сверить с отчётом оценщика');
    await a.keyboard.press('Tab');
    await a.keyboard.press('Enter');
    for (const page of [a, b]) await expect.poll(() => page.getByTestId('annotation-marker').count(), POLL).toBe(2);
    expect(plain(await b.getByTestId('annotation-list').textContent())).toContain('Сверить с отчётом оценщика');

    // The organizer opens it from the console by its file name.
    await org.getByRole('button', { name: /polozhenie\.pdf/ }).first().click();
    await org.locator('[data-testid=pdf-page][data-rendered=true]').waitFor();
    await org.getByRole('button', { name: 'Следующая страница' }).click();
    await expect.poll(() => org.getByTestId('annotation-marker').count(), POLL).toBe(2);
    await org.getByTestId('annotation-marker').first().focus();
    await shot(org, '08-document-organizer');

    for (const page of [a, b, org]) {
      await page.getByRole('button', { name: /Закрыть документ/ }).click();
      await page.getByTestId('document-viewer').waitFor({ state: 'detached' });
    }
  });

  it('a creditor raises a hand, gets the floor, and appears on everyone\'s stage', async () => {
    await tab(a, /Очередь/);
    await a.getByRole('button', { name: /Поднять руку/ }).click();
    await a.getByText('Вы 1-й в очереди').waitFor();
    // The organizer closed the document and is back in the console; the queue is in the room too.
    await org.getByRole('link', { name: 'Зал' }).click();
    await tab(org, /Очередь/);
    await org.getByTestId('hands-list').getByText(STROY).waitFor();
    await shot(org, '09-queue-hand');
    await org.getByRole('button', { name: `Дать слово: ${STROY}` }).click();
    await a.getByText('Вам предоставлено слово').waitFor();
    for (const page of [a, b, org]) {
      await page.getByTestId('stage').getByText(STROY).waitFor();
      await expect.poll(() => page.getByTestId('hands-list').count(), POLL).toBe(0);
    }
    expect(await text(b, 'stage')).toContain('Видео отключено');
    // Without video on the hub there are no camera, microphone or screen buttons.
    expect(await b.getByTestId('media-controls').count()).toBe(0);
    await shot(b, '10-room-floor');

    // The organizer pins the other creditor on everyone's stage, beside the speaker, then unpins.
    await tab(org, /Участники/);
    await org.getByRole('button', { name: `Вывести на сцену: ${FNS}` }).click();
    await expect.poll(() => a.getByTestId('stage').getByTestId('tile').count(), POLL).toBe(2);
    expect(await text(a, 'stage')).toContain(FNS);
    expect(await text(a, 'stage')).toContain('на сцене');
    await org.getByRole('button', { name: `Убрать со сцены: ${FNS}` }).click();
    await expect.poll(() => a.getByTestId('stage').getByTestId('tile').count(), POLL).toBe(1);
  });

  it('a closed vote: both creditors vote, results stay hidden until close, then every page shows the same result', async () => {
    await org.getByTestId('console-link').click();
    // ООО «Поставка Плюс» (7 300 000,00) is admitted too (it follows by phone): now more than half of the register is present.
    await org.getByRole('button', { name: 'Допустить: ООО «Поставка Плюс»' }).click();
    for (const page of [a, b]) await expect.poll(() => text(page, 'quorum'), POLL).toContain('29 550 000,50 из 49 800 001,50');
    expect(await text(a, 'quorum')).toContain('есть');
    const builder = org.getByTestId('question-builder');
    await builder.getByTestId('builder-item').selectOption({ index: 0 });
    await builder.getByLabel('Формулировка для бюллетеня').fill('Принять к сведению отчёт конкурсного управляющего');
    await builder.getByTestId('builder-closed').check();
    await builder.getByTestId('builder-min-open').fill('0');
    await builder.getByTestId('builder-create').click();
    await org.getByTestId('console-votes').getByTestId('question').waitFor();
    await shot(org, '11-console-question');
    await org.getByTestId('open-vote').click();
    await org.getByTestId('console-votes').getByTestId('vote-status').filter({ hasText: 'идёт голосование' }).waitFor();

    // A ballot sent empty is refused on the page with the shared validator's reason.
    const bBallot = b.getByTestId('current-item').getByTestId('ballot-form');
    await bBallot.waitFor();
    await bBallot.getByTestId('cast').click();
    await b.getByTestId('ballot-error').filter({ hasText: 'Выберите «за», «против» или «воздержался».' }).waitFor();
    await shot(b, '12-ballot-invalid');
    await bBallot.getByText('Против', { exact: true }).click();
    await bBallot.getByTestId('cast').click();
    await b.getByTestId('receipt').filter({ hasText: 'Вы проголосовали: Против' }).waitFor();
    // A ballot may be changed while the vote is open; the last one counts.
    await b.getByRole('button', { name: 'Изменить голос' }).click();
    await bBallot.getByText('За', { exact: true }).click();
    await bBallot.getByTestId('cast').click();
    await b.getByTestId('receipt').filter({ hasText: 'Вы проголосовали: За' }).waitFor();

    const aBallot = a.getByTestId('current-item').getByTestId('ballot-form');
    await aBallot.getByText('За', { exact: true }).click();
    await aBallot.getByTestId('cast').click();
    await a.getByTestId('receipt').filter({ hasText: 'Вы проголосовали: За' }).waitFor();
    expect(await text(a, 'receipt')).toMatch(/Требование c02: запись № \d+, хеш [0-9a-f]{16}/);

    for (const page of [a, b]) {
      await expect.poll(() => text(page, 'turnout'), POLL).toContain('2 из 3');
      expect(await page.getByTestId('results-hidden').textContent()).toContain('Итоги будут показаны после закрытия голосования.');
      expect(await page.getByTestId('tally-row').count()).toBe(0);
    }
    await shot(a, '13-vote-cast-results-hidden');

    await org.getByTestId('close-vote').click();
    const results: string[] = [];
    for (const page of [a, b, org]) {
      await page.getByTestId('outcome').filter({ hasText: 'Решение принято' }).waitFor();
      // For: 12 400 000,50 + 9 850 000,00 of 29 550 000,50 present (silence counts against): adopted.
      const forRow = plain(await page.locator('[data-testid=tally-row][data-key=for]').first().textContent());
      expect(forRow).toContain('22 250 000,50');
      expect(forRow).toContain('75,3');
      expect(plain(await page.locator('[data-testid=tally-row][data-key=against]').first().textContent())).toContain('0,00');
      results.push(await text(page, 'tally'));
    }
    expect(new Set(results).size).toBe(1);
    await shot(b, '14-vote-result');
    await shot(org, '15-console-vote-result');
  });

  it('English is one click away, and a reload resumes the same meeting in the chosen language', async () => {
    await b.getByRole('button', { name: 'EN' }).click();
    await b.getByRole('tab', { name: /Agenda/ }).waitFor();
    await b.getByTestId('outcome').filter({ hasText: 'Adopted' }).waitFor();
    await tab(b, /Chat/);
    await b.reload();
    await b.getByRole('tab', { name: /Chat/, selected: true }).waitFor();
    await b.getByTestId('outcome').filter({ hasText: 'Adopted' }).waitFor();
    await expect.poll(() => b.getByTestId('chat-message').count(), POLL).toBe(1);
    expect(await text(b, 'quorum')).toContain('29,550,000.50 of 49,800,001.50');
    await shot(b, '16-english-after-reload');
  });

  it('on a phone the grid collapses to the stage and the panels become tabs', async () => {
    await a.setViewportSize({ width: 390, height: 844 });
    await tab(a, /Сцена/);
    await a.getByTestId('stage').waitFor();
    expect(await a.getByTestId('video-grid').count()).toBe(0);
    await shot(a, '17-phone-stage');
    await tab(a, /Очередь/);
    await a.getByText('Вам предоставлено слово').waitFor();
    await shot(a, '18-phone-queue');
    await a.setViewportSize({ width: 1440, height: 900 });
  });

  it('opening the meeting in another tab retires this one with a readable notice', async () => {
    const second = await aContext.newPage();
    await second.goto(a.url());
    await second.getByTestId('current-item').waitFor();
    await a.getByTestId('closed-notice').filter({ hasText: 'Собрание открыто в другой вкладке' }).waitFor();
    await shot(a, '19-another-tab');
    await second.close();
  });

  it('a removed creditor is told so, and an expired or used link is explained', async () => {
    await org.getByTestId('console-link').click();
    await org.getByRole('button', { name: `Удалить: ${FNS}` }).click();
    await org.getByLabel('Причина удаления').fill('Доверенность отозвана');
    await org.getByRole('button', { name: 'Удалить участника' }).click();
    await b.getByTestId('closed-notice').filter({ hasText: 'You were removed from the meeting' }).waitFor();
    expect(await text(b, 'removal-reason')).toContain('Доверенность отозвана');
    await shot(b, '20-removed');
    await org.locator('[data-testid=participant-row][data-user=cred-fns][data-status=removed]').waitFor();
    // The quorum follows the removal: ООО «СтройИнвест» and ООО «Поставка Плюс» remain.
    await expect.poll(() => text(org, 'quorum'), POLL).toContain('19 700 000,50 из 49 800 001,50');

    const { context, page } = await person(browser);
    contexts.push(context);
    await page.goto(`${network.url}/join?invite=not-a-real-invitation-token`);
    await page.getByRole('alert').filter({ hasText: 'Приглашение недействительно' }).waitFor();
    await shot(page, '21-join-invalid');

    // A remembered sign-in whose token has expired.
    const expired = await server.hub.tokens.issue({ userId: 'cred-supply', meetingId: 'demo-creditors', role: 'voter', name: 'ООО «Поставка Плюс»', rows: ['c04'] }, -60);
    await context.addInitScript((s) => localStorage.setItem('agora.session.demo-creditors', s), JSON.stringify({
      meetingId: 'demo-creditors', userId: 'cred-supply', role: 'voter', name: 'ООО «Поставка Плюс»', token: expired.token, expiresAt: Date.now() - 60_000,
    }));
    await page.goto(`${network.url}/m/demo-creditors`);
    await page.getByTestId('closed-notice').filter({ hasText: 'Сеанс истёк' }).waitFor();
    await shot(page, '22-session-expired');
  });

  it('when the network drops the organizer sees the pending action, and it goes through once the network is back', async () => {
    await org.getByRole('link', { name: 'Зал' }).click();
    await tab(org, /Чат/);
    network.setOnline(false);
    await org.locator('[data-state=reconnecting]').waitFor();
    await org.getByLabel('Сообщение').fill('Продолжаем после перерыва');
    await org.getByLabel('Сообщение').press('Enter');
    await org.getByTestId('pending').filter({ hasText: '1 действие ждёт отправки' }).waitFor();
    await shot(org, '23-reconnecting-pending');

    network.setOnline(true);
    await org.locator('[data-state=open]').waitFor({ timeout: 30_000 });
    await expect.poll(() => org.getByTestId('chat-message').count(), POLL).toBe(2);
    expect(plain(await org.getByTestId('chat').textContent())).toContain('Продолжаем после перерыва');
    expect(await org.getByTestId('pending').count()).toBe(0);
  });
});
