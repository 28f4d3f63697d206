/**
 * A Messenger person in the sandbox phone, in Chromium: the sandbox page's person is listed
 * (marked Messenger), the bot's answer sent through the API to `psid:` arrives in their thread
 * with its buttons, the person at the keyboard taps one and writes back, and both reach
 * Recontact: the tap as the message's reply, the words in the contact's thread.
 */
import pino from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_PAGE } from '../../src/embedded-sandbox';
import { upsertAccount } from '../../src/store/accounts-repo';
import { openSecretBox } from '../../src/store/secret-key-file';
import { type Harness, startHarness } from '../support/harness';
import { expectAccessible } from './support/a11y';
import { launchBrowser, openPage, PHONE, signInWithKey } from './support/browser';

describe('sandbox phone: Messenger', () => {
  let h: Harness;
  let browser: Browser;
  let pageAccountId: string;
  beforeAll(async () => {
    [h, browser] = await Promise.all([startHarness('sqlite'), launchBrowser()]);
    // The sandbox's page as an operator adds it: its webhooks already reach /webhooks/messenger.
    const box = openSecretBox(h.app.config.secrets, h.store, pino({ level: 'silent' }));
    const account = await upsertAccount(
      h.store.db,
      box,
      {
        id: 'acc_browser_page',
        channel: 'messenger',
        name: 'saludcenter-page',
        externalId: SANDBOX_PAGE.pageId,
        wabaId: null,
        accessToken: SANDBOX_PAGE.pageToken,
        appSecret: SANDBOX_PAGE.appSecret,
        verifyToken: SANDBOX_PAGE.verifyToken,
        baseUrl: h.app.accounts.all()[0]!.baseUrl,
        graphVersion: 'v25.0',
        throughputMps: 40,
        source: 'api',
      },
      Date.now(),
    );
    pageAccountId = account.id;
    await h.app.accounts.reload();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('shows the bot’s answer to psid:, and the person’s tap and words reach Recontact', async () => {
    const messenger = h.embedded.sandbox.messenger;
    const { psid } = messenger.users.create(SANDBOX_PAGE.pageId, { name: 'Lucía Romero' });
    messenger.users.sendText(psid, '¿Tienen turnos el sábado?');
    await h.waitFor('her contact in Recontact', () =>
      h.events.find((e) => e.type === 'message.received' && e.data.account_id === pageAccountId),
    );

    const { page, errors, context, shot } = await openPage(browser, h);
    await signInWithKey(page, h.key);
    await page.getByRole('link', { name: 'Sandbox phone' }).click();
    const person = page.getByRole('link', { name: /Lucía Romero/ });
    await person.waitFor();
    expect(await person.textContent()).toContain('Messenger');
    await person.click();
    await page.waitForURL(`**/sandbox/messenger/${psid}`);
    const phone = page.getByRole('region', { name: /^Phone:/ });
    await phone.getByText('¿Tienen turnos el sábado?').waitFor();

    const sent = await h.api('POST', '/v1/messages', {
      to: `psid:${psid}`,
      interactive: {
        body: 'Sí, de 9 a 13. ¿Te reservo uno?',
        buttons: [
          { id: 'BOOK', title: 'Reservar' },
          { id: 'LATER', title: 'Más tarde' },
        ],
      },
    });
    expect(sent.status, JSON.stringify(sent.json)).toBe(202);
    await phone.getByText('Sí, de 9 a 13. ¿Te reservo uno?').waitFor();
    await expectAccessible(page);
    await shot('sandbox-phone-messenger');

    await phone.getByRole('button', { name: 'Reservar' }).click();
    await page.getByText('Tapped "Reservar": the business received it.').waitFor();
    await phone.locator('.rc-fb-msg--out').getByText('Reservar').waitFor();
    const replies = await h.waitFor('the reply in the API', async () => {
      const r = await h.api('GET', `/v1/messages/${sent.json.id}/replies`);
      return r.json.replies?.length ? r.json.replies : undefined;
    });
    expect(replies[0]).toMatchObject({ payload: 'BOOK' });

    await page.getByRole('textbox', { name: 'Message' }).fill('¡Gracias! Voy a las 10.');
    await page.getByRole('button', { name: 'Send' }).click();
    await phone.locator('.rc-fb-msg--out').getByText('¡Gracias! Voy a las 10.').waitFor();
    const thread = await h.waitFor('her words in Recontact', async () => {
      const r = await h.api('GET', `/v1/contacts/${sent.json.contact_id}/thread?account_id=${pageAccountId}`);
      return JSON.stringify(r.json).includes('¡Gracias! Voy a las 10.') ? r : undefined;
    });
    expect(thread.status).toBe(200);
    await expectAccessible(page);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('opens a person’s thread on a phone-sized screen, with a way back to the list', async () => {
    const { psid } = h.embedded.sandbox.messenger.users.create(SANDBOX_PAGE.pageId, { name: 'Tomás Díaz' });
    const { page, errors, context } = await openPage(browser, h, { viewport: PHONE });
    await signInWithKey(page, h.key);
    await page.goto(`/sandbox/messenger/${psid}`);
    await page.getByRole('heading', { name: "Tomás Díaz's Messenger" }).waitFor();
    await page
      .getByText('No messages yet. What this person writes reaches the page as from Messenger.')
      .waitFor();
    await expectAccessible(page);
    await page.getByRole('link', { name: /All simulated users/ }).click();
    await page.getByRole('link', { name: /Tomás Díaz/ }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });
});
