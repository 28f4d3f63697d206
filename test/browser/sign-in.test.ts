/**
 * Signing in to the web app in Chromium: with a username and password and with an API key; a
 * wrong password shows the API's own message; the session survives a reload (the cookie, which
 * the page itself cannot read) and signing out ends it for good; Spanish throughout when the
 * language is switched.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness';
import { expectAccessible } from './support/a11y';
import { launchBrowser, openPage } from './support/browser';

const PASSWORD = 'correct horse battery staple';

async function signInWithPassword(page: Page, username: string, password: string, labels = ENGLISH) {
  await page.getByRole('textbox', { name: labels.username }).fill(username);
  // The one password field on the page (its label carries the required mark).
  await page.locator('input[type=password]').fill(password);
  await page.getByRole('button', { name: labels.signIn, exact: true }).click();
}

/** Through the segmented control's label: Mantine keeps its radio off-screen, where Playwright will not click. */
async function signInWithKey(page: Page, key: string) {
  await page.goto('/');
  await page
    .locator('label')
    .filter({ hasText: /^API key$/ })
    .click();
  await page.locator('input[type=password]').fill(key);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

const ENGLISH = { username: 'User name', signIn: 'Sign in' };
const SPANISH = { username: 'Usuario', signIn: 'Entrar' };

describe('sign-in page', () => {
  let h: Harness;
  let browser: Browser;
  beforeAll(async () => {
    [h, browser] = await Promise.all([startHarness('sqlite'), launchBrowser()]);
    await h.app.users.create({ username: 'ana', name: 'Ana Pérez', role: 'admin', password: PASSWORD });
    await h.app.users.create({ username: 'bruno', role: 'viewer', password: PASSWORD });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('signs in with a password, keeps the session over a reload, and signs out for good', async () => {
    const { page, errors, context, shot } = await openPage(browser, h);
    await page.goto('/templates');
    await page.getByRole('heading', { name: 'Sign in to Recontact' }).waitFor();
    await expectAccessible(page);
    await shot('sign-in');
    await signInWithPassword(page, 'Ana', PASSWORD);
    await page.getByText('Signed in as Ana Pérez (admin)').waitFor();
    expect(new URL(page.url()).pathname).toBe('/templates');
    // HttpOnly: the session is in a cookie that no script of the page can read.
    expect(await page.evaluate(() => (globalThis as any).document.cookie)).not.toContain('recontact_session');
    const cookie = (await context.cookies()).find((c) => c.name === 'recontact_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });

    await page.reload();
    await page.getByText('Signed in as Ana Pérez (admin)').waitFor();
    expect(await page.getByRole('heading', { name: 'Sign in to Recontact' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Recontact' }).waitFor();
    expect((await context.cookies()).find((c) => c.name === 'recontact_session')).toBeUndefined();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to Recontact' }).waitFor();
    // The old cookie, kept by someone, no longer signs anyone in.
    await context.addCookies([{ ...cookie!, expires: -1 }]);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to Recontact' }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows the API’s message for a wrong password', async () => {
    const { page, errors, context } = await openPage(browser, h);
    await page.goto('/');
    await signInWithPassword(page, 'ana', 'not the password');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Could not sign in');
    expect(await alert.textContent()).toContain('Wrong username or password');
    expect(await page.getByRole('navigation').count()).toBe(0);
    await expectAccessible(page);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('signs in with an API key, with the key’s role', async () => {
    const key = (await h.app.apiKeys.create('laptop', 'sender')).key;
    const { page, errors, context } = await openPage(browser, h);
    await signInWithKey(page, key);
    await page.getByText('Signed in as laptop (sender)').waitFor();
    // A sender sees no Users section.
    expect(await page.getByRole('link', { name: 'Users' }).count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('speaks Spanish on the sign-in page and after, when the language is switched', async () => {
    const { page, errors, context } = await openPage(browser, h);
    await page.goto('/');
    await page.getByLabel('Language').selectOption('es');
    await page.getByRole('heading', { name: 'Iniciar sesión en Recontact' }).waitFor();
    expect(await page.getByRole('radio', { name: 'Usuario y contraseña' }).count()).toBe(1);
    await signInWithPassword(page, 'bruno', 'una contraseña equivocada', SPANISH);
    await page.getByRole('alert').filter({ hasText: 'No se pudo iniciar sesión' }).waitFor();
    await signInWithPassword(page, 'bruno', PASSWORD, SPANISH);
    await page.getByText('Sesión de bruno (viewer)').waitFor();
    await page.getByRole('button', { name: 'Cerrar sesión' }).click();
    await page.getByRole('heading', { name: 'Iniciar sesión en Recontact' }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });
});
