/**
 * The API reference documents the contact book and audience routes truthfully: each with its
 * real success statuses and its error codes under the shared Error schema, and real answers
 * (a contact, a page, a detail, an erasure, previews, audiences, errors) validate against the
 * published document rather than against the zod schemas behind it.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type Harness, startHarness } from '../support/harness';

type Operation = { responses: Record<string, { description: string; content?: Record<string, any> }> };
type Doc = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
};

const ROUTES: Record<string, { success: string[]; errors: Record<string, string> }> = {
  'get /v1/contacts': { success: ['200'], errors: { '400': 'INPUT_INVALID' } },
  'get /v1/contacts/{contact}': {
    success: ['200'],
    errors: { '404': 'CONTACT_NOT_FOUND', '422': 'PHONE_INVALID' },
  },
  'put /v1/contacts/{contact}': {
    success: ['200', '201'],
    errors: { '400': 'INPUT_INVALID', '413': 'BODY_TOO_LARGE' },
  },
  'patch /v1/contacts/{contact}': { success: ['200'], errors: { '404': 'CONTACT_NOT_FOUND' } },
  'delete /v1/contacts/{contact}': { success: ['200'], errors: { '404': 'CONTACT_NOT_FOUND' } },
  'post /v1/audiences/preview': { success: ['200'], errors: { '400': 'INPUT_INVALID' } },
  'post /v1/audiences': { success: ['201'], errors: { '409': 'AUDIENCE_NAME_TAKEN' } },
  'get /v1/audiences': { success: ['200'], errors: {} },
  'get /v1/audiences/{id}': { success: ['200'], errors: { '404': 'AUDIENCE_NOT_FOUND' } },
  'put /v1/audiences/{id}': {
    success: ['200'],
    errors: { '404': 'AUDIENCE_NOT_FOUND', '409': 'AUDIENCE_NAME_TAKEN' },
  },
  'delete /v1/audiences/{id}': { success: ['204'], errors: { '404': 'AUDIENCE_NOT_FOUND' } },
  'post /v1/audiences/{id}/preview': { success: ['200'], errors: { '404': 'AUDIENCE_NOT_FOUND' } },
};

describe('OpenAPI: contacts and audiences', () => {
  let h: Harness;
  let doc: Doc;
  beforeAll(async () => {
    h = await startHarness('sqlite');
    doc = (await (await request(`${h.url}/docs/json`)).body.json()) as Doc;
  });
  afterAll(() => h.close());

  function validator(key: string, status: number) {
    const [method, path] = key.split(' ') as [string, string];
    const schema =
      doc.paths[path]?.[method]?.responses[String(status)]?.content?.['application/json']?.schema;
    expect(schema, `${key} documents ${status}`).toBeDefined();
    const text = JSON.stringify({ ...schema, $defs: doc.components.schemas }).replaceAll(
      '#/components/schemas/',
      '#/$defs/',
    );
    return z.fromJSONSchema(JSON.parse(text), { defaultTarget: 'draft-2020-12' });
  }
  function expectDocumented(key: string, res: { status: number; json: unknown }) {
    const result = validator(key, res.status).safeParse(res.json);
    expect(result.error, `${key} → ${res.status}: ${JSON.stringify(res.json)}`).toBeUndefined();
  }

  it('documents every route with its success statuses and its error codes', () => {
    for (const [key, spec] of Object.entries(ROUTES)) {
      const [method, path] = key.split(' ') as [string, string];
      const op = doc.paths[path]?.[method];
      expect(op, `${key} is documented`).toBeDefined();
      expect(
        Object.keys(op!.responses)
          .filter((s) => s.startsWith('2'))
          .sort(),
        key,
      ).toEqual(spec.success);
      for (const [status, code] of Object.entries(spec.errors)) {
        expect(op!.responses[status]?.description, `${key} ${status}`).toContain(code);
      }
      expect(Object.keys(op!.responses), key).toEqual(expect.arrayContaining(['401', '403', '500', '503']));
    }
    for (const name of [
      'Contact',
      'ContactDetail',
      'ContactList',
      'ContactErasure',
      'Audience',
      'AudiencePreview',
    ]) {
      expect(doc.components.schemas, name).toHaveProperty(name);
    }
  });

  it('gives answers that validate against the published document', async () => {
    const created = await h.api('PUT', '/v1/contacts/%2B5493415550001', {
      name: 'Ana',
      tags: ['vip'],
      attributes: { city: 'Rosario', points: 3, member: true },
    });
    expectDocumented('put /v1/contacts/{contact}', created);
    expectDocumented(
      'put /v1/contacts/{contact}',
      await h.api('PUT', `/v1/contacts/${created.json.id}`, { name: 'Ana' }),
    );
    expectDocumented(
      'put /v1/contacts/{contact}',
      await h.api('PUT', '/v1/contacts/%2B5493415550001', { tags: 'no' }),
    );
    expectDocumented(
      'patch /v1/contacts/{contact}',
      await h.api('PATCH', `/v1/contacts/${created.json.id}`, { add_tags: ['x'] }),
    );
    expectDocumented('get /v1/contacts/{contact}', await h.api('GET', `/v1/contacts/${created.json.id}`));
    expectDocumented('get /v1/contacts/{contact}', await h.api('GET', '/v1/contacts/%2B54%2012'));
    expectDocumented('get /v1/contacts', await h.api('GET', '/v1/contacts?tag=x&limit=1'));
    expectDocumented('get /v1/contacts', await h.api('GET', '/v1/contacts?attr=bad'));
    expectDocumented(
      'post /v1/audiences/preview',
      await h.api('POST', '/v1/audiences/preview', { all: true, needs: ['name'] }),
    );
    expectDocumented(
      'post /v1/audiences/preview',
      await h.api('POST', '/v1/audiences/preview', { filter: { window: 'x' } }),
    );
    const saved = await h.api('POST', '/v1/audiences', {
      name: 'VIP',
      definition: { filter: { tags: { all: ['vip'] } } },
    });
    expectDocumented('post /v1/audiences', saved);
    expectDocumented(
      'post /v1/audiences',
      await h.api('POST', '/v1/audiences', { name: 'VIP', definition: { all: true } }),
    );
    expectDocumented('get /v1/audiences', await h.api('GET', '/v1/audiences'));
    expectDocumented('get /v1/audiences/{id}', await h.api('GET', `/v1/audiences/${saved.json.id}`));
    expectDocumented(
      'put /v1/audiences/{id}',
      await h.api('PUT', `/v1/audiences/${saved.json.id}`, { name: 'V', definition: { all: true } }),
    );
    expectDocumented(
      'post /v1/audiences/{id}/preview',
      await h.api('POST', `/v1/audiences/${saved.json.id}/preview`),
    );
    expectDocumented('get /v1/audiences/{id}', await h.api('GET', '/v1/audiences/aud_nope'));
    expectDocumented(
      'delete /v1/contacts/{contact}',
      await h.api('DELETE', `/v1/contacts/${created.json.id}`),
    );
    expectDocumented(
      'delete /v1/contacts/{contact}',
      await h.api('DELETE', `/v1/contacts/${created.json.id}`),
    );
    expect((await h.api('DELETE', `/v1/audiences/${saved.json.id}`)).status).toBe(204);
  });

  it('does not let PUT /v1/contacts/{contact} swallow the import route', async () => {
    const [method, path] = ['post', '/v1/contacts/{contact}'];
    expect(doc.paths[path]?.[method]).toBeUndefined();
    const res = await h.api('PUT', '/v1/contacts/import', { name: 'x' });
    // "import" is neither an id nor a phone: it is read as a phone and refused, never imported.
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('PHONE_INVALID');
  });
});
