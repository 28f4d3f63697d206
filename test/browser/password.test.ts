/**
 * "Change my password" in Chromium: a signed-in user opens it from the frame (a dialog), sees the API's
 * own message for a wrong current password and a short new one, changes it, and after signing
 * out the old password fails and the new one works. A session signed in with an API key has no
 * such link (a key has no password).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness';
import { expectAccessible } from './support/a11y';
import { launchBrowser, openPage, signInWithKey } from './support/browser';

const OLD = 'correct horse battery staple';
const NEW = 'purple walrus under seven lamps';

async function signIn(page: Page, username: string, password: string) {
  await page.getByRole('textbox', { name: 'User name' }).fill(username);
  await page.locator('input[type=password]').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

async function fillPasswords(page: Page, current: string, next: string, confirm = next) {
  // The labels carry Mantine's required mark, hence the patterns.
  await page.getByLabel(/^Current password\W*$/).fill(current);
  await page.getByLabel(/^New password\W*$/).fill(next);
  await page.getByLabel(/^New password again\W*$/).fill(confirm);
}

describe('change my password', () => {
  let h: Harness;
  let browser: Browser;
  beforeAll(async () => {
    [h, browser] = await Promise.all([startHarness('sqlite'), launchBrowser()]);
    await h.app.users.create({ username: 'carla', role: 'viewer', password: OLD });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('refuses a wrong current password and a short one, changes it, and only the new one signs in', async () => {
    const { page, errors, context, shot } = await openPage(browser, h);
    await page.goto('/');
    await signIn(page, 'carla', OLD);
    await page.getByRole('button', { name: 'Change my password' }).click();
    const dialog = page.getByRole('dialog', { name: 'Your new password' });
    await dialog.waitFor();
    await expectAccessible(page);

    await fillPasswords(page, 'not my password at all', NEW);
    await page.getByRole('button', { name: 'Change password' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'The password was not changed' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('The current password is not right');

    await fillPasswords(page, OLD, 'too short');
    await page.getByRole('button', { name: 'Change password' }).click();
    await alert.filter({ hasText: 'must be at least 12 characters (got 9)' }).waitFor();

    // Two different new passwords never reach the API: the field says so and the button waits.
    await fillPasswords(page, OLD, NEW, `${NEW}!`);
    await page.getByText('The two new passwords are not the same.').waitFor();
    expect(await page.getByRole('button', { name: 'Change password' }).isDisabled()).toBe(true);
    await expectAccessible(page);

    await fillPasswords(page, OLD, NEW);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').filter({ hasText: 'Password changed' }).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    await expectAccessible(page);
    await shot('password');

    // This session stays after the change.
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.reload();
    await page.getByText('Signed in as carla (viewer)').waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Recontact' }).waitFor();
    await signIn(page, 'carla', OLD);
    await page.getByRole('alert').filter({ hasText: 'Wrong username or password' }).waitFor();
    await signIn(page, 'carla', NEW);
    await page.getByText('Signed in as carla (viewer)').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('offers no password change to a session signed in with an API key', async () => {
    const key = (await h.app.apiKeys.create('kiosk', 'viewer')).key;
    const { page, errors, context } = await openPage(browser, h);
    await signInWithKey(page, key);
    await page.getByText('Signed in as kiosk (viewer)').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(await page.getByRole('button', { name: 'Change my password' }).count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });
});
