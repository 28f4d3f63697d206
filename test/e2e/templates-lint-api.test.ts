/**
 * POST /v1/templates/lint gives the CLI's findings (plus where in the text), for a draft or a
 * file, to any role; GET /v1/templates/{name}/{language}/history lists what Meta changed about a
 * template (review with its reason, quality, category) from the stored events, page by page.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { lintFiles } from '../../src/cli/templates-lint';
import { type Harness, startHarness } from '../support/harness';
import { expectDocumented, type OpenApiDoc } from '../support/openapi';
import { DIALECTS } from '../support/stores';

const FILE = 'examples/saludcenter.templates.yaml';

/** A draft with several problems the linter names, each at a place in the body. */
const DRAFT = {
  name: 'turno_cambio',
  language: 'es_AR',
  category: 'UTILITY',
  components: [
    { type: 'BODY', text: '{{1}} tu turno cambió al {{2}}{{3}}. ¿Te queda bien?' },
    { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Sí' }] },
  ],
};

describe.each(DIALECTS)('templates lint and history API on %s', (dialect) => {
  let h: Harness;
  let viewer: string;
  let doc: OpenApiDoc;
  beforeAll(async () => {
    h = await startHarness(dialect);
    viewer = (await h.app.apiKeys.create('web', 'viewer')).key;
    doc = (await (await request(`${h.url}/docs/json`)).body.json()) as OpenApiDoc;
  });
  afterAll(() => h.close());

  const asViewer = () => ({ authorization: `Bearer ${viewer}` });
  const waba = () => h.embedded.whatsapp.wabaId;

  it('lints a draft for a viewer: rule, severity, field, fix and where in the text', async () => {
    const res = await h.api('POST', '/v1/templates/lint', { templates: [DRAFT] }, asViewer());
    expect(res.status).toBe(200);
    expectDocumented(doc, 'post /v1/templates/lint', res);
    expect(res.json).toMatchObject({ file: 'request', source: 'recontact', templates: 1 });
    const byRule = Object.fromEntries(res.json.findings.map((f: any) => [f.rule, f]));
    const text = DRAFT.components[0]!.text!;
    expect(byRule['variable-edge']).toMatchObject({
      severity: 'error',
      template: 'turno_cambio (es_AR)',
      path: 'components[0].text',
      component: 'BODY',
      metaCode: 2388299,
      location: { start: 0, end: 5, text: '{{1}}' },
    });
    expect(byRule['variable-adjacent'].location).toEqual({
      start: text.indexOf('{{2}}'),
      end: text.indexOf('{{3}}') + 5,
      text: '{{2}}{{3}}',
    });
    // No example for three variables: a finding about the component, with no place in the text.
    expect(byRule['example-missing']).toMatchObject({
      path: 'components[0].example.body_text',
      component: 'BODY',
    });
    expect(byRule['example-missing'].location).toBeUndefined();
    expect(res.json.errors).toBe(res.json.findings.filter((f: any) => f.severity === 'error').length);
    expect(res.json.warnings).toBe(res.json.findings.filter((f: any) => f.severity === 'warning').length);
  });

  it('gives the same findings as `recontact templates lint` for the same file', async () => {
    const text = [
      'templates:',
      '  - name: Recordatorio',
      '    language: es_XX',
      '    category: UTILITY',
      '    components:',
      '      - type: BODY',
      `        text: "${'Hola {{1}}, '.repeat(3)}${'x'.repeat(1_010)} ¿Confirmás?"`,
      '      - type: FOOTER',
      '        text: "Tu descuento del {{1}}"',
    ].join('\n');
    const cli = await lintFiles(['bot.yaml'], { readFile: async () => text });
    const res = await h.api('POST', '/v1/templates/lint', { file: text, file_name: 'bot.yaml' });
    expect(res.status).toBe(200);
    expect(res.json.file).toBe('bot.yaml');
    expect(res.json.findings.map(({ location: _, ...f }: any) => f)).toEqual(cli.files[0]!.findings);
    expect(res.json.errors).toBe(cli.errors);
    expect(res.json.warnings).toBe(cli.warnings);
    // The body is over 1,024 characters: the location is the part past the limit.
    const long = res.json.findings.find((f: any) => f.rule === 'body-max-length');
    expect(long.location.start).toBe(1_024);
    expect(long.location.text).toMatch(/ ¿Confirmás\?$/);
    // A promotional word in a UTILITY template is found in the footer, in any case.
    const footer = res.json.findings.find((f: any) => f.path === 'components[1].text' && f.location);
    expect(footer.location.text.toLowerCase()).toMatch(/descuento|\{\{1\}\}/);
  });

  it('is clean for the example file, and a Messenger page adds its own rules', async () => {
    const file = readFileSync(FILE, 'utf8');
    const clean = await h.api('POST', '/v1/templates/lint', { file, file_name: FILE });
    expect(clean.status).toBe(200);
    expect(clean.json).toMatchObject({ templates: parse(file).templates.length, errors: 0 });
    const page = await h.api('POST', '/v1/templates/lint', { file, file_name: FILE, channel: 'messenger' });
    expect(page.json.findings.map((f: any) => f.rule)).toContain('messenger-category-utility');
  });

  it('refuses what it cannot read: no templates, a file that does not parse, an unknown channel', async () => {
    const none = await h.api('POST', '/v1/templates/lint', {});
    expect(none.status).toBe(400);
    expect(none.json.error.details[0]).toMatchObject({ path: 'body.file' });
    const broken = await h.api('POST', '/v1/templates/lint', {
      file: 'templates:\n  - name: x\n    text: {{1}} hola\n',
      file_name: 'draft.yaml',
    });
    expect(broken.status).toBe(422);
    expectDocumented(doc, 'post /v1/templates/lint', broken);
    expect(broken.json.error.code).toBe('TEMPLATE_INVALID');
    expect(broken.json.error.message).toMatch(/^draft\.yaml:3:\d+: invalid YAML/);
    const channel = await h.api('POST', '/v1/templates/lint', { templates: [DRAFT], channel: 'sms' });
    expect(channel.status).toBe(400);
    expect(channel.json.error.details[0].path).toBe('body.channel');
  });

  it('lists a template’s history: pushed, rejected with its reason, quality and pause, in pages', async () => {
    const def = {
      name: 'promo_traslado',
      language: 'es_AR',
      category: 'UTILITY',
      components: [
        {
          type: 'BODY',
          text: 'Hola {{1}}, tenés un descuento en taxis para tu próximo turno. ¿Querés que te lo enviemos?',
          example: { body_text: [['Emilia']] },
        },
        { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Sí, quiero' }] },
      ],
    };
    const pushed = await h.api('POST', '/v1/templates/push', { templates: [def] });
    expect(pushed.status, JSON.stringify(pushed.json)).toBe(200);
    const path = '/v1/templates/promo_traslado/es_AR/history';
    const rejected = await h.waitFor('the review in the history', async () => {
      const res = await h.api('GET', path, undefined, asViewer());
      return res.json.data?.length > 0 && res;
    });
    expect(rejected.status).toBe(200);
    expectDocumented(doc, `get /v1/templates/{name}/{language}/history`, rejected);
    expect(rejected.json.template).toMatchObject({
      name: 'promo_traslado',
      status: 'REJECTED',
      rejected_reason: 'INCORRECT_CATEGORY',
    });
    expect(rejected.json.data).toEqual([
      expect.objectContaining({
        change: 'status',
        from: 'PENDING',
        to: 'REJECTED',
        reason: 'INCORRECT_CATEGORY',
      }),
    ]);

    // Meta rates its quality, then pauses it: both are listed after the review, in order.
    await templateWebhook(h, 'message_template_quality_update', {
      previous_quality_score: 'UNKNOWN',
      new_quality_score: 'RED',
      message_template_name: 'promo_traslado',
    });
    h.embedded.sandbox.setTemplateStatus(waba(), 'promo_traslado', 'es_AR', 'PAUSED');
    const all = await h.waitFor('three entries', async () => {
      const res = await h.api('GET', path);
      return res.json.data.length === 3 && res.json;
    });
    expect(all.data.map((e: any) => [e.change, e.from, e.to])).toEqual([
      ['status', 'PENDING', 'REJECTED'],
      ['quality', 'UNKNOWN', 'RED'],
      ['status', 'REJECTED', 'PAUSED'],
    ]);
    expect(all.data[2].reason).toBeNull();
    expect(all.has_more).toBe(false);

    // Page by page: one entry, then the rest after its position.
    const first = await h.api('GET', `${path}?limit=1`);
    expect(first.json.data).toHaveLength(1);
    expect(first.json.has_more).toBe(true);
    const rest = await h.api('GET', `${path}?after=${first.json.next_after}`);
    expect(rest.json.data.map((e: any) => e.to)).toEqual(['RED', 'PAUSED']);

    // Another template's events are not in it.
    const other = await h.api('GET', '/v1/templates/appointment_reminder/es_AR/history');
    expect(other.json.data).toEqual([]);
  });

  it('answers 404 for a template it does not know, naming the languages it has', async () => {
    const res = await h.api('GET', '/v1/templates/appointment_reminder/en_US/history');
    expect(res.status).toBe(404);
    expectDocumented(doc, 'get /v1/templates/{name}/{language}/history', res);
    expect(res.json.error.code).toBe('TEMPLATE_NOT_FOUND');
    expect(res.json.error.details).toEqual([{ path: 'language', message: 'it exists in: es_AR' }]);
  });
});

/** A template webhook from Meta, signed as Meta signs it, for what the sandbox cannot trigger. */
async function templateWebhook(h: Harness, field: string, value: Record<string, unknown>): Promise<void> {
  const waba = h.embedded.whatsapp.wabaId;
  const tpl = h.embedded.sandbox.templates(waba).find((t) => t.name === value.message_template_name)!;
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: waba,
        time: Math.floor(Date.now() / 1000),
        changes: [
          {
            field,
            value: { ...value, message_template_id: Number(tpl.id), message_template_language: tpl.language },
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
}
