/**
 * The seed's story "a waiting conversation resumed", played through the Conversations pages in
 * Chromium against a real Recontact and its sandbox, on one clock the test moves: Emilia writes a
 * few minutes before her window closes and the bot marks her waiting for an agent; the agent's
 * desk shows her at once (the event stream), the agent answers in the reply box and the answer
 * reaches her phone. Her window then closes and the resume template goes; the box says plainly
 * that a reply will now be held, the held reply shows in the thread as held, and it reaches her
 * phone when she taps "Sí, continuar". Last, the agent marks the wait answered.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness';
import { accessibilityViolations } from './support/a11y';
import { launchBrowser, openPage, PHONE } from './support/browser';

const MIN = 60_000;
const HOUR = 60 * MIN;

const RESUME_RULE = {
  template: {
    name: 'resume_conversation',
    language: 'es_AR',
    body: {
      first_name: { from: 'contact.first_name', default: 'Hola' },
      topic: { from: 'waiting.metadata.topic' },
    },
  },
  before_close_minutes: 0,
  handoff: true,
};

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

describe('conversations pages', () => {
  let h: Harness;
  let browser: Browser;
  let offset = 0;
  const clock = () => Date.now() + offset;
  const EMILIA = '5491155553001';
  const inbox = () => h.embedded.sandbox.users.inbox(EMILIA);
  const received = (text: string) =>
    h.waitFor(`"${text}" on Emilia's phone`, () => inbox().find((m) => m.text === text), 15_000);

  beforeAll(async () => {
    [h, browser] = await Promise.all([
      startHarness('sqlite', { clock, sandbox: { now: clock } }),
      launchBrowser(),
    ]);
    const rule = await h.api('PUT', '/v1/accounts/acc_default/resume-rule', RESUME_RULE);
    expect(rule.status, JSON.stringify(rule.json)).toBe(200);
    h.embedded.sandbox.users.setName(EMILIA, 'Emilia');
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('plays "a waiting conversation resumed": answered now, then held until she writes', async () => {
    const { page, errors, context, shot } = await openPage(browser, h);
    await signIn(page, h.key);
    await page.getByRole('link', { name: 'Conversations' }).click();
    await page.getByText('Waiting: 0').waitFor();

    // She asks for a person five minutes before her window closes; the bot marks her waiting.
    h.embedded.sandbox.users.sendText(
      h.embedded.whatsapp.phoneNumberId,
      EMILIA,
      'Quiero hablar con una persona',
      {
        at: clock() - 24 * HOUR + 5 * MIN,
      },
    );
    await h.waitFor('her message', () => h.events.find((e) => e.type === 'message.received'));
    const mark = await h.api('POST', `/v1/contacts/+${EMILIA}/waiting`, {
      reason: 'agent',
      question: '¿Puedo cambiar mi turno del lunes?',
      metadata: { topic: 'tu turno' },
    });
    expect(mark.status, JSON.stringify(mark.json)).toBe(201);

    // The desk was open: she appears without a reload, in both lists, counting down.
    const waiting = page.getByRole('region', { name: 'Waiting for an answer' });
    await waiting.getByRole('link', { name: 'Emilia' }).waitFor();
    expect(await waiting.getByText('“¿Puedo cambiar mi turno del lunes?”').isVisible()).toBe(true);
    const closing = page.getByRole('region', { name: 'Windows closing soon' });
    await closing.getByRole('link', { name: 'Emilia' }).waitFor();
    expect(await closing.getByRole('timer').textContent()).toMatch(/^closes in 00:0[45]:\d\d$/);
    await expectAccessible(page);
    await shot('conversations');

    // The window is open: the answer goes now, and reaches her phone.
    await waiting.getByRole('link', { name: 'Emilia' }).click();
    await page.getByRole('heading', { name: 'Emilia', level: 1 }).waitFor();
    await page.getByText('The window is open: your reply is sent now.').waitFor();
    await page.getByLabel('Reply to Emilia').fill('Hola Emilia, soy Laura. Ya te ayudo con tu turno.');
    await page.getByRole('button', { name: 'Send now' }).click();
    await page.getByText('Sent: it is on its way.').waitFor();
    await received('Hola Emilia, soy Laura. Ya te ayudo con tu turno.');
    const thread = page.getByRole('list', { name: 'Conversation with Emilia' });
    await thread.getByText('Hola Emilia, soy Laura. Ya te ayudo con tu turno.').waitFor();

    // Her window closes; the resume template goes at the close.
    offset += 6 * MIN;
    await h.app.conversations.runOnce();
    await h.waitFor('the resume template', () => h.events.find((e) => e.type === 'conversation.resume_sent'));
    await page.getByText('The window is closed: your reply will be held').waitFor();
    expect(await page.getByRole('timer').first().textContent()).toMatch(/^closed since /);
    await page
      .getByText(
        /The 24-hour window with Emilia closed on .*Your reply will be held and sent the moment Emilia writes again\./,
      )
      .waitFor();
    expect(await page.getByRole('combobox', { name: 'Template that invites a reply' }).inputValue()).toBe(
      'resume_conversation (es_AR)',
    );
    expect(await page.getByLabel('Value {{first_name}}').inputValue()).toBe('Emilia');
    expect(await page.getByLabel('Value {{topic}}').inputValue()).toBe('tu turno');
    await expectAccessible(page);

    await page.getByLabel('Reply to Emilia').fill('El lunes a las 16 tenés turno con la Dra. Gómez.');
    await page.getByRole('button', { name: 'Hold until Emilia writes' }).click();
    await page.getByText('Held until Emilia writes, behind the invitation already on its way').waitFor();
    const held = thread.locator('li', { hasText: 'El lunes a las 16 tenés turno con la Dra. Gómez.' });
    await held.getByText('Held until Emilia writes', { exact: false }).waitFor();
    expect(await held.getAttribute('data-status')).toBe('held');
    expect(inbox().some((m) => m.text.startsWith('El lunes a las 16'))).toBe(false);

    // She taps "Sí, continuar" on the resume template: the held answer is released and reaches her.
    const invitation = inbox().find((m) => m.template?.name === 'resume_conversation');
    expect(invitation?.text).toContain('Hola Emilia');
    h.embedded.sandbox.users.tapButton(
      h.embedded.whatsapp.phoneNumberId,
      EMILIA,
      invitation!.wamid,
      'Sí, continuar',
    );
    await received('El lunes a las 16 tenés turno con la Dra. Gómez.');
    await expect
      .poll(() => held.getAttribute('data-status'), { timeout: 10_000 })
      .toMatch(/sent|delivered|read/);
    await thread
      .locator('li[data-direction="inbound"]', { hasText: 'Sí, continuar' })
      .getByText('Tapped')
      .waitFor();
    await page.getByText(/^They came back /).waitFor();

    await page.getByRole('button', { name: 'Mark as answered' }).click();
    await page.getByText('Not marked waiting.').waitFor();
    const after = await h.api('GET', `/v1/contacts/+${EMILIA}`);
    expect(after.json.waiting).toBeNull();

    // Usable on a phone: nothing wider than the screen.
    await page.setViewportSize(PHONE);
    await page.getByRole('button', { name: 'Open the menu' }).waitFor();
    const overflow = await page.evaluate(() => {
      const d = (globalThis as any).document.documentElement;
      return d.scrollWidth - d.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await expectAccessible(page);
    expect(errors).toEqual([]);
    await context.close();
  });
});
