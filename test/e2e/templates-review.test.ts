/**
 * Meta's review lifecycle as Recontact sees it: status, quality and category webhooks update the
 * stored template and tell the bot; a template that is not APPROVED is refused before any HTTP
 * call, naming its status and rejection reason.
 */
import { createHmac } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMILIA, type Harness, REMINDER, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

/** A UTILITY template worded like marketing: the sandbox's review rejects it as INCORRECT_CATEGORY. */
function promo(name: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    language: 'es_AR',
    category: 'UTILITY',
    components: [
      {
        type: 'BODY',
        text: 'Hola {{1}}, este mes tenés un descuento en tu próximo turno. ¿Querés reservarlo?',
        example: { body_text: [['Emilia']] },
      },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'QUICK_REPLY', text: 'Sí' },
          { type: 'QUICK_REPLY', text: 'No' },
        ],
      },
    ],
    ...extra,
  };
}

describe.each(DIALECTS)('template review lifecycle on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(dialect);
  });
  afterAll(() => h.close());

  const waba = () => h.embedded.whatsapp.wabaId;
  const stored = async (name: string) => (await h.api('GET', `/v1/templates/${name}/es_AR`)).json;
  const statusEvent = (name: string, status: string) =>
    h.waitFor(`template.status ${status} for ${name}`, () =>
      h.events.find((e) => e.type === 'template.status' && e.data.name === name && e.data.status === status),
    );
  const setAtMeta = async (name: string, status: string) => {
    h.embedded.sandbox.setTemplateStatus(waba(), name, 'es_AR', status);
    await h.waitFor(`${name} ${status} here`, async () => (await stored(name)).status === status);
  };

  async function refused(template: Record<string, unknown>) {
    const before = h.embedded.sandbox.sent().length;
    const res = await h.api('POST', '/v1/messages', { to: EMILIA.phone, template });
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('TEMPLATE_NOT_APPROVED');
    expect(h.embedded.sandbox.sent()).toHaveLength(before);
    return res.json.error;
  }

  it('refuses a PENDING template before HTTP, and sends it again once APPROVED', async () => {
    await setAtMeta('appointment_reminder', 'PENDING');
    const error = await refused(REMINDER.template);
    expect(error.message).toBe(
      'Template "appointment_reminder" (es_AR) is PENDING; only APPROVED templates can be sent',
    );
    expect(error.data).toEqual({ status: 'PENDING', rejected_reason: null });
    expect(error.hint).toMatch(/Wait for Meta to review it/);

    await setAtMeta('appointment_reminder', 'APPROVED');
    expect((await h.api('POST', '/v1/messages', REMINDER)).status).toBe(202);
  });

  it('tells the bot when a template is PAUSED, with the previous status, and refuses it', async () => {
    await setAtMeta('appointment_reminder', 'PAUSED');
    const event = await statusEvent('appointment_reminder', 'PAUSED');
    expect(event.data).toMatchObject({
      status: 'PAUSED',
      previous_status: 'APPROVED',
      language: 'es_AR',
      details: expect.stringContaining('low quality'),
    });
    const error = await refused(REMINDER.template);
    expect(error.message).toMatch(/is PAUSED; only APPROVED templates can be sent/);
    expect(error.data.status).toBe('PAUSED');
  });

  it('tells the bot when a template is DISABLED, with the previous status', async () => {
    await setAtMeta('resume_conversation', 'DISABLED');
    const event = await statusEvent('resume_conversation', 'DISABLED');
    expect(event.data).toMatchObject({ status: 'DISABLED', previous_status: 'APPROVED' });
    await refused({ name: 'resume_conversation', language: 'es_AR', body: { first_name: 'E', topic: 't' } });
  });

  it('ends a UTILITY template with "descuento" REJECTED (INCORRECT_CATEGORY) and refuses it with that reason', async () => {
    const push = await h.api('POST', '/v1/templates/push', { templates: [promo('turno_descuento')] });
    expect(push.status, JSON.stringify(push.json)).toBe(200);
    // Only a warning for the linter: Meta decides the category.
    expect(push.json.lint.findings.map((f: any) => f.rule)).toContain('recontact-utility-promotional');
    expect(push.json.summary.created).toBe(1);

    const event = await statusEvent('turno_descuento', 'REJECTED');
    expect(event.data).toMatchObject({ previous_status: 'PENDING', reason: 'INCORRECT_CATEGORY' });
    expect(await stored('turno_descuento')).toMatchObject({
      status: 'REJECTED',
      rejected_reason: 'INCORRECT_CATEGORY',
    });
    const error = await refused({ name: 'turno_descuento', language: 'es_AR', body: ['Emilia'] });
    expect(error.message).toBe(
      'Template "turno_descuento" (es_AR) is REJECTED (reason: INCORRECT_CATEGORY); only APPROVED templates can be sent',
    );
    expect(error.data).toEqual({ status: 'REJECTED', rejected_reason: 'INCORRECT_CATEGORY' });
  });

  it("applies Meta's recategorisation (template.category) when the category may change", async () => {
    const push = await h.api('POST', '/v1/templates/push', {
      templates: [promo('turno_promo', { allow_category_change: true })],
    });
    expect(push.json.summary.created).toBe(1);
    const event = await h.waitFor('template.category', () =>
      h.events.find((e) => e.type === 'template.category' && e.data.name === 'turno_promo'),
    );
    expect(event.data).toMatchObject({
      category: 'MARKETING',
      previous_category: 'UTILITY',
      language: 'es_AR',
    });
    await statusEvent('turno_promo', 'APPROVED');
    expect(await stored('turno_promo')).toMatchObject({ status: 'APPROVED', category: 'MARKETING' });

    // The file still says UTILITY: the diff shows Meta's category as the one to change.
    const diff = await h.api('POST', '/v1/templates/diff', { templates: [promo('turno_promo')] });
    expect(diff.json.plan.entries[0]).toMatchObject({ action: 'update' });
    expect(diff.json.plan.entries[0].changes).toEqual([
      {
        path: 'category',
        kind: 'changed',
        before: 'MARKETING',
        after: 'UTILITY',
        inline: '"MARKETING" → "UTILITY"',
      },
    ]);
  });

  it('applies quality updates (template.quality) without touching the status', async () => {
    const tpl = h.embedded.sandbox.templates(waba()).find((t) => t.name === 'taxi_discount')!;
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: waba(),
          time: Math.floor(Date.now() / 1000),
          changes: [
            {
              field: 'message_template_quality_update',
              value: {
                previous_quality_score: 'GREEN',
                new_quality_score: 'YELLOW',
                message_template_id: Number(tpl.id),
                message_template_name: 'taxi_discount',
                message_template_language: 'es_AR',
              },
            },
          ],
        },
      ],
    });
    const res = await request(`${h.url}/webhooks/whatsapp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': `sha256=${createHmac('sha256', h.embedded.whatsapp.appSecret).update(body).digest('hex')}`,
      },
      body,
    });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    const event = await h.waitFor('template.quality', () =>
      h.events.find((e) => e.type === 'template.quality'),
    );
    expect(event.data).toMatchObject({
      name: 'taxi_discount',
      quality_score: 'YELLOW',
      previous_quality_score: 'GREEN',
      provider_template_id: tpl.id,
    });
    expect(await stored('taxi_discount')).toMatchObject({ quality_score: 'YELLOW', status: 'APPROVED' });
  });
});
