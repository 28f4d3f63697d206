/**
 * The contact book through the API: PUT creates or replaces a profile (201 / 200), PATCH merges
 * into it, GET shows one with its window, consent history and last messages, and the list
 * filters by tags, attributes, consent, window and text, page by page with a stable cursor.
 * Every refusal names the field at fault. On both databases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendConsentEvents } from '../../src/store/consent-repo';
import { moveWindows } from '../../src/store/contacts-repo';
import { EMILIA, type Harness, REMINDER, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

const HOUR = 3_600_000;

describe.each(DIALECTS)('contact book on %s', (dialect) => {
  let h: Harness;
  let now = Date.parse('2026-11-30T12:00:00Z');
  const put = (ref: string, body: unknown) => h.api('PUT', `/v1/contacts/${encodeURIComponent(ref)}`, body);
  const patch = (ref: string, body: unknown) =>
    h.api('PATCH', `/v1/contacts/${encodeURIComponent(ref)}`, body);
  const get = (ref: string) => h.api('GET', `/v1/contacts/${encodeURIComponent(ref)}`);
  const list = async (query: string) => {
    const res = await h.api('GET', `/v1/contacts?${query}`);
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    return res.json.data.map((c: { name: string }) => c.name).sort();
  };
  const tagRows = async (contactId: string) =>
    (
      await h.store.db
        .selectFrom('contact_tags')
        .select('tag')
        .where('contact_id', '=', contactId)
        .orderBy('tag')
        .execute()
    ).map((r) => r.tag);

  beforeAll(async () => {
    h = await startHarness(dialect, { clock: () => now });
  });
  afterAll(() => h.close());

  it('PUT by phone creates (201), the same PUT again changes nothing (200), a smaller PUT clears what it leaves out', async () => {
    const created = await put('+54 9 341 555-0101', {
      name: ' Ana  ',
      language: 'es_AR',
      tags: ['vip', 'rosario', 'vip'],
      attributes: { city: 'Rosario', visits: 3, member: true, since: '2024-02-29' },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const ana = created.json;
    expect(ana).toMatchObject({
      id: expect.stringMatching(/^ctc_/),
      wa_id: '5493415550101',
      phone: '+5493415550101',
      name: 'Ana',
      language: 'es-AR',
      time_zone: 'America/Argentina/Buenos_Aires',
      time_zone_inferred: true,
      tags: ['rosario', 'vip'],
      attributes: { city: 'Rosario', member: true, since: '2024-02-29', visits: 3 },
      consent: { marketing: 'unknown', all: 'unknown', updated_at: null },
      window: { open: false, expires_at: null, last_inbound_at: null, remaining_seconds: 0 },
    });
    expect(Object.keys(ana.attributes)).toEqual(['city', 'member', 'since', 'visits']);
    expect(await tagRows(ana.id)).toEqual(['rosario', 'vip']);

    now += 1000;
    const again = await put(ana.id, {
      phone: '+5493415550101',
      name: 'Ana',
      language: 'es-AR',
      tags: ['vip', 'rosario'],
      attributes: { visits: 3, since: '2024-02-29', member: true, city: 'Rosario' },
    });
    expect(again.status).toBe(200);
    expect(again.json.updated_at).toBe(ana.updated_at);

    const replaced = await put('5493415550101', {
      name: 'Ana María',
      time_zone: 'america/cordoba',
      tags: ['vip'],
    });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({
      id: ana.id,
      name: 'Ana María',
      language: null,
      time_zone: 'America/Cordoba',
      time_zone_inferred: false,
      tags: ['vip'],
      attributes: {},
    });
    expect(await tagRows(ana.id)).toEqual(['vip']);
  });

  it('refuses what it cannot store, naming each field, and writes nothing', async () => {
    const bad = await put('+54 9 341 555-0102', {
      name: 'x'.repeat(300),
      time_zone: '-03:00',
      tags: ['a|b'],
      attributes: { nested: { no: 1 } },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('INPUT_INVALID');
    expect(bad.json.error.details.map((d: { path: string }) => d.path)).toEqual([
      'body.name',
      'body.time_zone',
      'body.tags',
      'body.attributes',
    ]);
    expect(bad.json.error.details[1].message).toContain('IANA');
    expect((await get('+54 9 341 555-0102')).status).toBe(404);

    const consent = await put('+54 9 341 555-0102', { name: 'Beto', opted_out: true });
    expect(consent.status).toBe(400);
    expect(consent.json.error.details[0].path).toBe('body.opted_out');
    expect(consent.json.error.details[0].message).toContain('POST /v1/contacts/{contact}/consent');

    const unknownField = await put('+54 9 341 555-0102', { nmae: 'Beto' });
    expect(unknownField.status).toBe(400);
    expect(JSON.stringify(unknownField.json.error.details)).toContain('nmae');

    const mismatch = await put('+54 9 341 555-0102', { phone: '+54 9 341 555-0103' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.error.details[0]).toMatchObject({ path: 'body.phone' });

    const phone = await put('+54 12', { name: 'x' });
    expect(phone.status).toBe(422);
    expect(phone.json.error.code).toBe('PHONE_INVALID');

    const unknownId = await put('ctc_01JD2Q0000000000000000000Z', { name: 'x' });
    expect(unknownId.status).toBe(404);
    expect(unknownId.json.error.code).toBe('CONTACT_NOT_FOUND');
  });

  it('PATCH merges attributes and tags, clears with null, and refuses contradictions', async () => {
    const c = (
      await put('+54 9 341 555-0110', { name: 'Carla', tags: ['a', 'b'], attributes: { x: 1, y: 'keep' } })
    ).json;
    const merged = await patch(c.id, {
      attributes: { z: '2026-01-31', x: 2 },
      remove_attributes: ['y'],
      add_tags: ['c', 'a'],
      remove_tags: ['b'],
      language: 'pt-BR',
    });
    expect(merged.status, JSON.stringify(merged.json)).toBe(200);
    expect(merged.json).toMatchObject({
      name: 'Carla',
      language: 'pt-BR',
      tags: ['a', 'c'],
      attributes: { x: 2, z: '2026-01-31' },
    });
    expect(await tagRows(c.id)).toEqual(['a', 'c']);

    const cleared = await patch('+5493415550110', { name: null, time_zone: null });
    expect(cleared.json).toMatchObject({
      name: null,
      time_zone: 'America/Argentina/Buenos_Aires',
      time_zone_inferred: true,
    });

    const contradictory = await patch(c.id, {
      attributes: { x: 3 },
      remove_attributes: ['x'],
      add_tags: ['d'],
      remove_tags: ['d'],
      time_zone: 'Mars/Olympus',
    });
    expect(contradictory.status).toBe(400);
    expect(contradictory.json.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'body.remove_attributes[0]',
      'body.remove_tags',
      'body.time_zone',
    ]);
    expect((await get(c.id)).json.attributes).toEqual({ x: 2, z: '2026-01-31' });
    const badDate = await patch(c.id, { attributes: { due: '2026-02-30' } });
    expect(badDate.status).toBe(400);
    expect(badDate.json.error.details[0].message).toContain('not a real date');
    expect((await patch('+54 9 341 555-0199', { name: 'nobody' })).status).toBe(404);
    const consent = await patch(c.id, { opted_out: false });
    expect(consent.status).toBe(400);
    expect(consent.json.error.details[0].message).toContain('/consent');
  });

  it('GET shows the window, the consent ledger and the last messages both ways, newest first', async () => {
    // Meta's inbound times are whole seconds: our send is set well before the user's answer.
    now = Date.now() - 5_000;
    const emilia = (await put(EMILIA.phone, { name: 'Emilia', tags: ['patient'] })).json;
    const sent = await h.api('POST', '/v1/messages', REMINDER);
    expect(sent.status).toBe(202);
    const onPhone = await h.waitFor('template on the phone', () =>
      h.embedded.sandbox.users.inbox(EMILIA.waId).find((m) => m.type === 'template'),
    );
    h.embedded.sandbox.users.sendText(h.embedded.whatsapp.phoneNumberId, EMILIA.waId, 'Confirmo, gracias', {
      contextWamid: onPhone.wamid,
    });
    await h.waitFor('reply', () => h.events.find((e) => e.type === 'message.reply'));
    await appendConsentEvents(
      h.store.db,
      [
        {
          id: 'cev_test_1',
          accountId: emilia.account_id,
          contactId: emilia.id,
          channel: 'whatsapp',
          scope: 'marketing',
          state: 'opted_out',
          source: 'api',
          evidence: { note: 'asked by phone' },
          at: now - HOUR,
        },
      ],
      now,
    );
    const detail = await get(EMILIA.phone);
    expect(detail.status).toBe(200);
    expect(detail.json).toMatchObject({
      id: emilia.id,
      tags: ['patient'],
      window: { open: true },
      consent: {
        marketing: 'opted_out',
        all: 'unknown',
        history: [
          { scope: 'marketing', state: 'opted_out', source: 'api', evidence: { note: 'asked by phone' } },
        ],
      },
    });
    const messages = detail.json.messages;
    expect(messages.map((m: { direction: string }) => m.direction)).toEqual(['inbound', 'outbound']);
    expect(messages[0]).toMatchObject({ type: 'text', snippet: 'Confirmo, gracias', status: null });
    expect(messages[1]).toMatchObject({
      id: sent.json.id,
      template: 'appointment_reminder',
      type: 'template',
    });
    expect(messages[1].snippet).toContain('Emilia');
  });

  it('lists with every filter, and pages with a cursor that new contacts do not disturb', async () => {
    now = Date.parse('2026-12-01T12:00:00Z');
    const people = [
      {
        phone: '+1 650 555 0001',
        name: 'Dora',
        tags: ['vip', 'promo'],
        attributes: { city: 'Rosario', age: 31, plan: 'gold' },
      },
      { phone: '+1 650 555 0002', name: 'Eva', tags: ['vip'], attributes: { city: 'Córdoba', age: 25 } },
      {
        phone: '+1 650 555 0003',
        name: 'Fede',
        tags: ['promo'],
        attributes: { city: 'Rosario', age: '40', vip: false },
      },
      { phone: '+1 650 555 0004', name: 'Gabi', tags: [], attributes: { since: '2025-06-01' } },
    ];
    const ids: Record<string, string> = {};
    for (const p of people) {
      const r = await put(p.phone, { name: p.name, tags: p.tags, attributes: p.attributes });
      expect(r.status).toBe(201);
      ids[p.name] = r.json.id;
    }
    const account = (await get(ids.Dora!)).json.account_id;
    await moveWindows(
      h.store.db,
      [
        { contactId: ids.Dora!, at: now - HOUR },
        { contactId: ids.Eva!, at: now - 30 * HOUR },
      ],
      now,
    );
    await appendConsentEvents(
      h.store.db,
      [
        {
          id: 'cev_test_2',
          accountId: account,
          contactId: ids.Fede!,
          channel: 'whatsapp',
          scope: 'all',
          state: 'opted_out',
          source: 'keyword',
          evidence: null,
          at: now,
        },
      ],
      now,
    );
    const only = (names: string[]) => names.filter((n) => Object.keys(ids).includes(n));
    expect(only(await list('tag=vip'))).toEqual(['Dora', 'Eva']);
    expect(only(await list('tag=vip&tag=promo'))).toEqual(['Dora']);
    expect(only(await list('tag_any=vip,promo'))).toEqual(['Dora', 'Eva', 'Fede']);
    expect(only(await list('tag_none=vip&q=%2B1650'))).toEqual(['Fede', 'Gabi']);
    expect(only(await list('attr=city:eq:Rosario'))).toEqual(['Dora', 'Fede']);
    expect(only(await list('attr=city:ne:Rosario&q=%2B1%20650'))).toEqual(['Eva', 'Gabi']);
    // 40 stored as text is not a number: numbers compare with numbers only.
    expect(only(await list('attr=age:gt:26'))).toEqual(['Dora']);
    expect(only(await list('attr=age:eq:%2240%22'))).toEqual(['Fede']);
    expect(only(await list('attr=age:lt:30'))).toEqual(['Eva']);
    expect(only(await list('attr=city:in:Rosario,C%C3%B3rdoba&attr=age:exists'))).toEqual([
      'Dora',
      'Eva',
      'Fede',
    ]);
    expect(only(await list('attr=since:gt:2025-01-01'))).toEqual(['Gabi']);
    expect(only(await list('attr=vip:eq:false'))).toEqual(['Fede']);
    expect(only(await list('attr=plan:exists:false&tag=vip'))).toEqual(['Eva']);
    expect(only(await list('opted_out=true'))).toEqual(['Fede']);
    expect(only(await list('opted_out=false&q=%2B1650555'))).toEqual(['Dora', 'Eva', 'Gabi']);
    expect(only(await list('window=open&q=%2B1650'))).toEqual(['Dora']);
    expect(only(await list('window=closed&q=%2B1650'))).toEqual(['Eva', 'Fede', 'Gabi']);
    expect(only(await list('q=ABI'))).toEqual(['Gabi']);
    expect(only(await list('q=%2B1%20650%20555%20000'))).toEqual(['Dora', 'Eva', 'Fede', 'Gabi']);
    expect(only(await list('q=100%25'))).toEqual([]);

    // Pages of 2 in creation order; a contact created mid-way shows up on a later page, once.
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await h.api('GET', `/v1/contacts?q=%2B1650&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.json.data.map((c: { name: string }) => c.name));
      cursor = res.json.next_cursor;
      if (pages++ === 0) await put('+1 650 555 0005', { name: 'Hugo' });
    } while (cursor);
    expect(seen).toEqual(['Dora', 'Eva', 'Fede', 'Gabi', 'Hugo']);
    expect(pages).toBe(3);
  });

  it('finds a contact by its BSUID too, and never creates one from a BSUID', async () => {
    const c = (await put('+54 9 341 555-0120', { name: 'Bruno' })).json;
    await h.store.db
      .updateTable('contacts')
      .set({ bsuid: 'AR.13491208655302741918' })
      .where('id', '=', c.id)
      .execute();
    const byBsuid = await put('AR.13491208655302741918', { name: 'Bruno B.', tags: ['username'] });
    expect(byBsuid.status).toBe(200);
    expect(byBsuid.json).toMatchObject({
      id: c.id,
      bsuid: 'AR.13491208655302741918',
      name: 'Bruno B.',
      tags: ['username'],
    });
    expect((await get('AR.13491208655302741918')).json.id).toBe(c.id);
    const unknown = await put('AR.99999999999999999999', { name: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.hint).toContain('PUT /v1/contacts/{phone}');
  });

  it('refuses a bad filter, naming the parameter', async () => {
    const attr = await h.api('GET', '/v1/contacts?attr=city:like:Ros');
    expect(attr.status).toBe(400);
    expect(attr.json.error.details[0]).toMatchObject({
      path: 'querystring.attr',
      message: expect.stringContaining('name:op:value'),
    });
    const name = await h.api('GET', '/v1/contacts?attr=__proto__:eq:1');
    expect(name.status).toBe(400);
    const lt = await h.api('GET', '/v1/contacts?attr=member:lt:true');
    expect(lt.status).toBe(400);
    expect(lt.json.error.details[0].path).toBe('querystring.attr.value');
    const tag = await h.api('GET', `/v1/contacts?tag=${'t'.repeat(65)}`);
    expect(tag.status).toBe(400);
    expect(tag.json.error.details[0].path).toBe('querystring.tag');
    const cursor = await h.api('GET', '/v1/contacts?cursor=bm9wZQ');
    expect(cursor.status).toBe(400);
    expect(cursor.json.error.details[0].message).toContain('next_cursor');
    expect((await h.api('GET', '/v1/contacts?limit=501')).status).toBe(400);
    expect((await h.api('GET', '/v1/contacts?opted_out=yes')).status).toBe(400);
  });
});
