/**
 * Templates as code, end to end: the example file is diffed against an empty Meta, pushed,
 * reviewed by the sandbox, approved through the status webhooks, and then each template is sent
 * with every kind of component it has. Finally an edit is diffed and pushed through review.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMILIA, type Harness, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

const FILE = 'examples/saludcenter.templates.yaml';
const TEXT = readFileSync(FILE, 'utf8');
const NAMES = ['appointment_reminder', 'resume_conversation', 'taxi_discount'];

describe.each(DIALECTS)('templates as code on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(dialect, { sandbox: { seedTemplates: [] } });
  });
  afterAll(() => h.close());

  const waba = () => h.embedded.whatsapp.wabaId;
  const stored = async (name: string) => (await h.api('GET', `/v1/templates/${name}/es_AR`)).json;

  /** Sends, waits for the phone, and returns what Meta received and what the phone shows. */
  async function send(template: Record<string, unknown>) {
    const q = await h.api('POST', '/v1/messages', { to: EMILIA.phone, template });
    expect(q.status, JSON.stringify(q.json)).toBe(202);
    const onPhone = await h.waitFor(`${template.name} on the phone`, () =>
      h.embedded.sandbox.users.inbox(EMILIA.waId).find((m) => m.template?.name === template.name),
    );
    const received = h.embedded.sandbox.sent().find((s) => s.bizOpaque === q.json.id);
    expect(received, 'the send reached the sandbox').toBeDefined();
    return { onPhone, components: (received!.body as any).template.components as any[] };
  }

  it('lints clean and diffs as three creates against an empty Meta, sending nothing', async () => {
    const res = await h.api('POST', '/v1/templates/diff', { file: TEXT, file_name: FILE });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json.lint).toMatchObject({ errors: 0, warnings: 0 });
    expect(res.json.plan.counts).toEqual({ create: 3, update: 0, unchanged: 0, only_at_meta: 0 });
    expect(res.json.plan.entries.map((e: any) => [e.name, e.language, e.action])).toEqual(
      NAMES.map((n) => [n, 'es_AR', 'create']),
    );
    expect(h.embedded.sandbox.templates(waba())).toHaveLength(0);
    expect((await h.api('GET', '/v1/templates')).json.data).toHaveLength(0);
  });

  it('pushes them (PENDING at Meta and here); the review webhooks make them APPROVED', async () => {
    const res = await h.api('POST', '/v1/templates/push', { file: TEXT, file_name: FILE });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json.ok).toBe(true);
    expect(res.json.summary).toMatchObject({ created: 3, failed: 0 });
    const atMeta = h.embedded.sandbox.templates(waba());
    expect(atMeta.map((t) => t.name).sort()).toEqual(NAMES);
    for (const r of res.json.results) {
      expect(r).toMatchObject({ outcome: 'created', status: 'PENDING' });
      expect(r.provider_template_id).toBe(atMeta.find((t) => t.name === r.name)?.id);
    }

    for (const name of NAMES) {
      const t = await h.waitFor(`${name} APPROVED`, async () => {
        const row = await stored(name);
        return row.status === 'APPROVED' && row;
      });
      expect(t.provider_template_id).toBe(atMeta.find((m) => m.name === name)?.id);
      const event = await h.waitFor(`template.status for ${name}`, () =>
        h.events.find((e) => e.type === 'template.status' && e.data.name === name),
      );
      expect(event.data).toMatchObject({ status: 'APPROVED', previous_status: 'PENDING', language: 'es_AR' });
    }
  });

  it('diffs as three unchanged once Meta has them', async () => {
    const res = await h.api('POST', '/v1/templates/diff', { file: TEXT, file_name: FILE });
    expect(res.json.plan.counts).toEqual({ create: 0, update: 0, unchanged: 3, only_at_meta: 0 });
    expect(res.json.plan.entries.every((e: any) => e.meta_status === 'APPROVED')).toBe(true);
  });

  it('sends appointment_reminder: positional body and quick-reply payloads', async () => {
    const { onPhone, components } = await send({
      name: 'appointment_reminder',
      language: 'es_AR',
      body: ['Emilia', 'la Dra. Gómez', 'lunes 3 de marzo a las 10:00'],
      buttons: [{ payload: 'CONFIRM:appt-9' }, { payload: 'CANCEL:appt-9' }],
    });
    expect(components).toEqual([
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Emilia' },
          { type: 'text', text: 'la Dra. Gómez' },
          { type: 'text', text: 'lunes 3 de marzo a las 10:00' },
        ],
      },
      {
        type: 'button',
        sub_type: 'quick_reply',
        index: '0',
        parameters: [{ type: 'payload', payload: 'CONFIRM:appt-9' }],
      },
      {
        type: 'button',
        sub_type: 'quick_reply',
        index: '1',
        parameters: [{ type: 'payload', payload: 'CANCEL:appt-9' }],
      },
    ]);
    expect(onPhone.text).toBe(
      'Hola Emilia, te recordamos tu turno en SaludCenter con la Dra. Gómez el lunes 3 de marzo a las 10:00. ¿Podés confirmar tu asistencia?',
    );
    expect(onPhone.footer).toBe('SaludCenter · turnos');
    expect(onPhone.buttons.map((b) => [b.kind, b.text, b.payload])).toEqual([
      ['quick_reply', 'Confirmar', 'CONFIRM:appt-9'],
      ['quick_reply', 'Cancelar', 'CANCEL:appt-9'],
    ]);
  });

  it('sends resume_conversation: a NAMED body', async () => {
    const { onPhone, components } = await send({
      name: 'resume_conversation',
      language: 'es_AR',
      body: { first_name: 'Emilia', topic: 'tu receta' },
    });
    expect(components).toEqual([
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Emilia', parameter_name: 'first_name' },
          { type: 'text', text: 'tu receta', parameter_name: 'topic' },
        ],
      },
    ]);
    expect(onPhone.text).toContain('Hola Emilia, una persona de nuestro equipo');
    expect(onPhone.text).toContain('tu consulta sobre tu receta.');
    expect(onPhone.buttons.map((b) => b.text)).toEqual(['Sí, continuar', 'Ya no lo necesito']);
  });

  it('sends taxi_discount: IMAGE header by link, body, URL suffix and COPY_CODE coupon', async () => {
    const image = 'https://cdn.saludcenter.example/taxi-marzo.jpg';
    const { onPhone, components } = await send({
      name: 'taxi_discount',
      language: 'es_AR',
      header: { image: { link: image } },
      body: ['Emilia', '15%'],
      buttons: [null, null, { url_suffix: 'taxi15' }, { coupon_code: 'TAXI15' }],
    });
    expect(components).toEqual([
      { type: 'header', parameters: [{ type: 'image', image: { link: image } }] },
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Emilia' },
          { type: 'text', text: '15%' },
        ],
      },
      { type: 'button', sub_type: 'url', index: '2', parameters: [{ type: 'text', text: 'taxi15' }] },
      {
        type: 'button',
        sub_type: 'copy_code',
        index: '3',
        parameters: [{ type: 'coupon_code', coupon_code: 'TAXI15' }],
      },
    ]);
    expect(onPhone.header).toMatchObject({ type: 'image', link: image });
    expect(onPhone.text).toContain('tenés un 15% de descuento');
    const url = onPhone.buttons.find((b) => b.kind === 'url');
    const coupon = onPhone.buttons.find((b) => b.kind === 'copy_code');
    expect(url?.url).toBe('https://saludcenter.example/promos/taxi15');
    expect(coupon?.code).toBe('TAXI15');
  });

  it('diffs an edited body as an update naming the changed field', async () => {
    const edited = TEXT.replace('te recordamos tu turno', 'te recordamos tu cita');
    const res = await h.api('POST', '/v1/templates/diff', { file: edited, file_name: FILE });
    expect(res.json.plan.counts).toEqual({ create: 0, update: 1, unchanged: 2, only_at_meta: 0 });
    const update = res.json.plan.entries.find((e: any) => e.action === 'update');
    expect(update.name).toBe('appointment_reminder');
    expect(update.changes).toEqual([
      expect.objectContaining({ path: 'BODY.text', kind: 'changed', inline: '"turno" → "cita"' }),
    ]);
    expect(update.notes.join(' ')).toMatch(/1 edit per 24 h/);
  });

  it('pushes the edit: PENDING again, then APPROVED with the new wording stored', async () => {
    const edited = TEXT.replace('te recordamos tu turno', 'te recordamos tu cita');
    const id = (await stored('appointment_reminder')).provider_template_id;
    const res = await h.api('POST', '/v1/templates/push', { file: edited, file_name: FILE });
    expect(res.json.summary).toMatchObject({ updated: 1, unchanged: 2, failed: 0 });
    expect(res.json.results.find((r: any) => r.outcome === 'updated')).toMatchObject({
      name: 'appointment_reminder',
      provider_template_id: id,
      status: 'PENDING',
    });
    const row = await h.waitFor('edited template APPROVED again', async () => {
      const r = await stored('appointment_reminder');
      return r.status === 'APPROVED' && r.components[0].text.includes('tu cita') && r;
    });
    expect(row.provider_template_id).toBe(id);
    const again = await h.api('POST', '/v1/templates/diff', { file: edited, file_name: FILE });
    expect(again.json.plan.counts.unchanged).toBe(3);
  });
});
