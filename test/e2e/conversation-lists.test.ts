/**
 * The agent's views on both databases: contacts waiting for an answer (longest wait first),
 * windows closing soon (soonest first), a contact's thread both ways in order (templates
 * rendered, taps, statuses with failure reasons, held answers), each paged by an opaque cursor;
 * and the CSV import preview the column mapping is built on. Answers are checked against the
 * published OpenAPI document.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, REMINDER, startHarness } from '../support/harness';
import { expectDocumented, type OpenApiDoc } from '../support/openapi';
import { DIALECTS } from '../support/stores';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe.each(DIALECTS)('conversation lists, thread and import preview on %s', (dialect) => {
  let h: Harness;
  let doc: OpenApiDoc;
  let offset = 0;
  const clock = () => Date.now() + offset;
  let n = 0;
  const user = () => `54911556${String(1000 + ++n).padStart(5, '0')}`;
  const phoneId = () => h.embedded.whatsapp.phoneNumberId;

  /** The user writes `text`, `ageMs` ago by the shared clock; resolves with the contact id. */
  const write = async (waId: string, text: string, ageMs = 0) => {
    h.embedded.sandbox.users.sendText(phoneId(), waId, text, { at: clock() - ageMs });
    const e = await h.waitFor(`message.received "${text}"`, () =>
      h.events.find((x) => x.type === 'message.received' && x.data.message.text === text),
    );
    return e.data.contact.id as string;
  };
  const get = async (path: string) => {
    const res = await h.api('GET', path);
    const key = `get ${path.split('?')[0]!.replace(/\/v1\/contacts\/[^/]+\/thread/, '/v1/contacts/{contact}/thread')}`;
    expectDocumented(doc, key, res);
    return res;
  };
  const statusOf = (id: string, status: string) =>
    h.waitFor(`${id} ${status}`, () =>
      h.events.find((e) => e.type === 'message.status' && e.data.id === id && e.data.status === status),
    );

  beforeAll(async () => {
    h = await startHarness(dialect, { clock, sandbox: { now: clock } });
    doc = (await (await request(`${h.url}/docs/json`)).body.json()) as OpenApiDoc;
  });
  afterAll(() => h?.close());

  it('lists the waiting, longest wait first, with the question, the last message and held answers', async () => {
    const [a, b, c] = [user(), user(), user()];
    const ca = await write(a, 'Quiero hablar con una persona', 2 * HOUR);
    const cb = await write(b, '¿Me llaman?', HOUR);
    const cc = await write(c, 'Hola');
    const mark = (id: string, question: string) =>
      h.api('POST', `/v1/contacts/${id}/waiting`, { reason: 'agent', question, resume: null });
    expect((await mark(ca, '¿Puedo cambiar mi turno?')).status).toBe(201);
    offset += 1_000;
    expect((await mark(cb, 'Necesito una orden')).status).toBe(201);
    offset += 1_000;
    expect((await mark(cc, 'nada')).status).toBe(201);
    expect((await h.api('DELETE', `/v1/contacts/${cc}/waiting`)).json.cleared).toBe(true);
    offset += 23 * HOUR + MIN; // Beto's window (1 h old) has closed, Ana's (2 h) too.
    const held = await h.api('POST', '/v1/messages', {
      to: `+${b}`,
      text: { body: 'Sí, la orden está lista.' },
      when_closed: { template: REMINDER.template },
    });
    expect(held.json.path, JSON.stringify(held.json)).toBe('template_then_held');

    const list = await get('/v1/conversations/waiting');
    expect(list.status).toBe(200);
    const mine = list.json.data.filter((i: any) => [ca, cb, cc].includes(i.contact.id));
    expect(mine.map((i: any) => i.contact.id)).toEqual([ca, cb]);
    expect(mine[0]).toMatchObject({
      contact: { wa_id: a, window: { open: false } },
      waiting: { state: 'waiting', reason: 'agent', question: '¿Puedo cambiar mi turno?' },
      last_inbound: { type: 'text', text: 'Quiero hablar con una persona' },
      held: 0,
    });
    expect(mine[1]).toMatchObject({ waiting: { question: 'Necesito una orden' }, held: 1 });

    const first = await get('/v1/conversations/waiting?limit=1');
    expect(first.json.data).toHaveLength(1);
    expect(first.json.next_cursor).toEqual(expect.any(String));
    const second = await get(`/v1/conversations/waiting?limit=1&cursor=${first.json.next_cursor}`);
    expect(second.json.data[0].contact.id).not.toBe(first.json.data[0].contact.id);
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await get(`/v1/conversations/waiting?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      all.push(...page.json.data.map((i: any) => i.contact.id));
      cursor = page.json.next_cursor;
    } while (cursor);
    expect(all).toEqual(list.json.data.map((i: any) => i.contact.id));

    const bad = await h.api('GET', '/v1/conversations/waiting?cursor=bm9wZQ');
    expect(bad.status).toBe(400);
    expect(bad.json.error.details[0].path).toBe('querystring.cursor');
    expectDocumented(doc, 'get /v1/conversations/waiting', bad);
  });

  it('lists windows closing soon, soonest first, within the duration asked', async () => {
    const [soon, later, far, closed] = [user(), user(), user(), user()];
    const cSoon = await write(soon, 'se cierra pronto', 24 * HOUR - 30 * MIN);
    const cLater = await write(later, 'se cierra en dos horas', 22 * HOUR);
    const cFar = await write(far, 'se cierra mañana', 10 * HOUR);
    const cClosed = await write(closed, 'ya cerró', 25 * HOUR);
    const ids = (res: any) =>
      res.json.data
        .map((i: any) => i.contact.id)
        .filter((id: string) => [cSoon, cLater, cFar, cClosed].includes(id));

    const hour = await get('/v1/conversations/closing?within=PT1H');
    expect(ids(hour)).toEqual([cSoon]);
    const item = hour.json.data.find((i: any) => i.contact.id === cSoon);
    expect(item.contact.window.open).toBe(true);
    expect(item.contact.window.remaining_seconds).toBeGreaterThan(25 * 60);
    expect(item.contact.window.remaining_seconds).toBeLessThanOrEqual(30 * 60);
    expect(item.last_inbound.text).toBe('se cierra pronto');

    expect(ids(await get('/v1/conversations/closing'))).toEqual([cSoon, cLater]);
    expect(ids(await get('/v1/conversations/closing?within=P1D'))).toEqual([cSoon, cLater, cFar]);

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await get(
        `/v1/conversations/closing?within=P1D&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      paged.push(...ids(page));
      cursor = page.json.next_cursor;
    } while (cursor);
    expect(paged).toEqual([cSoon, cLater, cFar]);

    for (const within of ['PT48H', 'soon', 'PT0S']) {
      const bad = await h.api('GET', `/v1/conversations/closing?within=${within}`);
      expect(bad.status, within).toBe(400);
      expect(bad.json.error.details[0].path).toBe('querystring.within');
    }
    const waitingCursor = (await get('/v1/conversations/waiting?limit=1')).json.next_cursor;
    const foreign = await h.api('GET', `/v1/conversations/closing?cursor=${waitingCursor}`);
    expect(foreign.status).toBe(400);
  });

  it("shows a contact's thread in order: texts, templates rendered, taps, statuses, failures, held answers", async () => {
    const waId = user();
    const contactId = await write(waId, 'Hola, ¿tengo turno?', 30 * MIN);
    const reminder = await h.api('POST', '/v1/messages', { ...REMINDER, to: `+${waId}` });
    expect(reminder.status).toBe(202);
    const delivered = await statusOf(reminder.json.id, 'delivered');
    offset += 1_000;
    h.embedded.sandbox.users.tapButton(phoneId(), waId, delivered.data.provider_message_id, 'Confirmar');
    await h.waitFor('the tap', () =>
      h.events.find((e) => e.type === 'message.reply' && e.data.contact?.id === contactId),
    );
    offset += 1_000;
    h.embedded.sandbox.injectError({ code: 131026, to: waId, mode: 'sync' });
    const failing = await h.api('POST', '/v1/messages', { to: `+${waId}`, text: { body: 'Te confirmo' } });
    await statusOf(failing.json.id, 'failed');
    offset += 1_000;
    const text = await h.api('POST', '/v1/messages', { to: `+${waId}`, text: { body: '¡Gracias!' } });
    await statusOf(text.json.id, 'delivered');
    offset += 24 * HOUR;
    const held = await h.api('POST', '/v1/messages', {
      to: `+${waId}`,
      text: { body: 'Te escribo más tarde' },
      when_closed: { template: REMINDER.template },
    });
    expect(held.json.path).toBe('template_then_held');

    const thread = await get(`/v1/contacts/${contactId}/thread`);
    expect(thread.status).toBe(200);
    expect(thread.json.contact_id).toBe(contactId);
    expect(thread.json.next_cursor).toBeNull();
    const items = thread.json.data as any[];
    const times = items.map((i) => i.at);
    expect([...times].sort()).toEqual(times);
    expect(items.slice(0, 5).map((i) => [i.direction, i.message.id])).toEqual([
      ['inbound', expect.stringMatching(/^inb_/)],
      ['outbound', reminder.json.id],
      ['inbound', expect.stringMatching(/^inb_/)],
      ['outbound', failing.json.id],
      ['outbound', text.json.id],
    ]);
    // The held answer and the template that invites a reply are written together.
    expect(
      items
        .slice(5)
        .map((i) => i.message.id)
        .sort(),
    ).toEqual([held.json.id, held.json.template_message_id].sort());
    const heldItem = items.find((i) => i.message.id === held.json.id);
    expect(items[0].message).toMatchObject({
      type: 'text',
      text: 'Hola, ¿tengo turno?',
      reply_to_message_id: null,
    });
    expect(items[1]).toMatchObject({
      text: 'Hola Emilia, te recordamos tu turno en SaludCenter con la Dra. Gómez el lunes 3 de marzo a las 10:00. ¿Podés confirmar tu asistencia?',
      rendered: {
        header: null,
        footer: 'SaludCenter · turnos',
        buttons: [
          { type: 'QUICK_REPLY', text: 'Confirmar' },
          { type: 'QUICK_REPLY', text: 'Cancelar' },
        ],
      },
      message: { kind: 'template', template: { name: 'appointment_reminder', language: 'es_AR' } },
    });
    expect(['delivered', 'read']).toContain(items[1].message.status);
    expect(items[2].message).toMatchObject({
      type: 'button',
      text: 'Confirmar',
      payload: 'CONFIRM:appt-123',
      reply_to_message_id: reminder.json.id,
    });
    expect(items[3]).toMatchObject({
      text: 'Te confirmo',
      rendered: null,
      message: { status: 'failed', error: { code: 131026, message: expect.any(String) } },
    });
    expect(items[4]).toMatchObject({ text: '¡Gracias!', message: { kind: 'text' } });
    expect(heldItem).toMatchObject({
      text: 'Te escribo más tarde',
      message: { status: 'held', hold_until: expect.any(String), released_by: null },
    });

    // Two at a time, back in time: the same items, in the same order.
    const pages: any[][] = [];
    let cursor: string | null = null;
    do {
      const page: any = await get(`/v1/contacts/+${waId}/thread?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      pages.unshift(page.json.data);
      cursor = page.json.next_cursor;
    } while (cursor);
    expect(pages.flat().map((i) => i.message.id)).toEqual(items.map((i) => i.message.id));
    expect(pages.map((p) => p.length)).toEqual([1, 2, 2, 2]);

    const unknown = await h.api('GET', '/v1/contacts/+5491100000000/thread');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('CONTACT_NOT_FOUND');
    expectDocumented(doc, 'get /v1/contacts/{contact}/thread', unknown);
    const mangled = await h.api('GET', `/v1/contacts/${contactId}/thread?cursor=MTIzLm1zZ19ub3Bl`);
    expect(mangled.status).toBe(400);
    expect(mangled.json.error.details[0].path).toBe('querystring.cursor');
  });

  describe('import preview', () => {
    const preview = async (csv: string | Buffer, query = '') => {
      const raw = await request(`${h.url}/v1/contacts/import/preview${query}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.key}`, 'content-type': 'text/csv' },
        body: csv,
      });
      const res = { status: raw.statusCode, json: (await raw.body.json()) as any };
      expectDocumented(doc, 'post /v1/contacts/import/preview', res);
      return res;
    };
    const FILE =
      'Teléfono;Nombre;Ciudad;Etiquetas\n+54 9 341 555-0101;Ana;Rosario;vip\n12;Beto;Córdoba;\n+54 9 341 555-0103;Caro;Rosario;vip|promo\n+54 9 341 555-01';

    it('shows what each column becomes and why a row would be rejected, as the import would read them', async () => {
      const unmapped = await preview(FILE);
      expect(unmapped.status).toBe(200);
      expect(unmapped.json).toMatchObject({ delimiter: ';', bom: false, rows_read: 3 });
      expect(unmapped.json.problem).toMatch(/column "Teléfono" cannot be an attribute/);
      expect(unmapped.json.columns.map((c: any) => [c.header, c.becomes])).toEqual([
        ['Teléfono', null],
        ['Nombre', null],
        ['Ciudad', null],
        ['Etiquetas', null],
      ]);

      const mapped = await preview(
        FILE,
        '?phone_column=Tel%C3%A9fono&map=Nombre%3Dname&map=Etiquetas%3Dtags&map=Ciudad%3Dcity&rows=10',
      );
      expect(mapped.json.problem).toBeNull();
      expect(mapped.json.columns).toEqual([
        { index: 0, header: 'Teléfono', becomes: 'phone', attribute: null },
        { index: 1, header: 'Nombre', becomes: 'name', attribute: null },
        { index: 2, header: 'Ciudad', becomes: 'attribute', attribute: 'city' },
        { index: 3, header: 'Etiquetas', becomes: 'tags', attribute: null },
      ]);
      // The cut last line is not a row until the whole file is said to be there.
      expect(mapped.json.rows.map((r: any) => [r.line, r.reject?.column ?? null])).toEqual([
        [2, null],
        [3, 'Teléfono'],
        [4, null],
      ]);
      expect(mapped.json.rows[1].reject.reason).toMatch(/12/);
      expect(mapped.json.rows[0].fields).toEqual(['+54 9 341 555-0101', 'Ana', 'Rosario', 'vip']);

      const whole = await preview(FILE, '?phone_column=Tel%C3%A9fono&complete=true&rows=10');
      expect(whole.json.rows_read).toBe(4);
      expect(whole.json.rows[3]).toMatchObject({
        line: 5,
        reject: { column: null, reason: expect.stringMatching(/field/) },
      });
      expect(whole.json.columns[1]).toEqual({
        index: 1,
        header: 'Nombre',
        becomes: 'attribute',
        attribute: 'Nombre',
      });

      const clash = await preview(FILE, '?phone_column=Tel%C3%A9fono&map=Nombre%3Dname&map=Ciudad%3Dname');
      expect(clash.json.problem).toMatch(/both become "name"/);
    });

    it('refuses what no mapping can import, and bodies that are not a CSV prefix', async () => {
      const zip = await preview(Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]));
      expect(zip.status).toBe(422);
      expect(zip.json.error.code).toBe('CSV_INVALID');
      expect(zip.json.error.message).toMatch(/zip/);
      const empty = await preview('', '?complete=true');
      expect(empty.status).toBe(422);
      const json = await h.api('POST', '/v1/contacts/import/preview', { phone: 1 });
      expect(json.status).toBe(415);
      const big = await preview(`phone\n${'5491155550000\n'.repeat(6_000)}`);
      expect(big.status).toBe(413);
      expect(big.json.error.code).toBe('BODY_TOO_LARGE');
      const badMap = await preview('phone\n1\n', '?map=oops');
      expect(badMap.status).toBe(400);
      expect(badMap.json.error.details[0].path).toBe('query.map[0]');
      const viewer = (await h.app.apiKeys.create('viewer', 'viewer')).key;
      const refused = await h.api('POST', '/v1/contacts/import/preview', 'phone\n', {
        'content-type': 'text/csv',
        authorization: `Bearer ${viewer}`,
      });
      expect(refused.status).toBe(403);
    });
  });
});
