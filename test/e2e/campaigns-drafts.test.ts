/**
 * Campaign drafts through the API: created (201, the view), read back the same, listed newest
 * first page by page, replaced while a draft and refused once launched. Every bad definition is
 * refused whole with each problem's path; a saved audience that does not exist is named. Other
 * accounts' campaigns are invisible. Every answer, errors included, validates against the
 * published OpenAPI document. On both databases.
 */

import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertCampaign, moveCampaign } from '../../src/store/campaigns-repo';
import { type ApiResponse, type Harness, startHarness } from '../support/harness';
import { expectDocumented } from '../support/openapi';
import { DIALECTS } from '../support/stores';

type Operation = { responses: Record<string, { description: string; content?: Record<string, any> }> };
type Doc = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
};

const NOW = Date.parse('2026-11-30T12:00:00Z');

const TAXI = {
  name: 'Descuento taxi',
  template: {
    name: 'taxi_discount',
    language: 'es_AR',
    header: { image: { link: 'https://cdn.saludcenter.example/taxi.jpg' } },
    body: [
      { field: 'first_name', default: 'cliente' },
      { attribute: 'discount', default: '10%' },
    ],
    buttons: [
      { payload: 'TAXI_YES' },
      { payload: 'STOP_PROMOS' },
      { url_suffix: 'taxi10' },
      { coupon_code: 'TAXI10' },
    ],
  },
  audience: { filter: { tags: { all: ['patient'] } } },
  schedule: { local_time: { time: '10:00', weekday: 'monday' }, quiet_hours: { from: '21:00', to: '09:00' } },
  category: 'MARKETING',
  metadata: { offer: 'taxi10', plan: { attribute: 'plan' } },
};

const ZERO_COUNTS = {
  recipients: 0,
  excluded: 0,
  pending: 0,
  queued: 0,
  sent: 0,
  delivered: 0,
  read: 0,
  replied: 0,
  failed: 0,
  expired: 0,
  accepted: 0,
  opted_out: 0,
  cancelled: 0,
};

/** "/v1/campaigns/cmp_…?x" → "/v1/campaigns/{id}", the documented path. */
function documentedPath(path: string): string {
  return path.split('?')[0]!.replace(/^\/v1\/campaigns\/[^/]+$/, '/v1/campaigns/{id}');
}

describe.each(DIALECTS)('campaign drafts on %s', (dialect) => {
  let h: Harness;
  let doc: Doc;
  let account: string;

  /** Every call's answer is checked against the published document. */
  async function api(method: string, path: string, body?: unknown, headers?: Record<string, string>) {
    const res = await h.api(method, path, body, headers);
    expectDocumented(doc, `${method.toLowerCase()} ${documentedPath(path)}`, res);
    return res;
  }
  const create = (body: unknown, query = '') => api('POST', `/v1/campaigns${query}`, body);
  const paths = (res: ApiResponse) => res.json.error.details.map((d: { path: string }) => d.path);

  beforeAll(async () => {
    // Campaigns are moved to running by hand here, with no recipients: the runner would complete
    // them at once, so it looks only once an hour.
    h = await startHarness(dialect, { clock: () => NOW, app: { campaignRunner: { pollMs: 3_600_000 } } });
    doc = (await (await request(`${h.url}/docs/json`)).body.json()) as Doc;
    account = h.app.accounts.all()[0]!.id;
  });
  afterAll(() => h.close());

  it('documents each route with its statuses and error codes', () => {
    const routes: Record<string, { success: string[]; errors: Record<string, string> }> = {
      'post /v1/campaigns': {
        success: ['201'],
        errors: { '400': 'INPUT_INVALID', '413': 'BODY_TOO_LARGE', '422': 'AUDIENCE_NOT_FOUND' },
      },
      'get /v1/campaigns': { success: ['200'], errors: { '400': 'INPUT_INVALID' } },
      'get /v1/campaigns/{id}': { success: ['200'], errors: { '404': 'CAMPAIGN_NOT_FOUND' } },
      'put /v1/campaigns/{id}': {
        success: ['200'],
        errors: {
          '400': 'INPUT_INVALID',
          '404': 'CAMPAIGN_NOT_FOUND',
          '409': 'CAMPAIGN_NOT_DRAFT',
          '422': 'AUDIENCE_NOT_FOUND',
        },
      },
    };
    for (const [key, spec] of Object.entries(routes)) {
      const [method, path] = key.split(' ') as [string, string];
      const op = doc.paths[path]?.[method];
      expect(op, `${key} is documented`).toBeDefined();
      expect(
        Object.keys(op!.responses).filter((s) => s.startsWith('2')),
        key,
      ).toEqual(spec.success);
      for (const [status, code] of Object.entries(spec.errors)) {
        expect(op!.responses[status]?.description, `${key} ${status}`).toContain(code);
      }
      expect(Object.keys(op!.responses), key).toEqual(expect.arrayContaining(['401', '403', '500', '503']));
    }
    for (const name of ['Campaign', 'CampaignSummary', 'CampaignList']) {
      expect(doc.components.schemas, name).toHaveProperty(name);
    }
  });

  it('creates a draft (201) and reads back the same view: the definition as written, counts at 0', async () => {
    const created = await create(TAXI);
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toEqual({
      id: expect.stringMatching(/^cmp_[0-9A-Z]{26}$/),
      account_id: account,
      name: 'Descuento taxi',
      state: 'draft',
      state_reason: null,
      definition: TAXI,
      template: {
        name: 'taxi_discount',
        variants: [
          {
            label: 'A',
            weight: 1,
            name: 'taxi_discount',
            language: 'es_AR',
            contact_language: false,
            status: 'APPROVED',
            category: 'MARKETING',
            languages: ['es_AR'],
          },
        ],
      },
      counts: ZERO_COUNTS,
      replies_by_payload: {},
      failures: [],
      excluded_by_reason: {},
      reply_rate: null,
      median_reply_seconds: null,
      variants: [
        {
          label: 'A',
          weight: 1,
          template: 'taxi_discount',
          recipients: 0,
          sent_or_later: 0,
          delivered_or_later: 0,
          read: 0,
          replied: 0,
          reply_rate: null,
        },
      ],
      cost: null,
      created_at: '2026-11-30T12:00:00.000Z',
      updated_at: '2026-11-30T12:00:00.000Z',
      launched_at: null,
      finished_at: null,
    });
    const read = await api('GET', `/v1/campaigns/${created.json.id}`);
    expect(read.status).toBe(200);
    expect(read.json).toEqual(created.json);
  });

  it('keeps a draft whose template Recontact does not know, and says so', async () => {
    const r = await create({
      ...TAXI,
      name: 'Not yet pushed',
      template: {
        name: 'spring_promo',
        language: { contact_language: true, fallback: 'es_AR' },
        body: ['hola'],
      },
    });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    expect(r.json.template.variants).toEqual([
      {
        label: 'A',
        weight: 1,
        name: 'spring_promo',
        language: 'es_AR',
        contact_language: true,
        status: null,
        category: null,
        languages: [],
      },
    ]);
  });

  it('shows each variant of an A/B split with its own template', async () => {
    const { template, ...rest } = TAXI;
    const r = await create({
      ...rest,
      name: 'A/B',
      variants: [
        { label: 'taxi', weight: 70, template },
        {
          weight: 30,
          template: { name: 'resume_conversation', language: 'es_AR', body: { first_name: 'x', topic: 'y' } },
        },
      ],
    });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    expect(r.json.template.name).toBe('taxi_discount');
    expect(r.json.template.variants).toMatchObject([
      { label: 'taxi', weight: 70, name: 'taxi_discount', status: 'APPROVED', category: 'MARKETING' },
      { label: 'B', weight: 30, name: 'resume_conversation', status: 'APPROVED', category: 'UTILITY' },
    ]);
  });

  it('refuses each kind of bad definition, naming every problem with its path', async () => {
    const cases: Array<[string, unknown, string[]]> = [
      ['missing name', { ...TAXI, name: undefined }, ['body.name']],
      ['unknown key', { ...TAXI, colour: 'blue' }, ['body.colour']],
      [
        'bad parameter source',
        { ...TAXI, template: { ...TAXI.template, body: [{ attr: 'first_name' }, 'x'] } },
        ['body.template.body[0].attr', 'body.template.body[0]'],
      ],
      [
        'attribute that is a contact field',
        { ...TAXI, template: { ...TAXI.template, body: [{ attribute: 'name' }, 'x'] } },
        ['body.template.body[0].attribute'],
      ],
      [
        'bad schedule',
        {
          ...TAXI,
          schedule: { local_time: { time: '25:00', weekday: 'monday' }, quiet_hours: { from: '9pm' } },
        },
        ['body.schedule.local_time.time', 'body.schedule.quiet_hours.from', 'body.schedule.quiet_hours.to'],
      ],
      [
        'expiry already past',
        { ...TAXI, schedule: { expires_at: '2026-11-30T11:59:00Z' } },
        ['body.schedule.expires_at'],
      ],
      ['no audience', { ...TAXI, audience: undefined }, ['body.audience']],
      ['two audiences', { ...TAXI, audience: { all: true, audience_id: 'aud_x' } }, ['body.audience']],
      [
        'several at once',
        { ...TAXI, name: '', pace: 5000, schedule: 'tomorrow', metadata: { campaign_id: 'x' } },
        ['body.name', 'body.schedule', 'body.pace', 'body.metadata.campaign_id'],
      ],
      ['account disagreeing with the query', { ...TAXI, account_id: 'acc_elsewhere' }, ['body.account_id']],
    ];
    for (const [what, body, expected] of cases) {
      const r = await create(body, what.startsWith('account') ? `?account_id=${account}` : '');
      expect(r.status, `${what}: ${JSON.stringify(r.json)}`).toBe(400);
      expect(r.json.error.code, what).toBe('INPUT_INVALID');
      expect([...paths(r)].sort(), what).toEqual([...expected].sort());
      for (const d of r.json.error.details) expect(d.message.length, what).toBeGreaterThan(10);
    }
    const notObject = await create([TAXI]);
    expect(notObject.status).toBe(400);
    expect(notObject.json.error.code).toBe('INPUT_INVALID');
    const list = await api('GET', '/v1/campaigns?limit=100');
    expect(list.json.data.map((c: { name: string }) => c.name)).not.toContain('');
  });

  it('checks that a saved audience exists on the account (422 AUDIENCE_NOT_FOUND)', async () => {
    const missing = await create({ ...TAXI, audience: { audience_id: 'aud_01JD2Q0000000000000000000Z' } });
    expect(missing.status).toBe(422);
    expect(missing.json.error.code).toBe('AUDIENCE_NOT_FOUND');
    expect(paths(missing)).toEqual(['body.audience.audience_id']);
    const saved = await api('POST', '/v1/audiences', { name: 'Patients', definition: TAXI.audience });
    expect(saved.status).toBe(201);
    const ok = await create({ ...TAXI, name: 'By saved audience', audience: { audience_id: saved.json.id } });
    expect(ok.status, JSON.stringify(ok.json)).toBe(201);
    expect(ok.json.definition.audience).toEqual({ audience_id: saved.json.id });
  });

  it('takes the account from the body when the query names none', async () => {
    const r = await create({ ...TAXI, name: 'Body account', account_id: account });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    expect(r.json.account_id).toBe(account);
    const unknown = await create({ ...TAXI, account_id: 'acc_nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('ACCOUNT_NOT_FOUND');
  });

  it('replaces a draft (PUT) and refuses once it is launched (409 CAMPAIGN_NOT_DRAFT)', async () => {
    const created = await create({ ...TAXI, name: 'To change' });
    const id = created.json.id;
    const changed = {
      ...TAXI,
      name: 'Changed',
      audience: { all: true },
      schedule: { at: '2026-12-01T13:00:00Z' },
    };
    const put = await api('PUT', `/v1/campaigns/${id}`, changed);
    expect(put.status, JSON.stringify(put.json)).toBe(200);
    expect(put.json).toMatchObject({ id, name: 'Changed', state: 'draft', definition: changed });
    expect((await api('GET', `/v1/campaigns/${id}`)).json).toEqual(put.json);

    const bad = await api('PUT', `/v1/campaigns/${id}`, { ...changed, template: undefined });
    expect(bad.status).toBe(400);
    expect(paths(bad)).toEqual(['body.template']);
    expect((await api('GET', `/v1/campaigns/${id}`)).json.name).toBe('Changed');

    expect(await moveCampaign(h.store.db, id, 'running', { now: NOW })).toBeDefined();
    for (const body of [changed, { nonsense: true }]) {
      const refused = await api('PUT', `/v1/campaigns/${id}`, body);
      expect(refused.status).toBe(409);
      expect(refused.json.error).toMatchObject({ code: 'CAMPAIGN_NOT_DRAFT', data: { state: 'running' } });
    }
    const launched = await api('GET', `/v1/campaigns/${id}`);
    expect(launched.json).toMatchObject({
      state: 'running',
      name: 'Changed',
      launched_at: '2026-11-30T12:00:00.000Z',
      counts: ZERO_COUNTS,
    });

    const unknown = await api('PUT', '/v1/campaigns/cmp_01JD2Q0000000000000000000Z', changed);
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('CAMPAIGN_NOT_FOUND');
  });

  it("answers 404 for an unknown id and for another account's campaign, which no list shows", async () => {
    const other = await insertCampaign(
      h.store.db,
      {
        id: 'cmp_01JD2Q0000000000000000000A',
        accountId: 'acc_other',
        name: 'Theirs',
        definition: TAXI,
        templateName: 'taxi_discount',
      },
      NOW,
    );
    for (const id of [other.id, 'cmp_01JD2Q0000000000000000000Z', 'nope']) {
      const r = await api('GET', `/v1/campaigns/${id}`);
      expect(r.status, id).toBe(404);
      expect(r.json.error.code).toBe('CAMPAIGN_NOT_FOUND');
    }
    const put = await api('PUT', `/v1/campaigns/${other.id}`, TAXI);
    expect(put.status).toBe(404);
    const list = await api('GET', '/v1/campaigns?limit=100');
    expect(list.json.data.map((c: { id: string }) => c.id)).not.toContain(other.id);
  });

  it('lists newest first, page by page, filtered by state, without definitions', async () => {
    for (let i = 0; i < 5; i++) expect((await create({ ...TAXI, name: `Page ${i}` })).status).toBe(201);
    const all = await api('GET', '/v1/campaigns?limit=100');
    expect(all.status).toBe(200);
    expect(all.json.next_cursor).toBeNull();
    const ids = all.json.data.map((c: { id: string }) => c.id);
    expect(ids).toEqual([...ids].sort().reverse());
    expect(all.json.data[0]).not.toHaveProperty('definition');
    expect(all.json.data[0]).toMatchObject({ name: 'Page 4', state: 'draft', counts: ZERO_COUNTS });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: ApiResponse = await api('GET', `/v1/campaigns?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.json.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.json.data.map((c: { id: string }) => c.id));
      cursor = page.json.next_cursor;
      pages++;
    } while (cursor && pages < 50);
    expect(seen).toEqual(ids);

    const running = await api('GET', '/v1/campaigns?state=running');
    expect(running.json.data.map((c: { name: string }) => c.name)).toEqual(['Changed']);
    const both = await api('GET', '/v1/campaigns?state=running,draft&limit=100');
    expect(both.json.data).toHaveLength(ids.length);

    const badState = await api('GET', '/v1/campaigns?state=launched');
    expect(badState.status).toBe(400);
    expect(badState.json.error.details[0].message).toContain('not a campaign state');
    const badCursor = await api('GET', '/v1/campaigns?cursor=bm9wZQ');
    expect(badCursor.status).toBe(400);
    expect(badCursor.json.error.details[0].message).toContain('next_cursor');
    expect((await api('GET', '/v1/campaigns?limit=1000')).status).toBe(400);
  });

  it('lets a viewer read but not write', async () => {
    const viewer = (await h.app.apiKeys.create('viewer', 'viewer')).key;
    const auth = { authorization: `Bearer ${viewer}` };
    expect((await api('GET', '/v1/campaigns', undefined, auth)).status).toBe(200);
    const refused = await api('POST', '/v1/campaigns', TAXI, auth);
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('AUTH_FORBIDDEN');
  });
});
