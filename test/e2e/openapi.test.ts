/**
 * The API reference tells the truth: every route documents its real success status and its
 * error answers with the shared Error schema, the events are there as webhooks, and real
 * answers validate against the published document (not against the zod schemas behind it,
 * which the document could have drifted from).
 */
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EVENT_TYPES, eventComponentName } from '../../src/engine/events/schemas';
import { EMILIA, type Harness, REMINDER, startHarness } from '../support/harness';

type Operation = { responses: Record<string, { description: string; content?: Record<string, any> }> };
type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
  webhooks: Record<string, { post: any }>;
};

/** The success statuses of the routes this suite knows; any other route needs at least one. */
const SUCCESS: Record<string, string[]> = {
  'post /v1/messages': ['200', '202'],
  'get /v1/messages': ['200'],
  'get /v1/messages/{id}': ['200'],
  'get /v1/contacts/{contact}/window': ['200'],
  'get /v1/templates': ['200'],
  'get /v1/templates/{name}/{language}': ['200'],
  'post /v1/templates/diff': ['200'],
  'post /v1/templates/push': ['200'],
  'post /v1/templates/pull': ['200'],
  'post /v1/templates/preview': ['200'],
  'post /v1/webhook-endpoints': ['201'],
  'get /v1/webhook-endpoints': ['200'],
  'delete /v1/webhook-endpoints/{id}': ['204'],
  'post /v1/api-keys': ['201'],
  'get /v1/api-keys': ['200'],
  'delete /v1/api-keys/{id}': ['204'],
  'post /v1/api-keys/{id}/rotate': ['201'],
};

const ERROR_REF = '#/components/schemas/Error';

describe('OpenAPI document', () => {
  let h: Harness;
  let doc: Doc;
  beforeAll(async () => {
    h = await startHarness('sqlite');
    const res = await request(`${h.url}/docs/json`);
    expect(res.statusCode).toBe(200);
    doc = (await res.body.json()) as Doc;
  });
  afterAll(() => h.close());

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ key: `${method} ${path}`, op })),
    );

  /** The schema the document publishes for one answer, as a validator. */
  function documented(key: string, status: number) {
    const [method, path] = key.split(' ') as [string, string];
    const schema =
      doc.paths[path]?.[method]?.responses[String(status)]?.content?.['application/json']?.schema;
    expect(schema, `${key} documents ${status}`).toBeDefined();
    // Components become $defs so that the validator resolves the document's own references.
    const text = JSON.stringify({ ...schema, $defs: doc.components.schemas }).replaceAll(
      '#/components/schemas/',
      '#/$defs/',
    );
    return z.fromJSONSchema(JSON.parse(text), { defaultTarget: 'draft-2020-12' });
  }

  async function expectDocumented(key: string, res: { status: number; json: unknown }) {
    const result = documented(key, res.status).safeParse(res.json);
    expect(result.error, `${key} → ${res.status}: ${JSON.stringify(res.json)}`).toBeUndefined();
  }

  it('is OpenAPI 3.1 with the named Error, Message and event schemas', () => {
    expect(doc.openapi).toBe('3.1.0');
    for (const name of ['Error', 'Message', 'MessageWithTimeline', 'MessageList', 'Template', 'Window']) {
      expect(doc.components.schemas, name).toHaveProperty(name);
    }
    expect(Object.keys(doc.components.schemas).filter((n) => n.endsWith('Input'))).toEqual([]);
  });

  it('documents every route with its real success statuses', () => {
    for (const [key, codes] of Object.entries(SUCCESS)) {
      const [method, path] = key.split(' ') as [string, string];
      const op = doc.paths[path]?.[method];
      expect(op, `${key} is documented`).toBeDefined();
      const success = Object.keys(op!.responses).filter((s) => s.startsWith('2'));
      expect(success.sort(), key).toEqual(codes);
    }
    for (const { key, op } of operations()) {
      const success = Object.entries(op.responses).filter(([s]) => s.startsWith('2'));
      expect(success.length, `${key} documents a success answer`).toBeGreaterThan(0);
      for (const [status, r] of success) {
        expect(r.description, `${key} ${status}`).not.toBe('Default Response');
        if (status !== '204') expect(r.content, `${key} ${status} has a body schema`).toBeDefined();
      }
    }
  });

  it('documents the error answers of every route with the shared Error schema', () => {
    for (const { key, op } of operations()) {
      const errors = Object.entries(op.responses).filter(([s]) => Number(s) >= 400);
      const statuses = errors.map(([s]) => s);
      expect(statuses, key).toEqual(expect.arrayContaining(['401', '403', '500', '503']));
      for (const [status, r] of errors) {
        expect(r.content?.['application/json']?.schema, `${key} ${status}`).toEqual({ $ref: ERROR_REF });
        expect(r.description, `${key} ${status} names its codes`).toMatch(/`[A-Z_]+`/);
      }
    }
    const send = doc.paths['/v1/messages']!.post!.responses;
    expect(Object.keys(send)).toEqual(expect.arrayContaining(['400', '409', '413', '422']));
    expect(send['409']!.description).toContain('WINDOW_CLOSED');
    expect(doc.paths['/v1/templates/{name}/{language}']!.get!.responses['404']!.description).toContain(
      'TEMPLATE_NOT_FOUND',
    );
  });

  it('lists every event as a webhook with its payload schema', () => {
    expect(Object.keys(doc.webhooks).sort()).toEqual([...EVENT_TYPES].sort());
    for (const type of EVENT_TYPES) {
      const ref = doc.webhooks[type]!.post.requestBody.content['application/json'].schema.$ref;
      expect(ref).toBe(`#/components/schemas/${eventComponentName(type)}`);
      expect(doc.components.schemas).toHaveProperty(eventComponentName(type));
    }
  });

  it('describes what the routes really answer', async () => {
    const queued = await h.api('POST', '/v1/messages', REMINDER, { 'idempotency-key': 'openapi-1' });
    expect(queued.status).toBe(202);
    await expectDocumented('post /v1/messages', queued);
    // The validator is not lenient: an undocumented field or a wrong type is caught.
    expect(documented('post /v1/messages', 202).safeParse({ ...queued.json, surprise: 1 }).success).toBe(
      false,
    );
    expect(documented('post /v1/messages', 202).safeParse({ ...queued.json, attempts: '0' }).success).toBe(
      false,
    );
    const replay = await h.api('POST', '/v1/messages', REMINDER, { 'idempotency-key': 'openapi-1' });
    expect(replay.status).toBe(200);
    await expectDocumented('post /v1/messages', replay);

    await h.waitFor('delivered', async () => {
      const m = await h.api('GET', `/v1/messages/${queued.json.id}`);
      return m.json.status === 'read' || m.json.status === 'delivered';
    });
    await expectDocumented('get /v1/messages/{id}', await h.api('GET', `/v1/messages/${queued.json.id}`));
    await expectDocumented('get /v1/messages', await h.api('GET', '/v1/messages?limit=1'));
    await expectDocumented(
      'get /v1/contacts/{contact}/window',
      await h.api('GET', `/v1/contacts/${encodeURIComponent(EMILIA.phone)}/window`),
    );
    await expectDocumented('get /v1/templates', await h.api('GET', '/v1/templates'));
    await expectDocumented(
      'get /v1/templates/{name}/{language}',
      await h.api('GET', '/v1/templates/appointment_reminder/es_AR'),
    );
    await expectDocumented(
      'post /v1/templates/preview',
      await h.api('POST', '/v1/templates/preview', { name: 'appointment_reminder', language: 'es_AR' }),
    );

    // Answers are not stripped as they leave: the document must hold every field they carry.
    const templates = readFileSync('examples/saludcenter.templates.yaml', 'utf8');
    await expectDocumented(
      'post /v1/templates/diff',
      await h.api('POST', '/v1/templates/diff', { file: templates }),
    );
    await expectDocumented(
      'post /v1/templates/push',
      await h.api('POST', '/v1/templates/push', { file: templates, dry_run: true }),
    );
    await expectDocumented('post /v1/templates/pull', await h.api('POST', '/v1/templates/pull'));
    const endpoint = await h.api('POST', '/v1/webhook-endpoints', {
      url: 'http://127.0.0.1:9/bot',
      events: ['*'],
    });
    expect(endpoint.status).toBe(201);
    await expectDocumented('post /v1/webhook-endpoints', endpoint);
    await expectDocumented('get /v1/webhook-endpoints', await h.api('GET', '/v1/webhook-endpoints'));
    const gone = await h.api('DELETE', `/v1/webhook-endpoints/${endpoint.json.id}`);
    expect(gone.status).toBe(204);
    const key = await h.api('POST', '/v1/api-keys', { name: 'openapi', role: 'viewer' });
    expect(key.status).toBe(201);
    await expectDocumented('post /v1/api-keys', key);
    await expectDocumented('get /v1/api-keys', await h.api('GET', '/v1/api-keys'));

    // Errors, each with the status the document gives it.
    const closed = await h.api('POST', '/v1/messages', { to: '+1 650 555 0100', text: { body: 'hola' } });
    expect(closed.status).toBe(409);
    await expectDocumented('post /v1/messages', closed);
    const invalid = await h.api('POST', '/v1/messages', { to: '' });
    expect(invalid.status).toBe(400);
    await expectDocumented('post /v1/messages', invalid);
    const missing = await h.api('GET', '/v1/templates/appointment_reminder/xx_XX');
    expect(missing.status).toBe(404);
    await expectDocumented('get /v1/templates/{name}/{language}', missing);
    const anonymous = await request(`${h.url}/v1/messages`);
    expect(anonymous.statusCode).toBe(401);
    await expectDocumented('get /v1/messages', { status: 401, json: await anonymous.body.json() });
  });
});
