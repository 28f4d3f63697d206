/**
 * Audiences through the API: a preview of an unsaved definition (all, a filter, a list) answers
 * the count, the exclusions with reasons and a sample; saved audiences are named, unique per
 * account, listed, replaced, previewed and deleted. Refusals name the part of the definition at
 * fault. On both databases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONSENT_SETTINGS } from '../../src/domain/contacts/consent-settings';
import { appendConsentEvents } from '../../src/store/consent-repo';
import { writeConsentSettings } from '../../src/store/consent-settings-repo';
import { type Harness, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

const HOUR = 3_600_000;

describe.each(DIALECTS)('audiences on %s', (dialect) => {
  let h: Harness;
  const now = Date.parse('2026-11-30T12:00:00Z');
  const ids: Record<string, string> = {};
  const preview = (body: unknown) => h.api('POST', '/v1/audiences/preview', body);

  beforeAll(async () => {
    h = await startHarness(dialect, { clock: () => now });
    const people = [
      {
        phone: '+54 9 341 555-0001',
        name: 'Ana',
        tags: ['vip', 'rosario'],
        attributes: { city: 'Rosario', points: 120 },
      },
      {
        phone: '+54 9 341 555-0002',
        name: 'Beto',
        tags: ['vip'],
        attributes: { city: 'Córdoba', points: 80 },
      },
      { phone: '+54 9 341 555-0003', name: 'Caro', tags: ['rosario'], attributes: { city: 'Rosario' } },
      { phone: '+54 9 341 555-0004', tags: ['vip'], attributes: { points: 300 } },
      {
        phone: '+54 9 341 555-0005',
        name: 'Dani',
        tags: ['vip', 'stopped'],
        attributes: { city: 'Rosario', points: 10 },
      },
    ];
    for (const p of people) {
      const r = await h.api('PUT', `/v1/contacts/${encodeURIComponent(p.phone)}`, p);
      expect(r.status).toBe(201);
      ids[p.name ?? 'noname'] = r.json.id;
    }
    const account = h.app.accounts.all()[0]!.id;
    await appendConsentEvents(
      h.store.db,
      [
        {
          id: 'cev_aud_1',
          accountId: account,
          contactId: ids.Dani!,
          channel: 'whatsapp',
          scope: 'marketing',
          state: 'opted_out',
          source: 'keyword',
          evidence: { keyword: 'BAJA' },
          at: now - HOUR,
        },
      ],
      now,
    );
    await h.store.db
      .updateTable('contacts')
      .set({ last_marketing_at: now - 2 * HOUR })
      .where('id', '=', ids.Beto!)
      .execute();
  });
  afterAll(() => h.close());

  it('previews everyone, with every exclusion named and a sample of those counted', async () => {
    const r = await preview({ all: true, needs: ['name', 'city'] });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({
      count: 2,
      excluded: { opted_out: 1, missing_value: 1, frequency_cap: 1 },
      matched: 5,
      purpose: 'marketing',
      frequency_cap_hours: 24,
    });
    expect(r.json.sample).toEqual([
      { id: ids.Ana, wa_id: '5493415550001', name: 'Ana' },
      { id: ids.Caro, wa_id: '5493415550003', name: 'Caro' },
    ]);
    // Utility: a marketing opt-out and the marketing cap do not apply.
    const utility = await preview({ all: true, purpose: 'utility' });
    expect(utility.json).toMatchObject({ count: 5, excluded: {} });
    const shorterCap = await preview({ all: true, frequency_cap_hours: 1 });
    expect(shorterCap.json).toMatchObject({ count: 4, excluded: { opted_out: 1 } });
    // The account's own setting is the default.
    const account = h.app.accounts.all()[0]!.id;
    await writeConsentSettings(
      h.store.db,
      account,
      { ...structuredClone(DEFAULT_CONSENT_SETTINGS), marketing_frequency_cap_hours: 1 },
      now,
    );
    expect((await preview({ all: true })).json).toMatchObject({ count: 4, frequency_cap_hours: 1 });
    await writeConsentSettings(h.store.db, account, structuredClone(DEFAULT_CONSENT_SETTINGS), now);
  });

  it('previews a filter on tags and attributes', async () => {
    const r = await preview({
      filter: {
        tags: { all: ['vip'], none: ['stopped'] },
        attributes: [{ name: 'points', op: '>', value: 50 }],
      },
      frequency_cap_hours: 0,
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.count).toBe(3);
    expect(r.json.sample.map((s: { name: string | null }) => s.name)).toEqual(['Ana', 'Beto', null]);
    const any = await preview({
      filter: {
        tags: { any: ['rosario', 'stopped'] },
        attributes: [{ name: 'city', op: 'in', value: ['Rosario'] }],
      },
    });
    expect(any.json).toMatchObject({ count: 2, excluded: { opted_out: 1 } });
  });

  it('previews a list: ids and phones in any form, with duplicates, unknown and invalid entries counted', async () => {
    const r = await preview({
      list: {
        contacts: [
          ids.Ana,
          '+54 9 341 555-0001',
          '5493415550003',
          '+54 9 341 555-0099',
          '+54 12',
          ids.Dani,
          'ctc_01JD2Q0000000000000000000Z',
        ],
      },
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({
      count: 2,
      excluded: { duplicate: 1, not_found: 2, invalid_number: 1, opted_out: 1 },
      matched: 7,
    });
  });

  it('refuses a bad definition, naming each part at fault', async () => {
    const r = await preview({
      filter: {
        tags: { all: ['a|b'], some: ['x'] },
        attributes: [
          { name: 'city', op: 'like', value: 'R%' },
          { name: '1bad', op: '=', value: 1 },
          { name: 'points', op: '<', value: true },
          { name: 'city', op: 'in', value: [] },
        ],
        window: 'ajar',
        last_inbound_after: 'yesterday',
      },
    });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('INPUT_INVALID');
    expect(r.json.error.details.map((d: { path: string }) => d.path)).toEqual([
      'body.filter.tags.some',
      'body.filter.tags.all[0]',
      'body.filter.attributes[0].op',
      'body.filter.attributes[1].name',
      'body.filter.attributes[2].value',
      'body.filter.attributes[3].value',
      'body.filter.window',
      'body.filter.last_inbound_after',
    ]);
    const two = await preview({ all: true, filter: {} });
    expect(two.status).toBe(400);
    expect(two.json.error.details[0].message).toContain('exactly one');
    const none = await preview({ purpose: 'marketing' });
    expect(none.status).toBe(400);
    const needs = await preview({ all: true, needs: ['__proto__'] });
    expect(needs.status).toBe(400);
    expect(needs.json.error.details[0].path).toBe('body.needs[0]');
    const purpose = await preview({ all: true, purpose: 'spam' });
    expect(purpose.status).toBe(400);
    expect(purpose.json.error.details[0].path).toBe('body.purpose');
  });

  it('saves audiences under unique names, lists, replaces, previews and deletes them', async () => {
    const definition = { filter: { tags: { all: ['vip'] } } };
    const created = await h.api('POST', '/v1/audiences', { name: 'VIPs', definition });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toMatchObject({ id: expect.stringMatching(/^aud_/), name: 'VIPs', definition });
    const id = created.json.id;

    const taken = await h.api('POST', '/v1/audiences', { name: 'VIPs', definition: { all: true } });
    expect(taken.status).toBe(409);
    expect(taken.json.error.code).toBe('AUDIENCE_NAME_TAKEN');
    const bad = await h.api('POST', '/v1/audiences', {
      name: 'Bad',
      definition: { filter: { window: 'ajar' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details[0].path).toBe('body.definition.filter.window');

    const other = await h.api('POST', '/v1/audiences', { name: 'Everyone', definition: { all: true } });
    expect(other.status).toBe(201);
    const listed = await h.api('GET', '/v1/audiences');
    expect(listed.json.data.map((a: { name: string }) => a.name)).toEqual(['Everyone', 'VIPs']);

    const shown = await h.api('POST', `/v1/audiences/${id}/preview`, { frequency_cap_hours: 0 });
    expect(shown.status).toBe(200);
    expect(shown.json).toMatchObject({ audience_id: id, count: 3, excluded: { opted_out: 1 } });
    const noBody = await h.api('POST', `/v1/audiences/${id}/preview`);
    expect(noBody.json).toMatchObject({ count: 2, excluded: { opted_out: 1, frequency_cap: 1 } });

    const renamedToTaken = await h.api('PUT', `/v1/audiences/${id}`, { name: 'Everyone', definition });
    expect(renamedToTaken.status).toBe(409);
    const replaced = await h.api('PUT', `/v1/audiences/${id}`, {
      name: 'Rosario VIPs',
      definition: { filter: { tags: { all: ['vip', 'rosario'] } } },
    });
    expect(replaced.status).toBe(200);
    expect((await h.api('GET', `/v1/audiences/${id}`)).json.name).toBe('Rosario VIPs');
    expect((await h.api('POST', `/v1/audiences/${id}/preview`)).json.count).toBe(1);

    expect((await h.api('DELETE', `/v1/audiences/${id}`)).status).toBe(204);
    const gone = await h.api('GET', `/v1/audiences/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.json.error.code).toBe('AUDIENCE_NOT_FOUND');
    expect((await h.api('DELETE', `/v1/audiences/${id}`)).status).toBe(404);
    expect((await h.api('POST', `/v1/audiences/${id}/preview`)).status).toBe(404);
  });
});
