/**
 * WhatsApp usernames end to end, on both databases: simulated users with a business-scoped user
 * id (BSUID), some hiding their phone. The sandbox sends webhooks without wa_id/from for them
 * and accepts sends addressed with `recipient`; Recontact keeps one contact per person through
 * links, merges and number changes, and refuses what WhatsApp would refuse (131062).
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSeedTemplates } from '../../src/sandbox/seed';
import { type Harness, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

/** An authentication template: WhatsApp will not deliver it to a BSUID. */
const LOGIN_CODE = {
  name: 'login_code',
  language: 'es_AR',
  category: 'AUTHENTICATION' as const,
  components: [{ type: 'BODY' as const, text: '{{1}} es tu código de verificación.' }],
};

const reminder = (to: string) => ({
  to,
  template: {
    name: 'appointment_reminder',
    language: 'es_AR',
    body: ['Sofía', 'la Dra. Gómez', 'lunes 3 de marzo a las 10:00'],
    buttons: [{ payload: 'CONFIRM:appt-9' }, { payload: 'CANCEL:appt-9' }],
  },
});

describe.each(DIALECTS)('BSUID (usernames) on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(dialect, {
      sandbox: { seedTemplates: [...defaultSeedTemplates(), LOGIN_CODE] },
    });
  });
  afterAll(() => h.close());

  const phoneId = () => h.embedded.whatsapp.phoneNumberId;
  const sandbox = () => h.embedded.sandbox;
  const control = async (path: string, body: Record<string, unknown>) => {
    const res = await request(`${sandbox().url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone_number_id: phoneId(), ...body }),
    });
    const json = (await res.body.json()) as Record<string, any>;
    expect(res.statusCode, `${path}: ${JSON.stringify(json)}`).toBe(200);
    return json;
  };
  const contactsOf = (where: { wa_id?: string; bsuid?: string }) => {
    let q = h.store.db.selectFrom('contacts').selectAll();
    if (where.wa_id !== undefined) q = q.where('wa_id', '=', where.wa_id);
    if (where.bsuid !== undefined) q = q.where('bsuid', '=', where.bsuid);
    return q.execute();
  };
  const settled = async (id: string, statuses: string[]) =>
    h.waitFor(`message ${id} in ${statuses.join('/')}`, async () => {
      const m = await h.store.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
      return m && statuses.includes(m.status) ? m : undefined;
    });

  it('a username-only user writes; the bot answers by BSUID (sent as `recipient`), then a template', async () => {
    const waId = '5491155557001';
    const { bsuid } = await control(`/_sandbox/users/${waId}/username`, {
      bsuid: 'AR.13491208655302741918',
      username_only: true,
    });
    await control(`/_sandbox/users/${waId}/messages`, { text: 'hola, ¿tienen turnos?' });
    const received = await h.waitFor('message.received', () =>
      h.events.find((e) => e.type === 'message.received' && e.data.message?.text === 'hola, ¿tienen turnos?'),
    );
    // The phone never reached us: the contact is addressed by the BSUID alone.
    const [contact] = await contactsOf({ bsuid });
    expect(contact).toMatchObject({ wa_id: bsuid, bsuid, phone_e164: null });
    expect(received.data.contact).toMatchObject({ wa_id: bsuid, bsuid });

    const answer = await h.api('POST', '/v1/messages', { to: bsuid, text: { body: 'Sí, el lunes.' } });
    expect(answer.status, JSON.stringify(answer.json)).toBe(202);
    await settled(answer.json.id, ['delivered', 'read']);
    const sent = sandbox()
      .sent()
      .filter((r) => r.type === 'text' && (r.body as Record<string, unknown>).recipient === bsuid);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body).not.toHaveProperty('to');
    expect(
      sandbox()
        .users.inbox(waId)
        .map((m) => m.text),
    ).toContain('Sí, el lunes.');

    // By contact id too, and a template: same address, same contact.
    const tpl = await h.api('POST', '/v1/messages', reminder(contact!.id));
    expect(tpl.status, JSON.stringify(tpl.json)).toBe(202);
    const done = await settled(tpl.json.id, ['delivered', 'read']);
    expect(done).toMatchObject({ to_wa: bsuid, contact_id: contact!.id });
    expect((await contactsOf({ bsuid })).length).toBe(1);
  });

  it('an authentication template to a BSUID-only contact is refused before Meta (RECIPIENT_BSUID_UNSUPPORTED)', async () => {
    const waId = '5491155557002';
    const { bsuid } = await control(`/_sandbox/users/${waId}/username`, { username_only: true });
    await control(`/_sandbox/users/${waId}/messages`, { text: 'quiero entrar' });
    await h.waitFor('the contact', async () => (await contactsOf({ bsuid })).length === 1);
    const before = sandbox().sent().length;
    const res = await h.api('POST', '/v1/messages', {
      to: bsuid,
      template: { name: 'login_code', language: 'es_AR', body: ['482913'] },
    });
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('RECIPIENT_BSUID_UNSUPPORTED');
    expect(res.json.error.message).toContain('known only by a username id');
    expect(res.json.error.message).toContain('131062');
    expect(res.json.error.details).toEqual([
      { path: 'to', message: 'authentication templates need the phone number' },
    ]);
    expect(sandbox().sent().length).toBe(before);
  });

  it("Meta's 131062 answer fails the message for good, with the reason, and it is not retried", async () => {
    const waId = '5491155557003';
    const { bsuid } = await control(`/_sandbox/users/${waId}/username`, { username_only: true });
    await control(`/_sandbox/users/${waId}/messages`, { text: 'hola' });
    await h.waitFor('the contact', async () => (await contactsOf({ bsuid })).length === 1);
    // Our copy says UTILITY (Meta re-categorised it since): only Meta can refuse it now.
    await h.store.db
      .updateTable('templates')
      .set({ category: 'UTILITY' })
      .where('name', '=', 'login_code')
      .execute();
    h.app.sendService.forgetTemplates();
    const res = await h.api('POST', '/v1/messages', {
      to: bsuid,
      template: { name: 'login_code', language: 'es_AR', body: ['482913'] },
    });
    expect(res.status, JSON.stringify(res.json)).toBe(202);
    const failed = await settled(res.json.id, ['failed']);
    expect(failed).toMatchObject({ error_code: 131062, error_class: 'permanent', attempts: 1 });
    expect(failed.error_message).toMatch(
      /known only by a username id \(BSUID\).*ask the user to write first/,
    );
  });

  it('a user who shows both addresses: the phone contact gets the BSUID, and an earlier BSUID-only contact merges into it', async () => {
    const waId = '5491155557004';
    const { bsuid } = await control(`/_sandbox/users/${waId}/username`, { username_only: true });
    await control(`/_sandbox/users/${waId}/messages`, { text: 'primero sin número' });
    await h.waitFor('the BSUID contact', async () => (await contactsOf({ wa_id: bsuid })).length === 1);
    const [alias] = await contactsOf({ wa_id: bsuid });
    // Meanwhile the bot knew the phone: a contact of its own, with a message.
    const byPhone = await h.api('POST', '/v1/messages', reminder(`+${waId}`));
    expect(byPhone.status).toBe(202);
    await settled(byPhone.json.id, ['delivered', 'read']);
    const [phoneContact] = await contactsOf({ wa_id: waId });
    expect(phoneContact!.id).not.toBe(alias!.id);

    // The user shows their number again: the next webhook carries both.
    await control(`/_sandbox/users/${waId}/username`, { username_only: false });
    await control(`/_sandbox/users/${waId}/messages`, { text: 'ahora con número' });
    await h.waitFor(
      'one contact',
      async () =>
        (await contactsOf({ bsuid })).length === 1 && (await contactsOf({ wa_id: bsuid })).length === 0,
    );
    const [merged] = await contactsOf({ bsuid });
    expect(merged).toMatchObject({ id: phoneContact!.id, wa_id: waId, phone_e164: `+${waId}` });
    const inboundOf = () =>
      h.store.db
        .selectFrom('inbound_messages')
        .select(['text', 'contact_id'])
        .where('contact_id', 'in', [alias!.id, phoneContact!.id])
        .orderBy('text')
        .execute();
    // The merge can commit before the message that carried both addresses is stored: wait for it.
    const inbound = await h.waitFor('both inbound messages', async () => {
      const rows = await inboundOf();
      return rows.length === 2 && rows;
    });
    // Both in the same second, maybe: compared by text, not by time.
    expect(inbound.map((r) => [r.text, r.contact_id])).toEqual([
      ['ahora con número', phoneContact!.id],
      ['primero sin número', phoneContact!.id],
    ]);
    // Sends by either address now go to the phone.
    const viaBsuid = await h.api('POST', '/v1/messages', { to: bsuid, text: { body: 'ok' } });
    expect(viaBsuid.status).toBe(202);
    const row = await settled(viaBsuid.json.id, ['delivered', 'read', 'sent', 'accepted']);
    expect(row).toMatchObject({ to_wa: waId, contact_id: phoneContact!.id });
    // The message list finds the person by either address too.
    const byBsuid = await h.api('GET', `/v1/messages?to=${encodeURIComponent(bsuid)}`);
    const byNumber = await h.api('GET', `/v1/messages?to=%2B${waId}`);
    expect(byBsuid.status).toBe(200);
    const ids = (r: typeof byBsuid) => r.json.data.map((m: { id: string }) => m.id);
    expect(ids(byBsuid)).toEqual([viaBsuid.json.id, byPhone.json.id]);
    expect(ids(byNumber)).toEqual(ids(byBsuid));
  });

  it('a number change relabels the contact; a BSUID change follows it too', async () => {
    const waId = '5491155557005';
    const newWaId = '5491155557006';
    const { bsuid } = await control(`/_sandbox/users/${waId}/username`, {});
    await control(`/_sandbox/users/${waId}/messages`, { text: 'hola' });
    await h.waitFor('the contact', async () => (await contactsOf({ wa_id: waId, bsuid })).length === 1);
    const [before] = await contactsOf({ wa_id: waId });

    await control(`/_sandbox/users/${waId}/number`, { new_wa_id: newWaId });
    await h.waitFor('relabelled', async () => (await contactsOf({ wa_id: newWaId })).length === 1);
    expect(await contactsOf({ wa_id: waId })).toEqual([]);
    const [after] = await contactsOf({ wa_id: newWaId });
    expect(after).toMatchObject({ id: before!.id, phone_e164: `+${newWaId}`, bsuid });
    // The system message is not a message from the user: no inbound row, no event about it.
    expect(h.events.some((e) => e.type === 'message.received' && e.data.message?.type === 'system')).toBe(
      false,
    );

    const { id: _ } = await control(`/_sandbox/users/${newWaId}/user-id`, {
      bsuid: 'AR.99990000111122223333',
    });
    await h.waitFor(
      'new BSUID',
      async () => (await contactsOf({ bsuid: 'AR.99990000111122223333' })).length === 1,
    );
    const [renamed] = await contactsOf({ bsuid: 'AR.99990000111122223333' });
    expect(renamed).toMatchObject({ id: before!.id, wa_id: newWaId });
    expect(await contactsOf({ bsuid })).toEqual([]);
  });

  it('a malformed BSUID in `to` gets BSUID_INVALID naming what is wrong', async () => {
    const res = await h.api('POST', '/v1/messages', { to: 'ar.1349', text: { body: 'x' } });
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('BSUID_INVALID');
    expect(res.json.error.message).toBe(
      'to "ar.1349" starts with "ar": the country code of a BSUID is upper case (e.g. "AR.")',
    );
    const unknownId = await h.api('POST', '/v1/messages', {
      to: 'ctc_00000000000000000000000000',
      text: { body: 'x' },
    });
    expect(unknownId.status).toBe(404);
    expect(unknownId.json.error.code).toBe('CONTACT_NOT_FOUND');
    const listed = await h.api('GET', '/v1/messages?to=US.12-3');
    expect(listed.status).toBe(422);
    expect(listed.json.error).toMatchObject({
      code: 'BSUID_INVALID',
      details: [{ path: 'query.to', message: 'may only have letters and digits after the dot' }],
    });
  });
});
