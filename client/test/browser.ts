/**
 * Test helpers for the web client: Debian's Chromium driven by playwright-core (never a downloaded
 * browser), a real hub serving the fresh client build, and screenshots under test-results/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root. */
export const ROOT = path.resolve(here, '..', '..');
/** The client build the hub serves in tests (`npm run build`, run by `pretest`). */
export const CLIENT_BUILD = path.join(ROOT, 'client', 'build');
/** Where screenshots go (git-ignored). */
export const SCREENSHOTS = path.join(ROOT, 'test-results', 'screenshots');

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Fails early, with the fix, when the browser or the build is missing. */
export function checkPrerequisites(): void {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium); the tests never download a browser.`);
  }
  if (!fs.existsSync(path.join(CLIENT_BUILD, '200.html'))) {
    throw new Error(`the web client is not built (${CLIENT_BUILD}/200.html is missing): run \`npm run build\` (npm test does it first).`);
  }
}

/** Launches the system Chromium. */
export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

/** A fresh browser profile (its own localStorage: one person) with Russian as the browser language. */
export async function person(browser: Browser, opts: { viewport?: { width: number; height: number } } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1440, height: 900 }, locale: 'ru-RU', deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
  return { context, page };
}

/** Saves a full-page screenshot as test-results/screenshots/<name>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  // Scroll to the top and let the page paint what it just rendered before capturing it.
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        window.scrollTo(0, 0);
        requestAnimationFrame(() => requestAnimationFrame(() => resolve()));
        setTimeout(resolve, 500);
      }),
  );
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Text with every kind of space (grouping spaces in Russian numbers are no-break spaces) as a plain space. */
export function plain(text: string | null | undefined): string {
  return (text ?? '').replace(/[\s\u00a0\u202f]+/g, ' ').trim();
}
