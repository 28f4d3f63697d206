/**
 * The Contacts pages in Chromium against a real Recontact and its sandbox: search and filters
 * (name, tags, an attribute, the window, consent) find the right contacts, at laptop and phone
 * size; a contact's page counts its window down and shows the conversation (a template as the
 * phone showed it, the person's message) and the consent history; a CSV import whose phone
 * column is mapped by hand shows its progress, its end and the rejected row with its reason.
 */
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, REMINDER, startHarness } from '../support/harness';
import { accessibilityViolations } from './support/a11y';
import { launchBrowser, openPage, PHONE } from './support/browser';

const FIXTURE = fileURLToPath(new URL('../fixtures/web-contacts.csv', import.meta.url));
const HOUR = 3_600_000;

/** Signs in with the harness's admin key (Mantine keeps the radio itself off-screen: its label is clicked). */
async function signIn(page: Page, key: string): Promise<void> {
  await page.goto('/');
  await page
    .locator('label')
    .filter({ hasText: /^API key$/ })
    .click();
  // The key field is the one password field once "API key" is chosen.
  await page.locator('input[type="password"]').fill(key);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('navigation').first().waitFor();
}

/** The WCAG A/AA check of what this page shows, with the pointer off the link just clicked. */
async function expectAccessible(page: Page): Promise<void> {
  await page.mouse.move(1, 1);
  expect(await accessibilityViolations(page)).toEqual([]);
}

/** The names in the contact table, in order. */
async function listed(page: Page): Promise<string[]> {
  return page.getByRole('table', { name: 'Contacts' }).locator('tbody tr td:first-child').allInnerTexts();
}

describe('contacts pages', () => {
  let h: Harness;
  let browser: Browser;
  const EMILIA = '5491155552001';

  beforeAll(async () => {
    [h, browser] = await Promise.all([startHarness('sqlite'), launchBrowser()]);
    const put = (phone: string, body: unknown) =>
      h.api('PUT', `/v1/contacts/${encodeURIComponent(phone)}`, body);
    await put('+5493415550101', {
      name: 'Ana Paz',
      tags: ['vip'],
      attributes: { city: 'Rosario', points: 120 },
    });
    await put('+5493415550102', { name: 'Beto Ruiz', tags: ['promo'], attributes: { city: 'Córdoba' } });
    await put('+5493415550103', {
      name: 'Caro Díaz',
      tags: ['vip', 'promo'],
      attributes: { city: 'Córdoba' },
    });
    const out = await h.api('POST', '/v1/contacts/+5493415550103/consent', {
      scope: 'marketing',
      state: 'opted_out',
      source: 'agent',
      note: 'asked by phone',
    });
    expect(out.status, JSON.stringify(out.json)).toBe(201);
    // Emilia wrote 23 hours ago: her window is open for about one more hour.
    h.embedded.sandbox.users.setName(EMILIA, 'Emilia Gómez');
    h.embedded.sandbox.users.sendText(h.embedded.whatsapp.phoneNumberId, EMILIA, '¿Tengo turno el lunes?', {
      at: Date.now() - 23 * HOUR,
    });
    await h.waitFor('Emilia', () => h.events.find((e) => e.type === 'message.received'));
    const sent = await h.api('POST', '/v1/messages', { ...REMINDER, to: `+${EMILIA}` });
    await h.waitFor('the reminder delivered', () =>
      h.events.find(
        (e) => e.type === 'message.status' && e.data.id === sent.json.id && e.data.status === 'delivered',
      ),
    );
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('finds the right contacts by name, tags, an attribute, the window and consent', async () => {
    const { page, errors, context, shot } = await openPage(browser, h);
    await signIn(page, h.key);
    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('heading', { name: 'Contacts', level: 1 }).waitFor();
    const until = async (names: string[]) => {
      await expect.poll(() => listed(page), { timeout: 5_000 }).toEqual(names);
    };
    await until(['Ana Paz', 'Beto Ruiz', 'Caro Díaz', 'Emilia Gómez']);

    await page.getByLabel('Search', { exact: true }).fill('beto');
    await until(['Beto Ruiz']);
    await page.getByLabel('Search', { exact: true }).fill('');
    await page.getByRole('combobox', { name: 'Tags' }).fill('vip');
    await page.getByRole('combobox', { name: 'Tags' }).press('Enter');
    await until(['Ana Paz', 'Caro Díaz']);
    await page.getByLabel('Attribute', { exact: true }).fill('city');
    await page.getByLabel('Value', { exact: true }).fill('Córdoba');
    await until(['Caro Díaz']);
    expect(page.url()).toContain('attr=city%3Aeq%3AC');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await until(['Ana Paz', 'Beto Ruiz', 'Caro Díaz', 'Emilia Gómez']);
    await page.getByLabel('Window', { exact: true }).selectOption('expiring_within=PT1H');
    await until(['Emilia Gómez']);
    await page.getByLabel('Window', { exact: true }).selectOption('');
    await page.getByLabel('Consent', { exact: true }).selectOption('true');
    await until(['Caro Díaz']);
    await page.getByLabel('Consent', { exact: true }).selectOption('');
    await until(['Ana Paz', 'Beto Ruiz', 'Caro Díaz', 'Emilia Gómez']);
    await expectAccessible(page);
    await shot('contacts');

    // A reload keeps the filters: they live in the address.
    await page.goto('/contacts?tag=promo');
    await until(['Beto Ruiz', 'Caro Díaz']);

    await page.setViewportSize(PHONE);
    await page.getByRole('button', { name: 'Open the menu' }).waitFor();
    await expectAccessible(page);
    const overflow = await page.evaluate(() => {
      const d = (globalThis as any).document.documentElement;
      return d.scrollWidth - d.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows a contact's window counting down, the conversation and the consent history", async () => {
    const { page, errors, context, shot } = await openPage(browser, h);
    await signIn(page, h.key);
    await page.goto('/contacts?q=Emilia');
    await page.getByRole('link', { name: 'Emilia Gómez' }).click();
    await page.getByRole('heading', { name: 'Emilia Gómez', level: 1 }).waitFor();
    const timer = page.getByRole('timer').first();
    const first = await timer.textContent();
    expect(first).toMatch(/^closes in 00:5\d:\d\d$/);
    await expect.poll(() => timer.textContent(), { timeout: 3_000 }).not.toBe(first);

    const thread = page.getByRole('list', { name: 'Conversation with Emilia Gómez' });
    await thread.getByText('¿Tengo turno el lunes?').waitFor();
    await thread
      .getByText(
        'Hola Emilia, te recordamos tu turno en SaludCenter con la Dra. Gómez el lunes 3 de marzo a las 10:00.',
        {
          exact: false,
        },
      )
      .waitFor();
    await expect
      .poll(() => thread.locator('[data-direction="outbound"]').first().getAttribute('data-status'))
      .toMatch(/delivered|read/);
    expect(await thread.getByText('Confirmar', { exact: true }).isVisible()).toBe(true);
    expect(await page.getByRole('tab', { name: 'Text' }).isVisible()).toBe(true);
    expect(await page.getByText('The window is open: your reply is sent now.').isVisible()).toBe(true);
    await expectAccessible(page);
    await shot('contact');

    // A template, whatever the window: chosen, filled, sent, and in the thread.
    await page.getByRole('tab', { name: 'Template' }).click();
    await page.getByRole('combobox', { name: 'Template' }).click();
    await page.getByRole('option', { name: 'appointment_reminder (es_AR)' }).click();
    await page.getByLabel('Value {{1}}').fill('Emilia');
    await page.getByLabel('Value {{2}}').fill('el Dr. Ruiz');
    await page.getByLabel('Value {{3}}').fill('martes 4 de marzo');
    await page
      .getByText('Hola Emilia, te recordamos tu turno en SaludCenter con el Dr. Ruiz', { exact: false })
      .waitFor();
    await page.getByRole('button', { name: 'Send template' }).click();
    await page.getByText('Template appointment_reminder is on its way.').waitFor();
    await thread.getByText('con el Dr. Ruiz el martes 4 de marzo', { exact: false }).waitFor();

    await page.goto('/contacts?q=Caro');
    await page.getByRole('link', { name: 'Caro Díaz' }).click();
    const history = page.getByRole('table', { name: 'Consent' });
    await history.getByText('asked by phone', { exact: false }).waitFor();
    expect(await history.getByText('Agent').isVisible()).toBe(true);
    expect(await page.getByText('No marketing').first().isVisible()).toBe(true);
    expect(await page.getByRole('timer').first().textContent()).toBe('never wrote to us');

    // An admin erases her, after saying so.
    await page.getByRole('button', { name: "Erase this person's data" }).click();
    const dialog = page.getByRole('dialog', { name: "Erase Caro Díaz's data?" });
    await dialog.getByText('This cannot be undone.', { exact: false }).waitFor();
    await dialog.getByRole('button', { name: 'Erase for good' }).click();
    await page.getByText("Caro Díaz's data was erased.").waitFor();
    await expect.poll(() => listed(page)).toEqual(['Ana Paz', 'Beto Ruiz', 'Emilia Gómez']);
    expect((await h.api('GET', '/v1/contacts/+5493415550103')).status).toBe(404);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('imports a CSV with a column mapped by hand, following its progress to the rejected row and its reason', async () => {
    const { page, errors, context, shot } = await openPage(browser, h);
    await signIn(page, h.key);
    await page.goto('/contacts');
    await page.getByRole('link', { name: 'Import CSV' }).click();
    await page.getByRole('heading', { name: 'Import contacts from CSV' }).waitFor();
    await page.locator('input[type="file"]').setInputFiles(FIXTURE);

    const mapping = page.getByRole('table', { name: 'What each column is' });
    await mapping.getByText('Dora').waitFor();
    // "Celu" is not a header the page knows: the import would refuse the file until it is the phone.
    await page.getByRole('alert').filter({ hasText: 'The import would refuse the file as mapped' }).waitFor();
    expect(await page.getByRole('button', { name: 'Start the import' }).isDisabled()).toBe(true);
    await page.getByLabel('Column Celu becomes').selectOption('phone');
    await mapping.getByText('Would be rejected', { exact: false }).waitFor();
    await expect.poll(() => mapping.getByText('Would be imported').count()).toBe(2);
    expect(await page.getByLabel('Column Nombre becomes').inputValue()).toBe('name');
    expect(await page.getByLabel('Attribute name for column Ciudad').inputValue()).toBe('ciudad');
    await page.getByLabel('Attribute name for column Ciudad').fill('city');
    await page.getByRole('combobox', { name: 'Tag every contact' }).fill('feria');
    await page.getByRole('combobox', { name: 'Tag every contact' }).press('Enter');
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Start the import' }).click();

    await page.getByRole('heading', { name: 'Import of web-contacts.csv' }).waitFor();
    await page.getByText('Done: 2 created, 0 updated, 0 unchanged, 1 rejected.').waitFor();
    expect(
      await page.getByRole('progressbar', { name: 'Import progress' }).getAttribute('aria-valuenow'),
    ).toBe('100');
    const rejects = page.getByRole('table', { name: 'Rejected rows' });
    const row = rejects.locator('tbody tr');
    expect(await row.count()).toBe(1);
    expect(await row.locator('td').first().textContent()).toBe('3');
    expect(await row.locator('td').nth(1).textContent()).toBe('Celu');
    expect(await row.locator('td').nth(2).textContent()).toMatch(/12/);
    const download = page.getByRole('link', { name: 'Download the rejected rows (CSV)' });
    const csv = await page.request.get((await download.getAttribute('href'))!);
    expect(csv.status()).toBe(200);
    expect(await csv.text()).toContain('3,Celu,');
    await expectAccessible(page);
    await shot('import');

    const dora = await h.api('GET', '/v1/contacts/+5493415550201');
    expect(dora.json).toMatchObject({
      name: 'Dora',
      tags: ['feria'],
      attributes: { city: 'Rosario', plan: 'oro' },
    });
    expect(errors).toEqual([]);
    await context.close();
  });
});
