/**
 * POST /v1/templates/preview: what the user will see, with values given or taken from a contact
 * (attributes by variable name, first_name from the contact's name), and what is still missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMILIA, type Harness, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

describe.each(DIALECTS)('template preview on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(dialect);
    // Contacts come from sends and inbound messages; attributes from imports (not built yet).
    const account = h.app.accounts.all()[0]!;
    const now = Date.now();
    await h.store.db
      .insertInto('contacts')
      .values([
        {
          id: 'ctc_emilia',
          account_id: account.id,
          wa_id: EMILIA.waId,
          phone_e164: '+5491155551234',
          name: 'Emilia Pérez',
          attributes: JSON.stringify({ topic: 'tu turno del lunes', plan: 'OSDE 210' }),
          created_at: now,
          updated_at: now,
        },
        {
          id: 'ctc_bruno',
          account_id: account.id,
          wa_id: '5491166662222',
          phone_e164: '+5491166662222',
          name: null,
          attributes: '{}',
          created_at: now,
          updated_at: now,
        },
      ])
      .execute();
  });
  afterAll(() => h.close());

  const preview = (body: Record<string, unknown>) => h.api('POST', '/v1/templates/preview', body);

  it('renders given values as the phone shows them: body, footer and buttons', async () => {
    const res = await preview({
      name: 'appointment_reminder',
      language: 'es_AR',
      body: ['Emilia', 'la Dra. Gómez', 'lunes 3 de marzo a las 10:00'],
      buttons: [{ payload: 'CONFIRM:1' }, { payload: 'CANCEL:1' }],
    });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json).toMatchObject({
      template: { name: 'appointment_reminder', status: 'APPROVED', parameter_format: 'POSITIONAL' },
      rendered: {
        body: 'Hola Emilia, te recordamos tu turno en SaludCenter con la Dra. Gómez el lunes 3 de marzo a las 10:00. ¿Podés confirmar tu asistencia?',
        footer: 'SaludCenter · turnos',
        buttons: [
          { type: 'QUICK_REPLY', text: 'Confirmar', payload: 'CONFIRM:1' },
          { type: 'QUICK_REPLY', text: 'Cancelar', payload: 'CANCEL:1' },
        ],
      },
      missing: [],
      problems: [],
      sendable: true,
    });
    expect(res.json.sources).toEqual({ 'body.{{1}}': 'given', 'body.{{2}}': 'given', 'body.{{3}}': 'given' });
  });

  it('lists missing values, shows the examples in their place, and says what a send would refuse', async () => {
    const res = await preview({ name: 'taxi_discount', language: 'es_AR', body: ['Emilia'] });
    expect(res.json.missing).toEqual([
      'header.image',
      'body.{{2}}',
      'buttons[2].url_suffix',
      'buttons[3].coupon_code',
    ]);
    expect(res.json.rendered.header).toEqual({
      kind: 'image',
      ref: 'https://cdn.saludcenter.example/taxi-promo.jpg',
    });
    expect(res.json.rendered.body).toContain('tenés un 10% de descuento');
    expect(res.json.sendable).toBe(false);
    expect(res.json.problems.map((p: any) => p.path)).toEqual(
      expect.arrayContaining(['template.header', 'template.body[1]']),
    );
  });

  it("fills NAMED variables from the contact: attributes by name, first_name from the contact's name", async () => {
    const res = await preview({ name: 'resume_conversation', language: 'es_AR', contact: EMILIA.phone });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json.rendered.body).toBe(
      'Hola Emilia, una persona de nuestro equipo ya está disponible para ayudarte con tu consulta sobre tu turno del lunes. ¿Querés que sigamos por acá?',
    );
    expect(res.json.sources).toEqual({
      'body.{{first_name}}': 'contact.name',
      'body.{{topic}}': 'contact.attributes.topic',
    });
    expect(res.json).toMatchObject({ missing: [], sendable: true });
  });

  it('lets given values win over the contact, and lists what the contact cannot fill', async () => {
    const given = await preview({
      name: 'resume_conversation',
      language: 'es_AR',
      contact: EMILIA.phone,
      body: { topic: 'tus estudios' },
    });
    expect(given.json.rendered.body).toContain('Hola Emilia,');
    expect(given.json.rendered.body).toContain('sobre tus estudios.');
    expect(given.json.sources['body.{{topic}}']).toBe('given');

    const bruno = await preview({
      name: 'resume_conversation',
      language: 'es_AR',
      contact: '+54 9 11 6666-2222',
    });
    expect(bruno.json.missing).toEqual(['body.{{first_name}}', 'body.{{topic}}']);
    expect(bruno.json.rendered.body).toContain('Hola Emilia,'); // the template's example
    expect(bruno.json.sendable).toBe(false);
  });

  it('does not map contact data to POSITIONAL variables, and says so', async () => {
    const res = await preview({ name: 'appointment_reminder', language: 'es_AR', contact: EMILIA.phone });
    expect(res.json.missing).toEqual(['body.{{1}}', 'body.{{2}}', 'body.{{3}}']);
    expect(res.json.notes[0]).toMatch(/positional variables .* give the values/);
  });

  it('refuses an unknown contact and an unknown template precisely', async () => {
    const contact = await preview({
      name: 'resume_conversation',
      language: 'es_AR',
      contact: '+54 9 11 4444-0000',
    });
    expect(contact.status).toBe(404);
    expect(contact.json.error).toMatchObject({
      code: 'CONTACT_NOT_FOUND',
      message: 'No contact with number +54 9 11 4444-0000 (wa_id 5491144440000)',
    });
    const tpl = await preview({ name: 'resume_conversation', language: 'es' });
    expect(tpl.status).toBe(422);
    expect(tpl.json.error).toMatchObject({
      code: 'TEMPLATE_NOT_FOUND',
      details: [{ path: 'language', message: 'it exists in: es_AR' }],
    });
  });
});
