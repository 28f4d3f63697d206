/**
 * The plan before launch over real HTTP, on both databases: recipients and every exclusion
 * reason, recipients by country and the cost at the shipped rate card's prices (the expected
 * figure computed here from the card file), the messaging limit splitting 300 recipients at 250,
 * a scheduled start and a local-time schedule moving the ETA, one contact's preview, a saved and
 * an unsaved definition answering alike, errors, every answer checked against the published
 * OpenAPI document; and `recontact campaigns plan` as a person runs it.
 */

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { parseSchedule, sendTimeFor } from '../../src/domain/campaigns/schedule';
import { loadRateCardFile } from '../../src/engine/campaigns/rate-card-file';
import { insertCampaign } from '../../src/store/campaigns-repo';
import { insertMessages } from '../../src/store/messages-repo';
import { REPO_ROOT, runCli } from '../support/cli';
import { type Harness, startHarness } from '../support/harness';
import { expectDocumented, type OpenApiDoc } from '../support/openapi';
import { DIALECTS } from '../support/stores';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-11-30T12:00:00Z');
const SLOW = { timeout: 120_000 };

/** The shipped card, read as a person would read it: price of one message to a country. */
const CARD = JSON.parse(readFileSync(join(REPO_ROOT, 'rate-cards/meta-whatsapp-2026-10.json'), 'utf8'));
const micros = (country: string, category: string) =>
  Math.round(CARD.markets[CARD.countries[country] ?? 'Other'][category] * 1_000_000);
/** Dollars as the plan writes them: as many decimals as needed, at least 2. */
const usd = (m: number) => {
  const [whole, cents = ''] = (m / 1_000_000).toFixed(6).replace(/0+$/, '').split('.');
  return `${whole}.${cents.padEnd(2, '0')}`;
};

const TAXI = {
  name: 'Descuento taxi',
  template: {
    name: 'taxi_discount',
    language: 'es_AR',
    header: { image: { link: 'https://cdn.saludcenter.example/taxi.jpg' } },
    body: [{ field: 'first_name', default: 'cliente' }, { attribute: 'discount' }],
    buttons: [
      { payload: 'TAXI_YES' },
      { payload: 'STOP_PROMOS' },
      { url_suffix: 'taxi10' },
      { coupon_code: 'TAXI10' },
    ],
  },
  audience: { filter: { tags: { all: ['patient'] } } },
  metadata: { offer: 'taxi10' },
};

type Doc = OpenApiDoc;

async function saveCampaign(h: Harness, definition: Record<string, unknown>, now: number): Promise<string> {
  const c = await insertCampaign(
    h.store.db,
    {
      id: h.app.ctx.id('cmp'),
      accountId: h.app.accounts.all()[0]!.id,
      name: String(definition.name),
      definition,
      templateName: 'taxi_discount',
    },
    now,
  );
  return c.id;
}

describe.each(DIALECTS)('campaign plan on %s', SLOW, (dialect) => {
  let h: Harness;
  let doc: Doc;
  let campaign: string;
  const ids: Record<string, string> = {};
  const plan = (id: string, query = '') => h.api('POST', `/v1/campaigns/${id}/plan${query}`);

  beforeAll(async () => {
    h = await startHarness(dialect, { clock: () => NOW });
    doc = (await (await request(`${h.url}/docs/json`)).body.json()) as Doc;
    const people = [
      { key: 'ana', phone: '+54 9 341 555-0001', name: 'Ana Pérez', attributes: { discount: '15%' } },
      { key: 'beto', phone: '+54 9 341 555-0002', name: 'Beto', attributes: { discount: '10%' } },
      { key: 'caro', phone: '+54 9 341 555-0003', name: 'Caro', attributes: { discount: '10%' } },
      { key: 'nodiscount', phone: '+54 9 341 555-0004', name: 'Sin Descuento', attributes: {} },
      { key: 'dani', phone: '+54 9 341 555-0005', name: 'Dani', attributes: { discount: '10%' } },
      {
        key: 'eve',
        phone: '+1 650 555 0101',
        name: 'Eve',
        attributes: { discount: '5%' },
        time_zone: 'America/Los_Angeles',
      },
      {
        key: 'fay',
        phone: '+1 212 555 0102',
        name: 'Fay',
        attributes: { discount: '5%' },
        time_zone: 'America/New_York',
      },
      {
        key: 'gil',
        phone: '+34 612 345 678',
        name: 'Gil',
        attributes: { discount: '20%' },
        time_zone: 'Europe/Madrid',
      },
    ];
    for (const { key, phone, ...profile } of people) {
      const r = await h.api('PUT', `/v1/contacts/${encodeURIComponent(phone)}`, {
        ...profile,
        tags: ['patient'],
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      ids[key] = r.json.id;
    }
    const other = await h.api('PUT', `/v1/contacts/${encodeURIComponent('+54 9 341 555-0099')}`, {
      name: 'Not a patient',
      attributes: { discount: '10%' },
    });
    ids.other = other.json.id;
    // Opted out of marketing, through the API.
    const optOut = await h.api('POST', `/v1/contacts/${ids.caro}/consent`, {
      scope: 'marketing',
      state: 'opted_out',
    });
    expect(optOut.status).toBe(201);
    // Sent a marketing template two hours ago: inside the account's 24 h frequency cap.
    await h.store.db
      .updateTable('contacts')
      .set({ last_marketing_at: NOW - 2 * HOUR })
      .where('id', '=', ids.beto!)
      .execute();
    // Meta answered "not a WhatsApp user" (131026) to an earlier send: the number is invalid.
    await insertMessages(h.store.db, [
      {
        id: h.app.ctx.id('msg'),
        accountId: h.app.accounts.all()[0]!.id,
        contactId: ids.dani!,
        to: '5493415550005',
        content: { kind: 'template' },
        template: { name: 'appointment_reminder', language: 'es_AR' },
        metadata: null,
        idempotencyKey: null,
        requestHash: null,
        replyToProviderId: null,
        queuedAt: NOW - 40 * HOUR,
      },
    ]);
    await h.store.db
      .updateTable('messages')
      .set({ status: 'failed', error_code: 131026 })
      .where('contact_id', '=', ids.dani!)
      .execute();
    campaign = await saveCampaign(h, TAXI, NOW);
  });
  afterAll(() => h.close());

  it('counts recipients, names every exclusion, and prices them by country at the card of its date', async () => {
    const r = await plan(campaign);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expectDocumented(doc, 'post /v1/campaigns/{id}/plan', r);
    const p = r.json;
    expect(p).toMatchObject({
      campaign_id: campaign,
      planned_at: '2026-11-30T12:00:00.000Z',
      recipients: 3 + 1,
      matched: 8,
      excluded: { opted_out: 1, frequency_cap: 1, missing_value: 1, invalid_number: 1 },
      purpose: 'marketing',
      frequency_cap_hours: 24,
    });
    expect(p.template).toEqual({
      ready: true,
      variants: [
        {
          label: 'A',
          weight: 1,
          name: 'taxi_discount',
          language: 'es_AR',
          contact_language: false,
          status: 'APPROVED',
          category: 'MARKETING',
          approved_languages: ['es_AR'],
          ready: true,
        },
      ],
    });
    expect(p.by_country).toEqual([
      { country: 'US', market: 'North America', recipients: 2 },
      { country: 'AR', market: 'Argentina', recipients: 1 },
      { country: 'ES', market: 'Spain', recipients: 1 },
    ]);
    const expected = micros('AR', 'marketing') + 2 * micros('US', 'marketing') + micros('ES', 'marketing');
    expect(p.cost).toMatchObject({
      currency: 'USD',
      total_micros: expected,
      total_usd: usd(expected),
      messages: 4,
      charged: 4,
      pricing_categories: ['marketing'],
      notes: [],
    });
    expect(p.cost.card).toMatchObject({ effective_from: CARD.effective_from, retrieved: CARD.retrieved });
    expect(p.cost.card.sources.map((s: { url: string }) => s.url)).toEqual(
      CARD.sources.map((s: { url: string }) => s.url),
    );
    // The sandbox's account: no messaging limit; 4 at the account's 80/s.
    expect(p.messaging_limit).toMatchObject({ limit: 'unlimited', source: 'sandbox', go_now: 4, waiting: 0 });
    expect(p.schedule).toMatchObject({
      kind: 'at_launch',
      first_send_at: '2026-11-30T12:00:00.000Z',
      expiring: 0,
    });
    expect(p.eta).toEqual({
      pace_per_second: 80,
      pace_source: 'account',
      sending_seconds: 1,
      starts_at: '2026-11-30T12:00:00.000Z',
      finishes_at: '2026-11-30T12:00:00.050Z',
      limited_by: 'pace',
    });
    expect(p.preview).toBeNull();
    expect(p.warnings).toEqual([]);
  });

  it('moves the ETA to a scheduled start, and spreads a local-time schedule over the zones', async () => {
    const at = await saveCampaign(h, { ...TAXI, pace: 2, schedule: { at: '2026-12-02T15:00:00Z' } }, NOW);
    const r = await plan(at);
    expectDocumented(doc, 'post /v1/campaigns/{id}/plan', r);
    expect(r.json.schedule).toMatchObject({ kind: 'at', first_send_at: '2026-12-02T15:00:00.000Z' });
    expect(r.json.eta).toMatchObject({
      pace_per_second: 2,
      pace_source: 'campaign',
      sending_seconds: 2,
      starts_at: '2026-12-02T15:00:00.000Z',
      finishes_at: '2026-12-02T15:00:02.000Z',
    });

    const schedule = {
      local_time: { time: '10:00', date: '2026-12-02' },
      quiet_hours: { from: '21:00', to: '09:00' },
    };
    const local = await saveCampaign(h, { ...TAXI, schedule }, NOW);
    const l = await plan(local);
    expectDocumented(doc, 'post /v1/campaigns/{id}/plan', l);
    const parsed = parseSchedule(schedule);
    if (!parsed.ok) throw new Error('the test schedule is valid');
    const times = [
      'America/Argentina/Buenos_Aires',
      'America/Los_Angeles',
      'America/New_York',
      'Europe/Madrid',
    ].map((timeZone) => {
      const t = sendTimeFor(parsed.value, { timeZone }, NOW);
      return t.kind === 'at' ? t.at : Number.NaN;
    });
    expect(l.json.schedule).toEqual({
      kind: 'local_time',
      first_send_at: new Date(Math.min(...times)).toISOString(),
      last_send_at: new Date(Math.max(...times)).toISOString(),
      expires_at: null,
      expiring: 0,
      time_zones: 4,
    });
    expect(l.json.schedule.first_send_at).toBe('2026-12-02T09:00:00.000Z'); // 10:00 in Madrid
    expect(l.json.schedule.last_send_at).toBe('2026-12-02T18:00:00.000Z'); // 10:00 in Los Angeles
    expect(l.json.eta.finishes_at).toBe('2026-12-02T18:00:00.013Z');

    // Expiring before Los Angeles' 10:00: that recipient would expire, and is not priced.
    const expiring = await saveCampaign(
      h,
      { ...TAXI, schedule: { ...schedule, expires_at: '2026-12-02T17:00:00Z' } },
      NOW,
    );
    const e = await plan(expiring);
    expect(e.json.schedule).toMatchObject({ expiring: 1, last_send_at: '2026-12-02T15:00:00.000Z' });
    expect(e.json.cost.messages).toBe(3);
    expect(e.json.warnings.join('\n')).toMatch(/1 recipient\(s\) would expire unsent/);
  });

  it('previews one contact: the filled template, or why they are left out and what they lack', async () => {
    const r = await plan(campaign, `?contact=${encodeURIComponent('+54 9 341 555-0001')}`);
    expectDocumented(doc, 'post /v1/campaigns/{id}/plan', r);
    expect(r.json.preview).toEqual({
      contact: { id: ids.ana, wa_id: '5493415550001', name: 'Ana Pérez' },
      in_audience: true,
      excluded_reason: null,
      variant: 'A',
      template: {
        name: 'taxi_discount',
        language: 'es_AR',
        header: { image: { link: 'https://cdn.saludcenter.example/taxi.jpg' } },
        body: ['Ana', '15%'],
        buttons: [
          { payload: 'TAXI_YES' },
          { payload: 'STOP_PROMOS' },
          { url_suffix: 'taxi10' },
          { coupon_code: 'TAXI10' },
        ],
      },
      metadata: { offer: 'taxi10' },
      missing: [],
    });
    const caro = await plan(campaign, `?contact=${ids.caro}`);
    expect(caro.json.preview).toMatchObject({ in_audience: true, excluded_reason: 'opted_out' });
    const lacking = await plan(campaign, `?contact=${ids.nodiscount}`);
    expect(lacking.json.preview).toMatchObject({
      excluded_reason: 'missing_value',
      template: null,
      missing: [{ path: 'template.body[1]', attribute: 'discount', problem: 'absent' }],
    });
    const outside = await plan(campaign, `?contact=${ids.other}`);
    expect(outside.json.preview).toMatchObject({ in_audience: false, excluded_reason: null });

    const unknown = await plan(campaign, `?contact=${encodeURIComponent('+54 9 341 555-0777')}`);
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({
      code: 'CONTACT_NOT_FOUND',
      details: [{ path: 'querystring.contact' }],
    });
    expectDocumented(doc, 'post /v1/campaigns/{id}/plan', unknown);
    const bad = await plan(campaign, '?contact=12');
    expect(bad.status).toBe(422);
    expect(bad.json.error).toMatchObject({
      code: 'PHONE_INVALID',
      details: [{ path: 'querystring.contact' }],
    });
    expectDocumented(doc, 'post /v1/campaigns/{id}/plan', bad);
  });

  it('answers 404 for a campaign the account does not have', async () => {
    const r = await plan('cmp_01JD2Q0000000000000000000Z');
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('CAMPAIGN_NOT_FOUND');
    expectDocumented(doc, 'post /v1/campaigns/{id}/plan', r);
  });

  it('plans an unsaved definition exactly as the saved one, and names its problems', async () => {
    const saved = await plan(campaign, `?contact=${ids.ana}`);
    const unsaved = await h.api('POST', `/v1/campaigns/plan?contact=${ids.ana}`, TAXI);
    expect(unsaved.status, JSON.stringify(unsaved.json)).toBe(200);
    expectDocumented(doc, 'post /v1/campaigns/plan', unsaved);
    expect({ ...unsaved.json, campaign_id: campaign }).toEqual(saved.json);
    expect(unsaved.json.campaign_id).toBeNull();

    const bad = await h.api('POST', '/v1/campaigns/plan', {
      ...TAXI,
      template: { ...TAXI.template, body: [{ attribute: 'first name' }] },
      schedule: { at: 'tomorrow' },
    });
    expect(bad.status).toBe(400);
    expectDocumented(doc, 'post /v1/campaigns/plan', bad);
    expect(bad.json.error.code).toBe('INPUT_INVALID');
    expect(bad.json.error.details.map((d: { path: string }) => d.path)).toEqual([
      'body.template.body[0].attribute',
      'body.schedule.at',
    ]);

    const missingAudience = await h.api('POST', '/v1/campaigns/plan', {
      ...TAXI,
      audience: { audience_id: 'aud_nope' },
    });
    expect(missingAudience.status).toBe(422);
    expect(missingAudience.json.error.code).toBe('AUDIENCE_NOT_FOUND');
    expectDocumented(doc, 'post /v1/campaigns/plan', missingAudience);
  });

  it('warns about a template Recontact does not know, and plans it as the category given', async () => {
    const r = await h.api('POST', '/v1/campaigns/plan', {
      ...TAXI,
      category: 'UTILITY',
      template: { ...TAXI.template, name: 'not_pushed_yet' },
    });
    expect(r.status).toBe(200);
    expectDocumented(doc, 'post /v1/campaigns/plan', r);
    expect(r.json.template.ready).toBe(false);
    expect(r.json.template.variants[0]).toMatchObject({ status: null, category: null, ready: false });
    // Utility: the marketing opt-out and the marketing cap no longer exclude Caro and Beto.
    expect(r.json).toMatchObject({
      purpose: 'utility',
      recipients: 6,
      cost: { pricing_categories: ['utility'] },
    });
    expect(r.json.warnings[0]).toMatch(/"not_pushed_yet" is not known in es_AR; the plan assumes UTILITY/);
  });
});

describe.each(DIALECTS)('campaign plan within a messaging limit on %s', SLOW, (dialect) => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness(dialect, { env: { MESSAGING_LIMIT: '250' } });
  });
  afterAll(() => h.close());

  it('lets 250 users less those reached lately go at once, and says when the rest can go', async () => {
    const rows = Array.from(
      { length: 300 },
      (_, i) => `+54 9 11 6${String(i).padStart(3, '0')}-0000,Persona ${i}`,
    );
    const posted = await h.api('POST', '/v1/contacts/import?tag=bulk', `phone,name\n${rows.join('\n')}\n`, {
      'content-type': 'text/csv',
    });
    expect(posted.status, JSON.stringify(posted.json)).toBe(202);
    await h.waitFor(
      'the import',
      async () => (await h.api('GET', `/v1/imports/${posted.json.id}`)).json.state === 'done',
    );
    // Ten others got a template just now: they take 10 of the 250.
    for (let i = 0; i < 10; i++) {
      const sent = await h.api('POST', '/v1/messages', {
        to: `+54 9 11 7000-00${String(i).padStart(2, '0')}`,
        template: {
          name: 'appointment_reminder',
          language: 'es_AR',
          body: ['Emilia', 'la Dra. Gómez', 'el lunes'],
        },
      });
      expect(sent.status, JSON.stringify(sent.json)).toBe(202);
    }
    const id = await saveCampaign(
      h,
      {
        name: 'Aviso',
        template: {
          name: 'appointment_reminder',
          language: 'es_AR',
          body: [{ field: 'first_name' }, 'la clínica', 'pronto'],
        },
        audience: { filter: { tags: { all: ['bulk'] } } },
      },
      Date.now(),
    );
    const r = await h.api('POST', `/v1/campaigns/${id}/plan`);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const p = r.json;
    expect(p.recipients).toBe(300);
    expect(p.messaging_limit).toMatchObject({
      limit: 250,
      source: 'configured',
      reached: 10,
      need_slot: 300,
      go_now: 240,
      waiting: 60,
    });
    // The 60 go when the first users' reaches leave Meta's 24 h (and the 5-minute margin).
    const lastSlot = Date.parse(p.messaging_limit.last_slot_at);
    expect(lastSlot - Date.parse(p.planned_at)).toBeGreaterThan(24 * HOUR);
    expect(lastSlot - Date.parse(p.planned_at)).toBeLessThanOrEqual(24 * HOUR + 5 * 60_000);
    expect(p.eta).toMatchObject({
      limited_by: 'messaging_limit',
      finishes_at: p.messaging_limit.last_slot_at,
    });
    expect(p.cost).toMatchObject({ messages: 300, total_micros: 300 * micros('AR', 'utility') });
    expect(p.warnings.join('\n')).toMatch(
      /60 recipient\(s\) wait for the messaging limit \(250 users in 24 h\)/,
    );
  });
});

describe('recontact campaigns plan', SLOW, () => {
  let h: Harness;
  let env: Record<string, string>;
  let id: string;
  beforeAll(async () => {
    h = await startHarness('sqlite', { clock: () => NOW });
    env = { RECONTACT_URL: h.url, RECONTACT_API_KEY: h.key };
    for (const [phone, name] of [
      ['+54 9 341 555-0001', 'Ana'],
      ['+1 650 555 0101', 'Eve'],
    ] as const) {
      await h.api('PUT', `/v1/contacts/${encodeURIComponent(phone)}`, {
        name,
        tags: ['patient'],
        attributes: { discount: '10%' },
      });
    }
    await h.api('PUT', `/v1/contacts/${encodeURIComponent('+54 9 341 555-0002')}`, {
      name: 'Sin',
      tags: ['patient'],
    });
    id = await saveCampaign(h, TAXI, NOW);
  });
  afterAll(() => h.close());

  it('prints the plan readably: count, exclusions, ETA, cost with the card date, template status', async () => {
    const r = await runCli(['campaigns', 'plan', id, '--contact', '+54 9 341 555-0001'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const total = micros('AR', 'marketing') + micros('US', 'marketing');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 9)).toEqual([
      `plan of ${id} at 2026-11-30T12:00:00.000Z`,
      'recipients: 2 of 3 matched (marketing, frequency cap 24 h)',
      'excluded: 1',
      '  missing_value    1',
      'template: taxi_discount · es_AR · APPROVED · MARKETING',
      'starts: at 2026-11-30T12:00:00.000Z',
      'pace: 80/s (account) · 1 s of sending',
      'messaging limit: unlimited (sandbox)',
      'eta: 2026-11-30T12:00:00.025Z (limited by pace)',
    ]);
    expect(lines[9]).toBe(
      `cost: ${usd(total)} USD for 2 message(s) (marketing), rate card effective ${CARD.effective_from} (${CARD.name})`,
    );
    expect(r.stdout).toContain('countries: AR 1 · US 1');
    expect(r.stdout).toContain('prices from: https://developers.facebook.com/docs/whatsapp/pricing');
    expect(r.stdout).toContain('preview for Ana (');
    expect(r.stdout).toContain('would receive it · variant A');
    expect(r.stdout).toContain('"body":["Ana","10%"]');

    const json = await runCli(['campaigns', 'plan', id, '--json'], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      campaign_id: id,
      recipients: 2,
      cost: { total_micros: total },
    });

    const missing = await runCli(['campaigns', 'plan', 'cmp_01JD2Q0000000000000000000Z'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error CAMPAIGN_NOT_FOUND \(HTTP 404\)/);
  });
});

describe('plan settings read at start', () => {
  it('refuses a messaging limit Meta does not have, and a rate card with mistakes, naming each', () => {
    expect(() => loadConfig({ MESSAGING_LIMIT: '1000' })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        details: [{ path: 'MESSAGING_LIMIT', message: expect.stringMatching(/^1000 was a per-number tier/) }],
      }),
    );
    const dir = mkdtempSync(join(tmpdir(), 'recontact-card-'));
    const broken = join(dir, 'card.json');
    writeFileSync(
      broken,
      JSON.stringify({ ...CARD, currency: 'EUR', markets: { ...CARD.markets, Spain: { marketing: 'x' } } }),
    );
    expect(() => loadRateCardFile(broken)).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        details: expect.arrayContaining([
          expect.objectContaining({ path: 'RATE_CARD_FILE currency' }),
          expect.objectContaining({ path: 'RATE_CARD_FILE markets.Spain.marketing' }),
        ]),
      }),
    );
    writeFileSync(broken, '{"currency": ');
    expect(() => loadRateCardFile(broken)).toThrow(/is not JSON/);
    expect(() => loadRateCardFile(join(dir, 'missing.json'))).toThrow(/cannot be read: no such file/);
  });

  it('defaults to the shipped card wherever Recontact runs, and to no limit only for the sandbox', () => {
    const sandbox = loadConfig({}).campaigns;
    expect(sandbox).toEqual({
      rateCardFile: join(REPO_ROOT, 'rate-cards/meta-whatsapp-2026-10.json'),
      messagingLimit: 'unlimited',
      messagingLimitSource: 'sandbox',
      quietHours: null,
    });
    expect(loadRateCardFile(sandbox.rateCardFile).effectiveFrom).toBe(CARD.effective_from);
    const meta = loadConfig({
      WHATSAPP_PHONE_NUMBER_ID: '1',
      WHATSAPP_WABA_ID: '2',
      WHATSAPP_ACCESS_TOKEN: 't',
      WHATSAPP_APP_SECRET: 's',
      WHATSAPP_VERIFY_TOKEN: 'v',
    }).campaigns;
    expect(meta).toMatchObject({ messagingLimit: 250, messagingLimitSource: 'assumed' });
    expect(loadConfig({ MESSAGING_LIMIT: '10,000' }).campaigns).toMatchObject({
      messagingLimit: 10_000,
      messagingLimitSource: 'configured',
    });
  });
});
