/**
 * The Users page in Chromium: an admin creates a user who then signs in with that password in
 * another browser; the API's refusals (a short password, the last admin) are shown as they are;
 * a role is changed in place and a user disabled, which ends their open session; accessible at
 * laptop and phone size; Spanish when switched.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness';
import { expectAccessible } from './support/a11y';
import { launchBrowser, openPage, PHONE } from './support/browser';

const PASSWORD = 'correct horse battery staple';

async function signIn(page: Page, username: string, password: string, path = '/users') {
  await page.goto(path);
  await page.getByRole('textbox', { name: 'User name' }).fill(username);
  // The one password field on the page (its label carries the required mark).
  await page.locator('input[type=password]').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('navigation').first().waitFor();
}

describe('users page', () => {
  let h: Harness;
  let browser: Browser;
  beforeAll(async () => {
    [h, browser] = await Promise.all([startHarness('sqlite'), launchBrowser()]);
    await h.app.users.create({ username: 'ana', name: 'Ana Pérez', role: 'admin', password: PASSWORD });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('creates a user who then signs in with that password', async () => {
    const admin = await openPage(browser, h);
    await signIn(admin.page, 'ana', PASSWORD);
    const { page } = admin;
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await page.getByRole('cell', { name: 'ana (you)' }).waitFor();

    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog', { name: 'New user' });
    await dialog.getByRole('textbox', { name: 'User name' }).fill('Carla');
    await dialog.getByRole('textbox', { name: 'Display name' }).fill('Carla Gómez');
    await dialog.getByRole('combobox', { name: 'Role' }).selectOption('sender');
    await dialog.locator('input[type=password]').fill('too short');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    // The API's refusal, naming the field and the rule.
    const refusal = dialog.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('The password must be at least 12 characters (got 9)');
    await dialog.locator('input[type=password]').fill('carla’s own passphrase');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('status').filter({ hasText: 'Created carla: they can sign in now.' }).waitFor();
    await page.getByRole('cell', { name: 'Carla Gómez' }).waitFor();
    await dialog.waitFor({ state: 'detached' });
    expect(await page.getByRole('combobox', { name: 'Role of carla' }).inputValue()).toBe('sender');
    await admin.shot('users');

    const carla = await openPage(browser, h);
    await signIn(carla.page, 'carla', 'carla’s own passphrase', '/');
    await carla.page.getByText('Signed in as Carla Gómez (sender)').waitFor();
    // Not an admin: no Users section, and its address says so.
    expect(await carla.page.getByRole('link', { name: 'Users' }).count()).toBe(0);
    await carla.page.goto('/users');
    await carla.page.getByText('Only admins manage users.').waitFor();

    // Disabling Carla ends her open session: her next request brings the sign-in page back.
    await page.getByRole('button', { name: 'Disable carla' }).click();
    await page.getByRole('button', { name: 'Enable carla' }).waitFor();
    await carla.page.reload();
    await carla.page.getByRole('heading', { name: 'Sign in to Recontact' }).waitFor();
    expect([...admin.errors, ...carla.errors]).toEqual([]);
    await admin.context.close();
    await carla.context.close();
  });

  it('changes roles in place, and shows why the last admin cannot be demoted', async () => {
    await h.app.users.create({ username: 'dario', role: 'viewer', password: PASSWORD });
    const { page, errors, context } = await openPage(browser, h);
    await signIn(page, 'ana', PASSWORD);
    await page.getByRole('combobox', { name: 'Role of ana' }).selectOption('viewer');
    const refusal = page.getByRole('alert').filter({ hasText: 'The change was refused' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('"ana" is the last enabled admin user');
    expect(await page.getByRole('combobox', { name: 'Role of ana' }).inputValue()).toBe('admin');

    await page.getByRole('combobox', { name: 'Role of dario' }).selectOption('admin');
    await expect.poll(async () => (await h.app.users.find('dario')).role).toBe('admin');

    // A new password set by the admin: only it works from now on.
    await page.getByRole('button', { name: 'Set password for dario' }).click();
    const dialog = page.getByRole('dialog', { name: 'Set password for dario' });
    await dialog.locator('input[type=password]').fill('dario’s reset passphrase');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'New password set for dario' }).waitFor();
    const dario = await openPage(browser, h);
    await signIn(dario.page, 'dario', 'dario’s reset passphrase');
    await dario.page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
    await dario.context.close();
  });

  it('fits a phone and speaks Spanish', async () => {
    const { page, errors, context } = await openPage(browser, h, { viewport: PHONE });
    await signIn(page, 'ana', PASSWORD);
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Open the menu' }).click();
    await page.getByLabel('Language').selectOption('es');
    await page.getByRole('heading', { name: 'Usuarios', level: 1 }).waitFor();
    expect(await page.getByRole('button', { name: 'Nuevo usuario' }).isVisible()).toBe(true);
    expect(await page.getByRole('columnheader', { name: 'Última entrada' }).count()).toBe(1);
    expect(errors).toEqual([]);
    await context.close();
  });
});
