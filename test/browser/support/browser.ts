/**
 * The browser suite's harness: Debian's Chromium (never a downloaded one) driven by
 * playwright-core against a real Recontact with its sandbox (test/support/harness.ts). Each test
 * gets its own browser context (cookies, storage), at a laptop's or a phone's size.
 * Screenshots go to test-results/screenshots/, or to the folder RECONTACT_SCREENSHOTS names
 * (`npm run screenshots` refreshes the README's, in docs/screenshots/).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import type { Harness } from '../../support/harness';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Without the background-networking flags Chromium keeps dialling Google's hosts, which this
// machine's closed network refuses, many at a time.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

export interface BrowserPage {
  context: BrowserContext;
  page: Page;
  /** What the page threw (uncaught errors); a test should end with `expect(errors).toEqual([])`. */
  errors: string[];
  /** Saves a full-page PNG named `name` (README screenshots are named by page). */
  shot(name: string): Promise<string>;
}

export async function openPage(
  browser: Browser,
  h: Harness,
  opts: { viewport?: { width: number; height: number }; language?: 'en' | 'es' } = {},
): Promise<BrowserPage> {
  const context = await browser.newContext({
    baseURL: h.url,
    viewport: opts.viewport ?? LAPTOP,
    locale: opts.language === 'es' ? 'es-ES' : 'en-US',
    timezoneId: 'America/Argentina/Buenos_Aires',
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.setDefaultTimeout(15_000);
  const dir = process.env.RECONTACT_SCREENSHOTS ?? join(process.cwd(), 'test-results', 'screenshots');
  return {
    context,
    page,
    errors,
    async shot(name) {
      mkdirSync(dir, { recursive: true });
      const path = join(dir, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
  };
}

/** Signs in through the sign-in page with the harness's admin API key. */
export async function signInWithKey(page: Page, key: string): Promise<void> {
  await page.goto('/');
  // Mantine's segmented control hides its radios off screen: the label is what a person clicks.
  await page
    .locator('label')
    .filter({ hasText: /^(API key|Clave de API)$/ })
    .click();
  await page.locator('input[type=password]').fill(key);
  await page.getByRole('button', { name: /^(Sign in|Entrar)$/ }).click();
  await page.getByRole('navigation').first().waitFor();
}
