/**
 * The /v1/templates surface: precise refusals (bad request, unparsable file, lint errors, Meta's
 * refusal of an edit), roles, the OpenAPI document, and pull bringing Meta's state in.
 */
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

const FILE = 'examples/saludcenter.templates.yaml';
const TEXT = readFileSync(FILE, 'utf8');

describe.each(DIALECTS)('templates API on %s', (dialect) => {
  let h: Harness;
  let viewer: string;
  beforeAll(async () => {
    h = await startHarness(dialect);
    viewer = (await h.app.apiKeys.create('dashboard', 'viewer')).key;
  });
  afterAll(() => h.close());

  const waba = () => h.embedded.whatsapp.wabaId;
  const asViewer = () => ({ authorization: `Bearer ${viewer}` });
  /** Calls the sandbox's Graph API directly, as someone using Meta's UI would change things. */
  const graph = async (method: 'POST' | 'DELETE', path: string, body?: unknown) => {
    const w = h.embedded.whatsapp;
    const res = await request(`${w.baseUrl}/${w.graphVersion}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${w.accessToken}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return res.body.json() as Promise<any>;
  };

  it('asks for exactly one of file or templates, naming the field', async () => {
    const none = await h.api('POST', '/v1/templates/diff', {});
    expect(none.status).toBe(400);
    expect(none.json.error.details).toEqual([
      {
        path: 'body.file',
        message:
          'give the templates as `file` (the file text) or as `templates` (a list of template objects)',
      },
    ]);
    const both = await h.api('POST', '/v1/templates/diff', { file: TEXT, templates: [{}] });
    expect(both.json.error.details[0]).toMatchObject({ path: 'body.templates' });
  });

  it('refuses a file that does not parse, with its name, line and column', async () => {
    const res = await h.api('POST', '/v1/templates/diff', {
      file: 'templates:\n  - name: x\n    text: {{1}} hola\n',
      file_name: 'bot/templates.yaml',
    });
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('TEMPLATE_INVALID');
    expect(res.json.error.message).toMatch(/^bot\/templates\.yaml:3:\d+: invalid YAML/);
    expect(res.json.error.hint).toMatch(/quote the text on line 3/);
  });

  it('refuses to push a template with lint errors, listing the findings; Meta sees nothing', async () => {
    const before = h.embedded.sandbox.templates(waba()).length;
    const res = await h.api('POST', '/v1/templates/push', {
      templates: [
        {
          name: 'Recordatorio Turno',
          language: 'es_AR',
          category: 'UTILITY',
          components: [{ type: 'BODY', text: 'Hola, tu turno es el {{1}}' }],
        },
      ],
    });
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('TEMPLATE_INVALID');
    expect(res.json.error.message).toMatch(
      /^request: \d+ errors found by the linter; nothing was sent to Meta$/,
    );
    const rules = res.json.error.data.findings.map((f: any) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(['name-charset', 'variable-edge', 'example-missing']));
    expect(res.json.error.details[0].path).toMatch(/^Recordatorio Turno \(es_AR\)/);
    expect(res.json.error.details[0].message).toMatch(/; fix: /);
    expect(h.embedded.sandbox.templates(waba())).toHaveLength(before);
  });

  it("reports Meta's refusal of an edit per template and keeps the stored template as it was", async () => {
    // In review at Meta: the sandbox, like Meta, refuses to edit it.
    h.embedded.sandbox.setTemplateStatus(waba(), 'appointment_reminder', 'es_AR', 'PENDING');
    await h.waitFor('PENDING here', async () => {
      const r = await h.api('GET', '/v1/templates/appointment_reminder/es_AR');
      return r.json.status === 'PENDING';
    });
    const edited = TEXT.replace('te recordamos tu turno', 'te recordamos tu cita');
    const res = await h.api('POST', '/v1/templates/push', { file: edited, file_name: FILE });
    expect(res.status).toBe(200);
    expect(res.json.ok).toBe(false);
    expect(res.json.summary).toMatchObject({ failed: 1, unchanged: 2 });
    const failed = res.json.results.find((r: any) => r.outcome === 'failed');
    expect(failed.error).toMatchObject({
      code: 'PROVIDER_ERROR',
      message: "Meta refused to edit appointment_reminder (es_AR): Template can't be edited",
      details: [
        { path: 'appointment_reminder (es_AR)', message: 'A template that is in review cannot be edited.' },
      ],
      data: { meta_code: 100, http_status: 400 },
    });
    expect(failed.error.hint).toMatch(/in review/);
    const row = await h.api('GET', '/v1/templates/appointment_reminder/es_AR');
    expect(row.json.status).toBe('PENDING');
    expect(row.json.components[0].text).toContain('tu turno');

    h.embedded.sandbox.setTemplateStatus(waba(), 'appointment_reminder', 'es_AR', 'APPROVED');
    await h.waitFor('APPROVED again', async () => {
      const r = await h.api('GET', '/v1/templates/appointment_reminder/es_AR');
      return r.json.status === 'APPROVED';
    });
  });

  it('does a dry run without calling Meta for changes or storing anything', async () => {
    const file = TEXT.replace('appointment_reminder', 'appointment_reminder_v2');
    const res = await h.api('POST', '/v1/templates/push', { file, file_name: FILE, dry_run: true });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ dry_run: true, results: [], ok: true });
    expect(res.json.plan.counts).toEqual({ create: 1, update: 0, unchanged: 2, only_at_meta: 1 });
    expect(h.embedded.sandbox.templates(waba()).some((t) => t.name === 'appointment_reminder_v2')).toBe(
      false,
    );
    const missing = await h.api('GET', '/v1/templates/appointment_reminder_v2/es_AR');
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatchObject({ code: 'TEMPLATE_NOT_FOUND' });
  });

  it('names the languages a template exists in when the language misses', async () => {
    const res = await h.api('GET', '/v1/templates/appointment_reminder/es');
    expect(res.json.error.code).toBe('TEMPLATE_NOT_FOUND');
    expect(res.json.error.details).toEqual([{ path: 'language', message: 'it exists in: es_AR' }]);
  });

  it('lets a viewer list, diff and preview, but not push or pull', async () => {
    const list = await h.api('GET', '/v1/templates', undefined, asViewer());
    expect(list.status, JSON.stringify(list.json)).toBe(200);
    expect((await h.api('POST', '/v1/templates/diff', { file: TEXT }, asViewer())).status).toBe(200);
    const preview = { name: 'appointment_reminder', language: 'es_AR' };
    expect((await h.api('POST', '/v1/templates/preview', preview, asViewer())).status).toBe(200);
    for (const path of ['/v1/templates/push', '/v1/templates/pull']) {
      const res = await h.api('POST', path, path.endsWith('push') ? { file: TEXT } : undefined, asViewer());
      expect(res.status).toBe(403);
      expect(res.json.error.message).toBe('This needs the "admin" role; the key "dashboard" is "viewer"');
    }
  });

  it('documents every template route under the templates tag', async () => {
    const res = await request(`${h.url}/docs/json`);
    const doc = (await res.body.json()) as any;
    const routes = [
      ['get', '/v1/templates'],
      ['get', '/v1/templates/{name}/{language}'],
      ['post', '/v1/templates/diff'],
      ['post', '/v1/templates/push'],
      ['post', '/v1/templates/pull'],
      ['post', '/v1/templates/preview'],
    ];
    for (const [method, path] of routes)
      expect(doc.paths[path!]?.[method!]?.tags, path).toEqual(['templates']);
    expect(
      doc.paths['/v1/templates/push'].post.requestBody.content['application/json'].schema.properties,
    ).toHaveProperty('dry_run');
    expect(doc.components?.schemas ?? {}).toBeDefined();
  });

  it("pulls Meta's state: counts, changes, additions, and marks vanished templates DELETED", async () => {
    const first = await h.api('POST', '/v1/templates/pull');
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ added: 0, changed: 0, deleted: 0, at_meta: 3, unchanged: 3 });

    // Drift: our row says PAUSED while Meta says APPROVED; a template is made and one deleted at Meta.
    await h.store.db
      .updateTable('templates')
      .set({ status: 'PAUSED' })
      .where('name', '=', 'resume_conversation')
      .execute();
    const created = await graph('POST', `/${waba()}/message_templates`, {
      name: 'aviso_feriado',
      language: 'es_AR',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'El lunes la clínica está cerrada. ¿Querés reprogramar tu turno?' }],
    });
    expect(created.status).toBe('PENDING');
    expect(await graph('DELETE', `/${waba()}/message_templates?name=taxi_discount`)).toEqual({
      success: true,
    });

    const res = await h.api('POST', '/v1/templates/pull');
    expect(res.json).toMatchObject({ at_meta: 3, added: 1, changed: 1, unchanged: 1, deleted: 1 });
    expect(res.json.changes).toEqual(
      expect.arrayContaining([
        // The harness's sandbox reviews a template within 20 ms: a busy machine may pull it approved.
        expect.objectContaining({
          name: 'aviso_feriado',
          change: 'added',
          status: expect.stringMatching(/^(PENDING|APPROVED)$/),
        }),
        expect.objectContaining({
          name: 'resume_conversation',
          change: 'changed',
          fields: ['status'],
          status: 'APPROVED',
          previous_status: 'PAUSED',
        }),
        expect.objectContaining({ name: 'taxi_discount', change: 'deleted', previous_status: 'APPROVED' }),
      ]),
    );
    const list = (await h.api('GET', '/v1/templates')).json.data;
    expect(list.map((t: any) => [t.name, t.status])).toEqual([
      ['appointment_reminder', 'APPROVED'],
      ['aviso_feriado', expect.stringMatching(/PENDING|APPROVED/)],
      ['resume_conversation', 'APPROVED'],
      ['taxi_discount', 'DELETED'],
    ]);
    expect(list[0]).toMatchObject({
      category: 'UTILITY',
      parameter_format: 'POSITIONAL',
      provider_template_id: expect.any(String),
      rejected_reason: null,
    });

    const again = await h.api('POST', '/v1/templates/pull');
    expect(again.json.deleted).toBe(0);
  });
});
