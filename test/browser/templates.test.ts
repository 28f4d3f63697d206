/**
 * The Templates pages in Chromium against a real Recontact and its sandbox: the list with its
 * badges and a rejection reason, the editor whose lint findings come and go under the field as
 * one types, the phone preview with the example values and the buttons, a push that is pending
 * and then approved by the sandbox's review, a viewer's read-only view, and a phone-sized screen.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness';
import { accessibilityViolations } from './support/a11y';
import { launchBrowser, openPage, PHONE } from './support/browser';

/** Long enough to see the template pending, short enough for the test: the sandbox's review delay. */
const REVIEW_MS = 1_500;

/**
 * Signs in with an API key through the sign-in page. (The harness's signInWithKey checks the
 * segmented control's radio, which Mantine keeps off-screen, and Playwright refuses that click.)
 */
async function signInWithKey(page: Page, key: string): Promise<void> {
  await page.goto('/');
  await page
    .locator('label')
    .filter({ hasText: /^API key$/ })
    .click();
  await page
    .locator('input[type="password"]')
    .and(page.getByLabel(/^API key/))
    .fill(key);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('navigation').first().waitFor();
}

/**
 * The WCAG A/AA check of what this section draws: violations inside the page's main region and
 * in dialogs (the app's frame is checked by shell.test.ts).
 */
async function expectAccessible(page: Page): Promise<void> {
  const found = [];
  for (const v of await accessibilityViolations(page)) {
    const mine = [];
    for (const n of v.nodes) {
      const inside = await page.evaluate(
        (sel) => !!(globalThis as any).document.querySelector(sel)?.closest('main, [role="dialog"]'),
        n.target.join(' '),
      );
      if (inside) mine.push(n.target.join(' '));
    }
    if (mine.length > 0) found.push(`${v.id} (${v.impact}): ${v.help} — ${mine.join(', ')}`);
  }
  expect(found).toEqual([]);
}

/** The error a finding reports (by rule id) shows under the field that `label` names. */
async function findingUnder(page: Page, label: string, rule: string) {
  const field = page.getByRole('textbox', { name: label, exact: true });
  const describedBy = (await field.getAttribute('aria-describedby')) ?? '';
  return page.locator(
    describedBy
      .split(' ')
      .map((id) => `[id="${id}"] [data-rule="${rule}"]`)
      .join(', '),
  );
}

describe('templates pages', () => {
  let h: Harness;
  let browser: Browser;
  let viewerKey: string;
  beforeAll(async () => {
    [h, browser] = await Promise.all([
      startHarness('sqlite', {
        sandbox: {
          delays: { sentMs: 5, deliveredMs: 10, readMs: 15, templateReviewMs: REVIEW_MS },
          webhookBatchMs: 2,
        },
      }),
      launchBrowser(),
    ]);
    viewerKey = (await h.app.apiKeys.create('looker', 'viewer')).key;
    // A UTILITY template worded as marketing: the sandbox's review rejects it (INCORRECT_CATEGORY).
    const pushed = await h.api('POST', '/v1/templates/push', {
      templates: [
        {
          name: 'promo_traslado',
          language: 'es_AR',
          category: 'UTILITY',
          components: [
            {
              type: 'BODY',
              text: 'Hola {{1}}, tenés un descuento en taxis para tu turno. ¿Querés que te lo enviemos?',
              example: { body_text: [['Emilia']] },
            },
            { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Sí, quiero' }] },
          ],
        },
      ],
    });
    expect(pushed.status, JSON.stringify(pushed.json)).toBe(200);
    await h.waitFor('the rejection', async () => {
      const t = await h.api('GET', '/v1/templates/promo_traslado/es_AR');
      return t.json.status === 'REJECTED';
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('lists the templates with status and quality badges, and a rejection reason in full', async () => {
    const { page, errors, context, shot } = await openPage(browser, h);
    await signInWithKey(page, h.key);
    await page.goto('/templates');
    const row = (name: string) => page.getByRole('row').filter({ hasText: name });
    await row('appointment_reminder').waitFor();
    await expect(row('appointment_reminder').getByText('Approved').isVisible()).resolves.toBe(true);
    await expect(
      row('taxi_discount')
        .getByText(/quality/i)
        .isVisible(),
    ).resolves.toBe(true);
    const rejected = row('promo_traslado');
    await expect(rejected.getByText('Rejected', { exact: true }).isVisible()).resolves.toBe(true);
    await expect(rejected.textContent()).resolves.toMatch(
      /Rejected: INCORRECT_CATEGORY: the wording does not fit the category/,
    );

    // Filters: by status, then by text.
    await page.getByLabel('Status').selectOption('REJECTED');
    await expect(page.getByRole('row').count()).resolves.toBe(2);
    await page.getByLabel('Status').selectOption('');
    await page.getByRole('textbox', { name: 'Search' }).fill('taxi');
    await expect(page.getByRole('row').count()).resolves.toBe(2);
    await page.getByRole('textbox', { name: 'Search' }).fill('');

    // Pull from Meta says what it found.
    await page.getByRole('button', { name: 'Pull from Meta' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Templates at Meta: \d+/ })
      .waitFor();
    await expectAccessible(page);
    await shot('templates');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('lints as one types, previews live, and pushes a new template that is pending, then approved', async () => {
    const { page, errors, context, shot } = await openPage(browser, h);
    await signInWithKey(page, h.key);
    await page.goto('/templates');
    await page.getByRole('link', { name: 'New template' }).click();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('appointment_moved');

    // A variable at the very start: Meta refuses it, and the finding shows under the body.
    const body = page.getByRole('textbox', { name: 'Body text', exact: true });
    await body.fill('{{1}}, your appointment moved to Monday. Does it still suit you?');
    const edge = await findingUnder(page, 'Body text', 'variable-edge');
    await edge.waitFor();
    await expect(edge.textContent()).resolves.toMatch(/variable-edge.*body starts with \{\{1\}\}/);
    // Its "select in text" link selects the variable in the body.
    await edge.getByRole('button', { name: /Select “\{\{1\}\}” in the text/ }).click();
    await expect(
      body.evaluate((el: any) => el.value.slice(el.selectionStart, el.selectionEnd)),
    ).resolves.toBe('{{1}}');

    await body.fill('Hi {{1}}, your appointment moved to *Monday*. Does it still suit you?');
    await edge.waitFor({ state: 'detached' });
    await page.getByRole('textbox', { name: 'Example for {{1}}' }).fill('Emilia');
    await page.getByRole('button', { name: 'Add a button' }).click();
    await page.getByRole('menuitem', { name: 'Quick reply' }).click();
    await page.getByRole('textbox', { name: 'Button 1 text' }).fill('Yes, it suits me');
    await page.getByRole('button', { name: 'Add a button' }).click();
    await page.getByRole('menuitem', { name: 'Quick reply' }).click();
    await page.getByRole('textbox', { name: 'Button 2 text' }).fill('Change it');
    await page.getByRole('textbox', { name: 'Footer (optional)' }).fill('SaludCenter');

    const phone = page.getByRole('region', { name: 'Phone preview' });
    await phone.getByText('Hi Emilia, your appointment moved to Monday. Does it still suit you?').waitFor();
    await expect(phone.locator('strong').textContent()).resolves.toBe('Monday');
    await expect(phone.getByRole('listitem').allTextContents()).resolves.toEqual([
      'Yes, it suits me',
      'Change it',
    ]);
    await expect(phone.getByText('SaludCenter').isVisible()).resolves.toBe(true);
    await page.getByText('No problems found.').waitFor();
    await expectAccessible(page);
    await page.evaluate(() => (globalThis as any).scrollTo(0, 0));
    await shot('template-editor');

    // The plan first, then the push; the page follows the review.
    await page.getByRole('button', { name: 'Submit for review…' }).click();
    const dialog = page.getByRole('dialog', { name: 'What the push will do' });
    await dialog.getByText(/Create this template at Meta/).waitFor();
    await dialog.getByRole('button', { name: 'Push to Meta' }).click();
    await page.waitForURL(/\/templates\/appointment_moved\/en_US$/);
    await page.getByText('Pending review').waitFor();
    await page.getByText('Approved', { exact: true }).waitFor({ timeout: REVIEW_MS + 8_000 });
    const history = page.getByRole('region', { name: 'History' });
    await history.getByText('Status: Pending review → Approved').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows a rejected template’s reason on its page and in its history', async () => {
    const { page, errors, context } = await openPage(browser, h);
    await signInWithKey(page, h.key);
    await page.goto('/templates/promo_traslado/es_AR');
    const alert = page.getByRole('alert').filter({ hasText: 'Meta rejected this template' });
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toMatch(/INCORRECT_CATEGORY/);
    await page
      .getByRole('region', { name: 'History' })
      .getByText('Status: Pending review → Rejected')
      .waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('lets a viewer read but not change or push, and fits a phone', async () => {
    const { page, errors, context } = await openPage(browser, h, { viewport: PHONE });
    await signInWithKey(page, viewerKey);
    await page.goto('/templates');
    await page.getByRole('link', { name: 'appointment_reminder' }).waitFor();
    await expect(page.getByRole('button', { name: 'Pull from Meta' }).isDisabled()).resolves.toBe(true);
    await page.getByText('Pulling from Meta and submitting for review need the admin role.').waitFor();

    await page.getByRole('link', { name: 'appointment_reminder' }).click();
    const body = page.getByRole('textbox', { name: 'Body text', exact: true });
    await body.waitFor();
    await expect(body.getAttribute('readonly')).resolves.not.toBeNull();
    await expect(page.getByRole('button', { name: 'Submit for review…' }).isDisabled()).resolves.toBe(true);
    // On a phone the preview is under the form, and nothing is wider than the screen.
    const phone = page.getByRole('region', { name: 'Phone preview' });
    await phone.getByText(/Hola Emilia, te recordamos tu turno/).waitFor();
    const [formBox, phoneBox] = await Promise.all([body.boundingBox(), phone.boundingBox()]);
    expect(phoneBox!.y).toBeGreaterThan(formBox!.y);
    await expect(
      page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth),
    ).resolves.toBeLessThanOrEqual(PHONE.width);
    await expectAccessible(page);
    expect(errors).toEqual([]);
    await context.close();
  });
});
