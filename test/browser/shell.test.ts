/**
 * The web app's frame before anyone signs in: the sign-in page loads from `/` and from any page
 * address, passes the WCAG A/AA checks at a laptop's and a phone's size, and speaks Spanish when
 * the browser does or the user picks it (and remembers the choice).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness';
import { accessibilityViolations, expectAccessible } from './support/a11y';
import { launchBrowser, openPage, PHONE, signInWithKey } from './support/browser';

describe('web app frame', () => {
  let h: Harness;
  let browser: Browser;
  beforeAll(async () => {
    [h, browser] = await Promise.all([startHarness('sqlite'), launchBrowser()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('shows the sign-in page at a page address, accessible at laptop and phone size', async () => {
    for (const viewport of [undefined, PHONE]) {
      const { page, errors, context, shot } = await openPage(browser, h, viewport ? { viewport } : {});
      await page.goto('/campaigns/some-id');
      await page.getByRole('heading', { name: 'Sign in to Recontact' }).waitFor();
      await expectAccessible(page);
      if (!viewport) await shot('sign-in');
      expect(errors).toEqual([]);
      await context.close();
    }
  });

  it('speaks Spanish to a Spanish browser, and keeps the language the user picks', async () => {
    const { page, errors, context } = await openPage(browser, h, { language: 'es' });
    await page.goto('/');
    await page.getByRole('heading', { name: 'Iniciar sesión en Recontact' }).waitFor();
    expect(await page.getByRole('textbox', { name: 'Usuario' }).isVisible()).toBe(true);
    await page.getByLabel('Idioma').selectOption('en');
    await page.getByRole('heading', { name: 'Sign in to Recontact' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to Recontact' }).waitFor();
    expect(await page.evaluate(() => (globalThis as any).document.documentElement.lang)).toBe('en');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('has a check that does catch what it is for (an unlabelled field, grey on grey)', async () => {
    const { page, context } = await openPage(browser, h);
    await page.setContent(
      '<main><h1>x</h1><input type="text"><p style="color:#aaa;background:#bbb">faint</p></main>',
    );
    const ids = (await accessibilityViolations(page)).map((v) => v.id);
    expect(ids).toEqual(expect.arrayContaining(['label', 'color-contrast']));
    await context.close();
  });

  it('keeps the frame readable when signed in: the header, the hovered current section, the phone menu', async () => {
    const { page, errors, context } = await openPage(browser, h);
    await signInWithKey(page, h.key);
    await page.getByRole('link', { name: 'Templates' }).click();
    await page.getByRole('link', { name: 'Templates' }).hover();
    await expectAccessible(page);
    await page.setViewportSize(PHONE);
    await page.getByRole('button', { name: 'Open the menu' }).click();
    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('heading', { name: 'Contacts', level: 1 }).waitFor();
    await expectAccessible(page);
    expect(errors).toEqual([]);
    await context.close();
  });
});
