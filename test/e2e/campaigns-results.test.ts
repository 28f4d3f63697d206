/**
 * A campaign's results over real HTTP and the sandbox, on both databases: an A/B campaign runs
 * to its end, two numbers fail at Meta (131026), people tap the offer's buttons or write back;
 * the view shows replies per payload, the reply rate and median time to reply, each variant's
 * funnel, failures by code with the reason, exclusions by reason, and the cost of what Meta
 * said is billable. The recipients list pages and filters by state, and its CSV export has
 * every row, formula-safe. Every JSON answer matches the published OpenAPI document.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { priceOf } from '../../src/domain/campaigns/rate-card';
import { loadRateCardFile } from '../../src/engine/campaigns/rate-card-file';
import { type RecipientFilter, recipientsPage } from '../../src/store/campaign-results-query';
import { type Harness, startHarness } from '../support/harness';
import { expectDocumented, type OpenApiDoc } from '../support/openapi';
import { DIALECTS } from '../support/stores';

const SLOW = { timeout: 120_000 };

const TEMPLATE = {
  name: 'taxi_discount',
  language: 'es_AR',
  header: { image: { link: 'https://cdn.saludcenter.example/taxi.jpg' } },
  // No default for the discount: a contact without one is excluded (missing_value).
  body: [{ field: 'first_name', default: 'cliente' }, { attribute: 'discount' }],
  buttons: [
    { payload: 'TAXI_YES' },
    { payload: 'NO_PROMOS' },
    { url_suffix: 'taxi10' },
    { coupon_code: 'TAXI10' },
  ],
};

const phone = (i: number) => `+54934160${String(i).padStart(5, '0')}`;
const waId = (i: number) => phone(i).slice(1);

describe.each(DIALECTS)('campaign results on %s', SLOW, (dialect) => {
  let h: Harness;
  let doc: OpenApiDoc;
  let id: string;
  const sandbox = () => h.embedded.sandbox;
  const phoneId = () => h.embedded.whatsapp.phoneNumberId;
  const get = async (path: string) => {
    const r = await h.api('GET', path);
    return r;
  };
  const raw = async (path: string, headers: Record<string, string> = {}) => {
    const res = await request(`${h.url}${path}`, {
      headers: { authorization: `Bearer ${h.key}`, ...headers },
    });
    return { status: res.statusCode, type: String(res.headers['content-type']), text: await res.body.text() };
  };
  const inboxWamid = (i: number) => {
    const m = sandbox()
      .users.inbox(waId(i))
      .find((e) => e.buttons?.some((b) => b.payload === 'TAXI_YES'));
    return m?.wamid;
  };

  beforeAll(async () => {
    // Nobody reads on their own: "read" are exactly those who answered (answering reads the chat).
    h = await startHarness(dialect, {
      sandbox: { delays: { readMs: null } },
      app: { campaignRunner: { pollMs: 20, checkEveryMs: 50 } },
    });
    doc = (await (await request(`${h.url}/docs/json`)).body.json()) as OpenApiDoc;
    // Ten contacts: 0 has no discount (missing_value), 1 opted out, 2 and 3 are not reachable.
    for (let i = 0; i < 10; i++) {
      const r = await h.api('PUT', `/v1/contacts/${encodeURIComponent(phone(i))}`, {
        name: i === 4 ? '=HYPERLINK("http://x.example")' : i === 5 ? 'Pérez, Ana' : `Persona ${i}`,
        tags: ['results'],
        ...(i === 0 ? {} : { attributes: { discount: '15%' } }),
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
    }
    const out = await h.api('POST', `/v1/contacts/${encodeURIComponent(phone(1))}/consent`, {
      scope: 'marketing',
      state: 'opted_out',
      source: 'api',
    });
    expect(out.status, JSON.stringify(out.json)).toBeLessThan(300);
    for (const i of [2, 3]) sandbox().injectError({ code: 131026, to: waId(i), count: 1 });

    const created = await h.api('POST', '/v1/campaigns', {
      name: 'results',
      variants: [
        { label: 'A', weight: 1, template: TEMPLATE },
        { label: 'B', weight: 1, template: TEMPLATE },
      ],
      audience: { filter: { tags: { all: ['results'] } } },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    id = created.json.id;
    // A draft has results too, all empty.
    expect(created.json).toMatchObject({
      failures: [],
      reply_rate: null,
      median_reply_seconds: null,
      cost: null,
    });
    expect(created.json.variants.map((v: { label: string }) => v.label)).toEqual(['A', 'B']);
    const launched = await h.api('POST', `/v1/campaigns/${id}/launch`);
    expect(launched.status, JSON.stringify(launched.json)).toBe(200);
    expectDocumented(doc, 'post /v1/campaigns/{id}/launch', launched);

    // Eight sent: six delivered, two failed by Meta.
    await h.waitFor(
      'every message delivered or failed',
      async () => {
        const c = (await get(`/v1/campaigns/${id}`)).json;
        return c.counts.delivered === 6 && c.counts.failed === 2 ? c : undefined;
      },
      30_000,
    );
    // 4 to 7 tap a button or answer in words; 8 and 9 say nothing.
    const taps: Array<[number, string]> = [
      [4, 'Quiero el código'],
      [5, 'Quiero el código'],
      [6, 'No quiero promociones'],
    ];
    for (const [i, button] of taps) sandbox().users.tapButton(phoneId(), waId(i), inboxWamid(i)!, button);
    sandbox().users.sendText(phoneId(), waId(7), '¿Sirve para el sábado?', { contextWamid: inboxWamid(7)! });
    await sandbox().drainWebhooks();
    await h.waitFor(
      'four replies',
      async () => {
        const c = (await get(`/v1/campaigns/${id}`)).json;
        return c.counts.replied === 4 && c.counts.read === 4 ? c : undefined;
      },
      30_000,
    );
  });
  afterAll(() => h.close());

  it('shows replies per payload, the reply rate, failures by code and exclusions by reason', async () => {
    const r = await get(`/v1/campaigns/${id}`);
    expect(r.status).toBe(200);
    expectDocumented(doc, 'get /v1/campaigns/{id}', r);
    const c = r.json;
    expect(c.counts).toMatchObject({
      recipients: 10,
      excluded: 2,
      delivered: 2,
      read: 4,
      replied: 4,
      failed: 2,
      pending: 0,
      queued: 0,
    });
    expect(c.replies_by_payload).toEqual({ TAXI_YES: 2, NO_PROMOS: 1, '(text)': 1 });
    expect(c.excluded_by_reason).toEqual({ missing_value: 1, opted_out: 1 });
    expect(c.failures).toEqual([
      { code: 131026, reason: expect.stringContaining('(WhatsApp error 131026)'), count: 2 },
    ]);
    // Four of the six reached answered.
    expect(c.reply_rate).toBe(0.6667);
    expect(c.median_reply_seconds).toEqual(expect.any(Number));
    expect(c.median_reply_seconds).toBeGreaterThanOrEqual(0);
  });

  it('splits the funnel by variant', async () => {
    const c = (await get(`/v1/campaigns/${id}`)).json;
    const [a, b] = c.variants;
    expect([a.label, b.label]).toEqual(['A', 'B']);
    expect(a.template).toBe('taxi_discount');
    // Every one sent got a variant; together they are the campaign's funnel. (How many each got
    // follows a hash of random ids: with 8 recipients one variant may, rarely, get none.)
    expect(a.recipients + b.recipients).toBe(8);
    expect(a.delivered_or_later + b.delivered_or_later).toBe(6);
    expect(a.sent_or_later + b.sent_or_later).toBe(6);
    expect(a.read + b.read).toBe(4);
    expect(a.replied + b.replied).toBe(4);
    for (const v of [a, b]) {
      expect(v.reply_rate).toBe(
        v.delivered_or_later === 0 ? null : Math.round((v.replied / v.delivered_or_later) * 10_000) / 10_000,
      );
    }
    // The recipients list agrees on who got which variant.
    const list = (await get(`/v1/campaigns/${id}/recipients?limit=1000`)).json.data;
    expect(list.filter((x: { variant: string | null }) => x.variant === 'A')).toHaveLength(a.recipients);
    expect(list.filter((x: { variant: string | null }) => x.variant === 'B')).toHaveLength(b.recipients);
  });

  it('prices what Meta said is billable, at the rate card', async () => {
    const { cost } = (await get(`/v1/campaigns/${id}`)).json;
    const card = loadRateCardFile(h.app.config.campaigns.rateCardFile);
    const unit = priceOf(card, 'AR', 'marketing').micros;
    expect(cost).toMatchObject({
      currency: 'USD',
      basis: 'measured',
      delivered: 6,
      billable: 6,
      free: 0,
      estimated: 0,
      total_micros: 6 * unit,
      by_category: [{ category: 'marketing', basis: 'measured', messages: 6, micros: 6 * unit }],
    });
    const stored = await h.store.db
      .selectFrom('messages')
      .select(['pricing_category', 'billable'])
      .where('campaign_id', '=', id)
      .where('status', 'in', ['delivered', 'read'])
      .execute();
    expect(stored).toHaveLength(6);
    for (const m of stored) expect(m).toEqual({ pricing_category: 'marketing', billable: 1 });
  });

  it('lists the recipients page by page and by state', async () => {
    const seen: Array<Record<string, any>> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await get(
        `/v1/campaigns/${id}/recipients?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expectDocumented(doc, 'get /v1/campaigns/{id}/recipients', r);
      seen.push(...r.json.data);
      cursor = r.json.next_cursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(4);
    expect(seen).toHaveLength(10);
    const ids = seen.map((s) => s.contact_id);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(10);
    const byWa = new Map(seen.map((s) => [s.wa_id, s]));
    expect(byWa.get(waId(0))).toMatchObject({ state: 'excluded', reason: 'missing_value', message_id: null });
    expect(byWa.get(waId(1))).toMatchObject({ state: 'excluded', reason: 'opted_out' });
    expect(byWa.get(waId(2))).toMatchObject({
      state: 'failed',
      error_code: 131026,
      reason: expect.stringContaining('could not be delivered'),
    });
    expect(byWa.get(waId(4))).toMatchObject({ state: 'read', reply_payload: 'TAXI_YES' });
    expect(byWa.get(waId(4))!.replied_at).toEqual(expect.any(String));
    expect(byWa.get(waId(7))).toMatchObject({ state: 'read', reply_payload: null });
    expect(byWa.get(waId(8))).toMatchObject({ state: 'delivered', replied_at: null });
    expect(byWa.get(waId(8))!.message_id).toMatch(/^msg_/);
    expect(byWa.get(waId(8))!.variant).toMatch(/^[AB]$/);

    const of = async (state: string) =>
      (await get(`/v1/campaigns/${id}/recipients?state=${state}`)).json.data.map(
        (x: { wa_id: string }) => x.wa_id,
      );
    expect(await of('failed')).toEqual([waId(2), waId(3)]);
    expect(await of('replied')).toEqual([4, 5, 6, 7].map(waId));
    expect(await of('delivered')).toEqual([waId(8), waId(9)]);
    expect(await of('failed,excluded')).toEqual([0, 1, 2, 3].map(waId));
    expect(await of('pending')).toEqual([]);

    const bad = await get(`/v1/campaigns/${id}/recipients?state=bounced`);
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('INPUT_INVALID');
    expectDocumented(doc, 'get /v1/campaigns/{id}/recipients', bad);
    const missing = await get('/v1/campaigns/cmp_01JD2Q0000000000000000000Z/recipients');
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('CAMPAIGN_NOT_FOUND');
    expectDocumented(doc, 'get /v1/campaigns/{id}/recipients', missing);
  });

  it('reads the same pages whatever the window of keys each statement looks through', async () => {
    const read = async (states: RecipientFilter[] | undefined, limit: number, window?: number) => {
      const ids: string[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 50; pages++) {
        const rows = await recipientsPage(h.store.db, {
          campaignId: id,
          limit,
          ...(states ? { states } : {}),
          ...(after ? { afterContactId: after } : {}),
          ...(window ? { window } : {}),
        });
        ids.push(...rows.map((r) => r.contact_id));
        if (rows.length < limit) return ids;
        after = rows.at(-1)!.contact_id;
      }
      throw new Error('more pages than recipients');
    };
    for (const states of [undefined, ['failed'], ['replied', 'excluded'], ['pending']] as const) {
      const all = await read(states ? [...states] : undefined, 100);
      for (const [limit, window] of [
        [1, 1],
        [2, 3],
        [3, 2],
        [4, 7],
      ] as const) {
        expect(await read(states ? [...states] : undefined, limit, window)).toEqual(all);
      }
    }
  });

  it('exports the recipients as CSV, formula-safe, by path or by Accept', async () => {
    const csv = await raw(`/v1/campaigns/${id}/recipients.csv`);
    expect(csv.status).toBe(200);
    expect(csv.type).toMatch(/^text\/csv/);
    const lines = csv.text.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'contact_id,wa_id,name,state,reason,error_code,variant,message_id,send_at,replied_at,reply_payload',
    );
    expect(lines).toHaveLength(11);
    const line = (i: number) => lines.find((l) => l.includes(`,${waId(i)},`))!;
    // A name that is a formula stays text; a comma is quoted.
    expect(line(4)).toContain(`,"'=HYPERLINK(""http://x.example"")",read,`);
    expect(line(4)).toMatch(/,TAXI_YES$/);
    expect(line(5)).toContain(',"Pérez, Ana",read,');
    expect(line(2)).toContain(',failed,');
    expect(line(2)).toContain(',131026,');
    expect(line(0)).toContain(',excluded,missing_value,,,,');

    const byAccept = await raw(`/v1/campaigns/${id}/recipients?state=failed`, { accept: 'text/csv' });
    expect(byAccept.status).toBe(200);
    expect(byAccept.type).toMatch(/^text\/csv/);
    expect(byAccept.text.trimEnd().split('\n')).toEqual([lines[0], line(2), line(3)]);

    const missing = await raw('/v1/campaigns/cmp_01JD2Q0000000000000000000Z/recipients.csv');
    expect(missing.status).toBe(404);
  });
});
