/**
 * Erasure (a data-protection request) end to end: a person with a profile, a template sent,
 * statuses and a reply received, a consent entry and a message still queued is erased; then no
 * text column of any table holds their number, name or anything they wrote or were sent, the
 * anonymous rows still count, the contact is gone for every lookup, and the same number writing
 * again becomes a new contact. On both databases.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendConsentEvents } from '../../src/store/consent-repo';
import { insertMessages } from '../../src/store/messages-repo';
import { EMILIA, type Harness, REMINDER, startHarness } from '../support/harness';
import { DIALECTS, type TestStore } from '../support/stores';

/** Every (table, column) whose text holds `needle`, across the whole database. */
async function whereFound(store: TestStore, needle: string): Promise<string[]> {
  const db = store.db;
  const columns: Array<{ table: string; column: string }> = [];
  if (store.dialect === 'sqlite') {
    const tables = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table'`.execute(
      db,
    );
    for (const { name } of tables.rows) {
      const info = await sql<{ name: string }>`SELECT name FROM pragma_table_info(${name})`.execute(db);
      for (const c of info.rows) columns.push({ table: name, column: c.name });
    }
  } else {
    const info = await sql<{ table_name: string; column_name: string }>`
      SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = ${store.pgSchema}`.execute(
      db,
    );
    for (const c of info.rows) columns.push({ table: c.table_name, column: c.column_name });
  }
  expect(columns.length).toBeGreaterThan(50);
  const found: string[] = [];
  for (const { table, column } of columns) {
    const r = await sql<{ n: number | string }>`
      SELECT COUNT(*) AS n FROM ${sql.table(table)} WHERE CAST(${sql.ref(column)} AS TEXT) LIKE ${`%${needle}%`}`.execute(
      db,
    );
    if (Number(r.rows[0]!.n) > 0) found.push(`${table}.${column}`);
  }
  return found;
}

describe.each(DIALECTS)('erasing a contact on %s', (dialect) => {
  let h: Harness;
  let contactId: string;
  let sentId: string;
  const SECRETS = {
    name: 'Emilia Zárate-Quispe',
    address: 'Calle Falsa 742',
    param: 'Zárate turno 8F',
    reply: 'Mi DNI es 30111222',
    metadata: 'historia-clinica-55',
    question: '¿Me pueden recetar clonazepam?',
    waitingTicket: 'ticket-psiquiatria-9',
  };

  beforeAll(async () => {
    h = await startHarness(dialect);
    h.embedded.sandbox.users.setName(EMILIA.waId, SECRETS.name);
    const created = await h.api('PUT', `/v1/contacts/${encodeURIComponent(EMILIA.phone)}`, {
      name: SECRETS.name,
      tags: ['patient', 'rosario'],
      attributes: { address: SECRETS.address },
    });
    expect(created.status).toBe(201);
    contactId = created.json.id;
    const sent = await h.api(
      'POST',
      '/v1/messages',
      {
        ...REMINDER,
        template: { ...REMINDER.template, body: [SECRETS.param, 'la Dra. Gómez', 'lunes'] },
        metadata: { record: SECRETS.metadata },
      },
      { 'idempotency-key': `${SECRETS.metadata}-key` },
    );
    expect(sent.status).toBe(202);
    sentId = sent.json.id;
    const onPhone = await h.waitFor('template on the phone', () =>
      h.embedded.sandbox.users.inbox(EMILIA.waId).find((m) => m.type === 'template'),
    );
    await h.waitFor('read', () =>
      h.events.find((e) => e.type === 'message.status' && e.data.status === 'read'),
    );
    h.embedded.sandbox.users.sendText(h.embedded.whatsapp.phoneNumberId, EMILIA.waId, SECRETS.reply, {
      contextWamid: onPhone.wamid,
    });
    await h.waitFor('reply', () => h.events.find((e) => e.type === 'message.reply'));
    await h.waitFor('every webhook applied', async () => {
      const pending = await h.store.db
        .selectFrom('webhook_inbox')
        .select('id')
        .where('status', '=', 'pending')
        .execute();
      return pending.length === 0;
    });
    const account = h.app.accounts.all()[0]!.id;
    await appendConsentEvents(
      h.store.db,
      [
        {
          id: 'cev_erase_1',
          accountId: account,
          contactId,
          channel: 'whatsapp',
          scope: 'marketing',
          state: 'opted_out',
          source: 'keyword',
          evidence: { keyword: 'BAJA', message_text: SECRETS.reply },
          at: Date.now(),
        },
      ],
      Date.now(),
    );
    // A message still waiting (due in a day): it must never leave for an erased person.
    await insertMessages(h.store.db, [
      {
        id: 'msg_01JD2Q00000000000000000QUE',
        accountId: account,
        contactId,
        to: EMILIA.waId,
        content: { kind: 'text', text: { body: `Hola ${SECRETS.name}` } } as never,
        template: null,
        metadata: null,
        idempotencyKey: null,
        requestHash: null,
        replyToProviderId: null,
        queuedAt: Date.now() + 86_400_000,
      },
    ]);
    // Waiting for an agent, with her question in her words: dropped, and no resume goes.
    const waiting = await h.api('POST', `/v1/contacts/${contactId}/waiting`, {
      reason: 'agent',
      question: SECRETS.question,
      metadata: { ticket: SECRETS.waitingTicket },
      resume: null,
    });
    expect(waiting.status, JSON.stringify(waiting.json)).toBe(201);
    await h.api('POST', '/v1/audiences', {
      name: 'Emilia only',
      definition: { list: { contacts: [EMILIA.phone, contactId] } },
    });
  });
  afterAll(() => h.close());

  it('holds the personal strings before erasure (the scan can find them)', async () => {
    expect(await whereFound(h.store, SECRETS.reply)).toEqual(
      expect.arrayContaining(['inbound_messages.text', 'webhook_inbox.body']),
    );
    expect(await whereFound(h.store, EMILIA.waId)).toEqual(
      expect.arrayContaining(['contacts.wa_id', 'messages.to_wa']),
    );
  });

  it('erases every trace in one request, keeping anonymous counts', async () => {
    const erased = await h.api('DELETE', `/v1/contacts/${encodeURIComponent(EMILIA.phone)}`);
    expect(erased.status, JSON.stringify(erased.json)).toBe(200);
    expect(erased.json.contact_id).toBe(contactId);
    expect(erased.json.erased).toMatchObject({
      contacts: 1,
      contact_tags: 2,
      messages: 2,
      messages_cancelled: 1,
      inbound_messages: 1,
      consent_events: 1,
      audiences: 1,
      waiting_marks: 1,
      window_timers: 2,
    });
    expect(erased.json.erased.events).toBeGreaterThan(0);
    expect(erased.json.erased.webhook_inbox).toBeGreaterThan(0);

    for (const [what, needle] of Object.entries({ ...SECRETS, waId: EMILIA.waId, phone: '+5491155551234' })) {
      expect(await whereFound(h.store, needle), what).toEqual([]);
    }

    // The rows stay, anonymous: counts per status and template still add up.
    const sent = await h.api('GET', '/v1/messages?template=appointment_reminder');
    expect(sent.json.data.map((m: { id: string }) => m.id)).toEqual([sentId]);
    expect(sent.json.data[0].status).toBe('read');
    const cancelled = await h.api('GET', '/v1/messages/msg_01JD2Q00000000000000000QUE');
    expect(cancelled.json.status).toBe('failed');
    const ledger = await h.store.db
      .selectFrom('consent_events')
      .selectAll()
      .where('contact_id', '=', contactId)
      .execute();
    expect(ledger).toMatchObject([
      { scope: 'marketing', state: 'opted_out', source: 'keyword', evidence: null },
    ]);
    const audience = (await h.api('GET', '/v1/audiences')).json.data[0];
    expect(audience.definition).toEqual({ list: { contacts: [] } });
  });

  it('is gone for every lookup, and a second erasure finds nobody', async () => {
    expect((await h.api('GET', `/v1/contacts/${contactId}`)).status).toBe(404);
    expect((await h.api('GET', `/v1/contacts/${encodeURIComponent(EMILIA.phone)}`)).status).toBe(404);
    expect((await h.api('PATCH', `/v1/contacts/${contactId}`, { name: 'x' })).status).toBe(404);
    const again = await h.api('DELETE', `/v1/contacts/${contactId}`);
    expect(again.status).toBe(404);
    expect(again.json.error.code).toBe('CONTACT_NOT_FOUND');
    expect((await h.api('GET', '/v1/contacts')).json.data).toEqual([]);
    expect(
      (await h.api('POST', '/v1/audiences/preview', { all: true, purpose: 'utility' })).json,
    ).toMatchObject({
      count: 0,
      excluded: { erased: 1 },
    });
    const window = await h.api('GET', `/v1/contacts/${encodeURIComponent(EMILIA.phone)}/window`);
    expect(window.json.known).toBe(false);
  });

  it('makes a new contact when the same number writes again', async () => {
    h.embedded.sandbox.users.sendText(h.embedded.whatsapp.phoneNumberId, EMILIA.waId, 'Hola de nuevo');
    const fresh = await h.waitFor('a new contact', async () => {
      const r = await h.api('GET', `/v1/contacts/${encodeURIComponent(EMILIA.phone)}`);
      return r.status === 200 && r.json;
    });
    expect(fresh.id).not.toBe(contactId);
    expect(fresh).toMatchObject({ tags: [], attributes: {}, consent: { marketing: 'unknown', history: [] } });
    expect(fresh.messages.map((m: { snippet: string }) => m.snippet)).toEqual(['Hola de nuevo']);
  });
});
