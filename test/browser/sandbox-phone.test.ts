/**
 * The seed's first story played by hand in the sandbox phone: the bot sends Emilia the
 * appointment reminder (through the API, as a bot would), the template shows on her simulated
 * phone, the person at the keyboard taps "Confirmar", and the bot's message has its reply: in
 * the API (the message's replies, its status read) and on the phone (her tap in the chat, the
 * template read, nothing unread).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMILIA, type Harness, REMINDER, startHarness } from '../support/harness';
import { expectAccessible } from './support/a11y';
import { launchBrowser, openPage, PHONE, signInWithKey } from './support/browser';

describe('sandbox phone', () => {
  let h: Harness;
  let browser: Browser;
  beforeAll(async () => {
    [h, browser] = await Promise.all([startHarness('sqlite'), launchBrowser()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('shows the appointment reminder arriving, and a tap on "Confirmar" is the reply the bot gets', async () => {
    const { page, errors, context, shot } = await openPage(browser, h);
    await signInWithKey(page, h.key);
    await page.getByRole('link', { name: 'Sandbox phone' }).click();
    await page.getByRole('heading', { name: 'Sandbox phone', level: 1 }).waitFor();

    const sent = await h.api('POST', '/v1/messages', REMINDER);
    expect(sent.status).toBe(202);
    const id = sent.json.id as string;

    // The user appears in the list once the template reaches the phone; open her chat.
    await page.getByRole('link', { name: new RegExp(`\\+${EMILIA.waId}`) }).click();
    const phone = page.getByRole('region', { name: /^Phone:/ });
    const reminder = phone.getByText(/te recordamos tu turno en SaludCenter con la Dra\. Gómez/);
    await reminder.waitFor();
    await expectAccessible(page);
    await shot('sandbox-phone');

    await phone.getByRole('button', { name: 'Confirmar' }).click();
    await page.getByText('Tapped "Confirmar": the business received it.').waitFor();
    // Her tap on her side of the chat, right of the template.
    await phone.locator('.rc-msg--out').getByText('Confirmar').waitFor();

    const replies = await h.waitFor('the reply in the API', async () => {
      const r = await h.api('GET', `/v1/messages/${id}/replies`);
      return r.json.replies?.length ? r.json.replies : undefined;
    });
    expect(replies[0]).toMatchObject({ payload: 'CONFIRM:appt-123', type: 'button' });
    const message = await h.waitFor('the template read', async () => {
      const m = await h.api('GET', `/v1/messages/${id}`);
      return m.json.status === 'read' ? m.json : undefined;
    });
    expect(message.replied_at).not.toBeNull();

    // Nothing unread left in her chat.
    await page.getByRole('link', { name: new RegExp(`\\+${EMILIA.waId}`) }).waitFor();
    await expect.poll(() => page.getByLabel(/unread$/).count(), { timeout: 5_000 }).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('lets a user write from a number typed in, on a phone-sized screen', async () => {
    const { page, errors, context } = await openPage(browser, h, { viewport: PHONE });
    await signInWithKey(page, h.key);
    await page.goto('/sandbox');
    await page.getByLabel(/^WhatsApp number/).fill('+54 9 11 5555-0909');
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.waitForURL('**/sandbox/5491155550909');
    await page.getByRole('textbox', { name: 'Message' }).fill('Hola, ¿me dan un turno?');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('.rc-msg--out').getByText('Hola, ¿me dan un turno?').waitFor();

    const window = await h.waitFor('the window in Recontact', async () => {
      const w = await h.api('GET', '/v1/contacts/5491155550909/window');
      return w.json.open ? w.json : undefined;
    });
    expect(window.open).toBe(true);
    await expectAccessible(page);
    expect(errors).toEqual([]);
    await context.close();
  });
});
