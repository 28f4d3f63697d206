/**
 * Send-time parameters beyond plain text, on templates pushed by the test itself: a TEXT header
 * with a named variable, currency and date_time body values. Values of the wrong type or count
 * are refused before any HTTP call, naming the component.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMILIA, type Harness, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

const FILE = 'test/fixtures/templates-params.yaml';
const TEXT = readFileSync(FILE, 'utf8');

const PAYMENT = {
  name: 'payment_reminder',
  language: 'es_AR',
  header: { text: 'A-0001-00098765' },
  body: [
    'Emilia',
    { currency: { fallback_value: '$ 12.500,00', code: 'ARS', amount_1000: 12_500_000 } },
    { date_time: { fallback_value: 'lunes 10 de marzo' } },
  ],
};

describe.each(DIALECTS)('template parameters on %s', (dialect) => {
  let h: Harness;
  // The sandbox starts with the three SaludCenter templates, which this file does not hold.
  beforeAll(async () => {
    h = await startHarness(dialect);
  });
  afterAll(() => h.close());

  it('pushes the two new templates and leaves the ones only at Meta alone', async () => {
    const diff = await h.api('POST', '/v1/templates/diff', { file: TEXT, file_name: FILE });
    expect(diff.json.plan.counts).toEqual({ create: 2, update: 0, unchanged: 0, only_at_meta: 3 });
    const onlyAtMeta = diff.json.plan.entries.filter((e: any) => e.action === 'only_at_meta');
    expect(onlyAtMeta.map((e: any) => e.name)).toEqual([
      'appointment_reminder',
      'resume_conversation',
      'taxi_discount',
    ]);
    expect(onlyAtMeta[0].notes[0]).toMatch(/never deletes/);

    const push = await h.api('POST', '/v1/templates/push', { file: TEXT, file_name: FILE });
    expect(push.json.summary).toMatchObject({ created: 2, only_at_meta: 3, failed: 0 });
    expect(h.embedded.sandbox.templates(h.embedded.whatsapp.wabaId)).toHaveLength(5);
    for (const name of ['lab_results_ready', 'payment_reminder']) {
      await h.waitFor(`${name} APPROVED`, async () => {
        const r = await h.api('GET', `/v1/templates/${name}/es_AR`);
        return r.json.status === 'APPROVED';
      });
    }
  });

  it('sends a TEXT header variable (NAMED) and shows it on the phone', async () => {
    const q = await h.api('POST', '/v1/messages', {
      to: EMILIA.phone,
      template: {
        name: 'lab_results_ready',
        language: 'es_AR',
        header: { text: 'hemograma' },
        body: { first_name: 'Emilia', study: 'hemograma' },
      },
    });
    expect(q.status, JSON.stringify(q.json)).toBe(202);
    const onPhone = await h.waitFor('lab results on the phone', () =>
      h.embedded.sandbox.users.inbox(EMILIA.waId).find((m) => m.template?.name === 'lab_results_ready'),
    );
    const sent = h.embedded.sandbox.sent().find((s) => s.bizOpaque === q.json.id)!;
    expect((sent.body as any).template.components[0]).toEqual({
      type: 'header',
      parameters: [{ type: 'text', text: 'hemograma', parameter_name: 'study' }],
    });
    expect(onPhone.header).toMatchObject({ type: 'text', text: 'Resultados de hemograma' });
    expect(onPhone.text).toBe(
      'Hola Emilia, ya están tus resultados de hemograma. ¿Querés que te los enviemos por acá?',
    );
  });

  it('sends currency and date_time values; the phone shows their fallback text', async () => {
    const q = await h.api('POST', '/v1/messages', { to: EMILIA.phone, template: PAYMENT });
    expect(q.status, JSON.stringify(q.json)).toBe(202);
    const onPhone = await h.waitFor('payment reminder on the phone', () =>
      h.embedded.sandbox.users.inbox(EMILIA.waId).find((m) => m.template?.name === 'payment_reminder'),
    );
    const sent = h.embedded.sandbox.sent().find((s) => s.bizOpaque === q.json.id)!;
    expect((sent.body as any).template.components).toEqual([
      { type: 'header', parameters: [{ type: 'text', text: 'A-0001-00098765' }] },
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Emilia' },
          {
            type: 'currency',
            currency: { fallback_value: '$ 12.500,00', code: 'ARS', amount_1000: 12_500_000 },
          },
          { type: 'date_time', date_time: { fallback_value: 'lunes 10 de marzo' } },
        ],
      },
    ]);
    expect(onPhone.header).toMatchObject({ type: 'text', text: 'Factura A-0001-00098765' });
    expect(onPhone.text).toBe(
      'Hola Emilia, tu factura de $ 12.500,00 vence el lunes 10 de marzo. ¿Querés que te enviemos el enlace de pago?',
    );
  });

  it.each([
    [
      'a missing header value',
      { ...PAYMENT, header: undefined },
      'template.header',
      /header "Factura \{\{1\}\}" needs \{ text \}/,
    ],
    [
      'too few body values',
      { ...PAYMENT, body: ['Emilia', '$ 10'] },
      'template.body[2]',
      /expected 3 body values/,
    ],
    [
      'a currency code that is not ISO 4217',
      {
        ...PAYMENT,
        body: ['Emilia', { currency: { fallback_value: '$ 1', code: 'ars', amount_1000: 1000 } }, 'x'],
      },
      'template.body[1].currency.code',
      /currency code must be 3 capital letters/,
    ],
    [
      'a date_time whose fallback text has a line break',
      { ...PAYMENT, body: ['Emilia', '$ 1', { date_time: { fallback_value: 'lunes\n10' } }] },
      'template.body[2].date_time.fallback_value',
      /line break/,
    ],
    [
      'positional values for a NAMED body',
      { name: 'lab_results_ready', language: 'es_AR', header: { text: 'x' }, body: ['Emilia', 'x'] },
      'template.body',
      /named variables/,
    ],
    [
      'a URL suffix on a quick-reply button',
      { ...PAYMENT, buttons: [{ url_suffix: 'x' }] },
      'template.buttons[0]',
      /takes \{ payload \}/,
    ],
    [
      'a header image on a TEXT header',
      { ...PAYMENT, header: { image: { link: 'https://x.example/a.jpg' } } },
      'template.header',
      /needs \{ text \}/,
    ],
  ])('refuses %s before any HTTP call, naming the component', async (_what, template, path, message) => {
    const before = h.embedded.sandbox.sent().length;
    const res = await h.api('POST', '/v1/messages', { to: EMILIA.phone, template });
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('TEMPLATE_PARAMS_INVALID');
    const detail = res.json.error.details.find((d: any) => d.path === path);
    expect(detail, JSON.stringify(res.json.error.details)).toBeDefined();
    expect(detail.message).toMatch(message);
    expect(h.embedded.sandbox.sent()).toHaveLength(before);
  });

  it('refuses a currency object without its code, naming the field, before any HTTP call', async () => {
    const before = h.embedded.sandbox.sent().length;
    const res = await h.api('POST', '/v1/messages', {
      to: EMILIA.phone,
      template: {
        ...PAYMENT,
        body: ['Emilia', { currency: { fallback_value: '$ 1', amount_1000: 1000 } }, 'x'],
      },
    });
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('TEMPLATE_PARAMS_INVALID');
    expect(res.json.error.details[0].path).toMatch(/^template\.body\[1\]\.currency/);
    expect(h.embedded.sandbox.sent()).toHaveLength(before);
  });
});
