/**
 * Voting in the browser beyond for/against: an open vote whose choices and tallies are live on every
 * page, a representative voting the claims they hold (a secured claim is refused with a reason, the
 * others get receipts), and a ballot form refusing too many options before anything is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startHub, type HubServer } from '../../server/app.ts';
import { testConfig, DEMO } from '../../server/test/helpers.ts';
import { createInvitation } from '../../server/hub/invitations.ts';
import { CLIENT_BUILD, checkPrerequisites, launch, person, plain, shot } from './browser.ts';

const REP = 'Орлов К. А., представитель по доверенности';
const HOLDERS = ['АО «Реестр-Сервис»', 'ООО «Регистратор»', 'АО «Новый регистратор»'];
const POLL = { timeout: 15_000, interval: 50 };

describe('voting forms in the browser', () => {
  let server: HubServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let org: Page;
  let rep: Page;

  const text = async (page: Page, testId: string): Promise<string> => plain(await page.getByTestId(testId).first().textContent());

  async function createQuestion(fill: () => Promise<void>) {
    const builder = org.getByTestId('question-builder');
    const before = await org.getByTestId('console-votes').getByTestId('question').count();
    await fill();
    await builder.getByTestId('builder-min-open').fill('0');
    await builder.getByTestId('builder-create').click();
    await expect.poll(() => org.getByTestId('console-votes').getByTestId('question').count(), POLL).toBe(before + 1);
    const card = org.getByTestId('console-votes').getByTestId('question').last();
    await card.getByTestId('open-vote').click();
    await card.getByTestId('vote-status').filter({ hasText: 'идёт голосование' }).waitFor();
  }

  beforeAll(async () => {
    checkPrerequisites();
    server = await startHub(testConfig({ CLIENT_DIR: CLIENT_BUILD }));
    browser = await launch();
    const o = await person(browser);
    const r = await person(browser);
    contexts.push(o.context, r.context);
    org = o.page;
    rep = r.page;
    for (const p of [org, rep]) p.on('dialog', (d) => void d.accept());
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  it('a representative is admitted and sees the fourth item as current', async () => {
    const orgLink = server.demo?.links.find((l) => l.userId === 'org-ivanov')?.link ?? '';
    // A one-time invitation, as the organizer's API issues it, for the representative of three claims.
    const inv = await createInvitation(server.hub, DEMO, { userId: 'rep-orlov', name: REP, role: 'representative', rows: ['c01', 'c11', 'c12'], ttlHours: 1 }, { reusable: false, publicUrl: server.url });
    await org.goto(orgLink);
    await rep.goto(inv.link);
    await rep.getByTestId('lobby').waitFor();
    await org.getByTestId('console-link').click();
    await org.getByRole('button', { name: `Допустить: ${REP}` }).click();
    await org.getByLabel('Статус вопроса 4').selectOption('active');
    await rep.getByTestId('current-item').filter({ hasText: 'Выбор реестродержателя' }).waitFor();
    // The link was for one use: it cannot sign anyone in again.
    const again = await person(browser);
    contexts.push(again.context);
    await again.page.goto(inv.link);
    await again.page.getByRole('alert').filter({ hasText: 'Приглашение недействительно' }).waitFor();
  });

  it('an open vote: the representative votes each claim; a secured claim is refused with its reason; choices and tallies are live', async () => {
    await createQuestion(async () => {
      const b = org.getByTestId('question-builder');
      await b.getByTestId('builder-item').selectOption({ index: 3 });
      await b.getByTestId('builder-form').selectOption('one-of');
      await b.getByTestId('builder-options').fill(HOLDERS.join('\n'));
      await b.getByTestId('builder-rule').selectOption('choice');
    });
    const ballot = rep.getByTestId('current-item').getByTestId('ballot-form');
    await ballot.waitFor();
    // Three claims, all selected: each is cast on its own.
    expect(await rep.getByRole('checkbox', { name: /За требование/ }).count()).toBe(3);
    await ballot.getByText(HOLDERS[0]!, { exact: true }).click();
    await ballot.getByTestId('cast').click();
    await rep.getByTestId('receipt').waitFor();
    expect(await text(rep, 'receipt')).toMatch(/Требование c11: запись № \d+/);
    const refusals = plain(await rep.getByTestId('current-item').getByRole('alert').allTextContents().then((x) => x.join(' ')));
    expect(refusals).toContain('Требование c01: голос не принят.');
    expect(refusals).toContain('Требование c12: голос не принят.');
    expect(refusals).toContain('secured claim');

    // Open vote: live numbers and the named choice on both pages.
    for (const page of [rep, org]) {
      await expect.poll(async () => plain(await page.locator(`[data-testid=tally-row][data-key="${HOLDERS[0]}"]`).first().textContent()), POLL).toContain('2 150 000,00');
      await page.getByText('Поимённые голоса (1)').first().click();
      await page.getByText(`ООО «АгроХолдинг»: ${HOLDERS[0]}`).first().waitFor();
    }
    await shot(rep, '31-open-vote-representative');
    await shot(org, '32-open-vote-organizer');
  });

  it('up to K options: choosing too many is refused on the page before anything is sent', async () => {
    await createQuestion(async () => {
      const b = org.getByTestId('question-builder');
      await b.getByTestId('builder-item').selectOption({ index: 3 });
      await b.getByTestId('builder-form').selectOption('up-to-k');
      await b.getByTestId('builder-options').fill(HOLDERS.join('\n'));
      await b.getByLabel('Сколько вариантов можно выбрать (K)').fill('2');
    });
    const ballot = rep.getByTestId('current-item').locator('[data-testid=ballot-form][data-form=up-to-k]');
    await ballot.waitFor();
    for (const h of HOLDERS) await ballot.getByText(h, { exact: true }).click();
    await ballot.getByTestId('cast').click();
    await ballot.getByTestId('ballot-error').filter({ hasText: 'Можно выбрать не более 2.' }).waitFor();
    await shot(rep, '33-up-to-k-invalid');
    await ballot.getByText(HOLDERS[2]!, { exact: true }).click();
    // Only the claim that carries a vote this time.
    await rep.getByTestId('current-item').getByRole('checkbox', { name: /c01/ }).last().uncheck();
    await rep.getByTestId('current-item').getByRole('checkbox', { name: /c12/ }).last().uncheck();
    await ballot.getByTestId('cast').click();
    await expect.poll(() => rep.getByTestId('receipt').count(), POLL).toBe(2);
    expect(await rep.getByTestId('ballot-error').count()).toBe(0);
  });
});
