import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ChangeValue,
  call,
  type GraphError,
  type Harness,
  reminder,
  send,
  startHarness,
  USER,
  WABA_ID,
} from './test-support';

const PATH = `/v25.0/${WABA_ID}/message_templates`;

function def(overrides: Record<string, unknown> = {}) {
  return {
    name: 'order_ready',
    language: 'es_AR',
    category: 'UTILITY',
    components: [
      {
        type: 'BODY',
        text: 'Hola {{1}}, tu pedido {{2}} está listo para retirar.',
        example: { body_text: [['Emilia', '#8812']] },
      },
      { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Gracias' }] },
    ],
    ...overrides,
  };
}

interface Created {
  id: string;
  status: string;
  category: string;
}
interface Listed {
  data: Array<Record<string, unknown> & { id: string; name: string }>;
  paging?: { cursors: { before: string; after: string }; next?: string; previous?: string };
  summary?: { total_count: number };
}

describe('template management', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  const statusEvents = (): ChangeValue[] => h.receiver.changes('message_template_status_update');

  it('creates PENDING, then approves with a message_template_status_update webhook', async () => {
    const res = await call<Created>(h.base, 'POST', PATH, def());
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      id: expect.stringMatching(/^\d{15,17}$/),
      status: 'PENDING',
      category: 'UTILITY',
    });
    await h.sandbox.drainWebhooks();
    expect(statusEvents()).toEqual([
      {
        event: 'APPROVED',
        message_template_id: Number(res.json.id),
        message_template_name: 'order_ready',
        message_template_language: 'es_AR',
        reason: 'NONE',
        message_template_category: 'UTILITY',
      },
    ]);
    const post = h.receiver.posts.find(
      (p) => p.body.entry[0]?.changes[0]?.field === 'message_template_status_update',
    );
    expect(post?.signatureValid).toBe(true);
    expect(typeof post?.body.entry[0]?.time).toBe('number');
    expect(h.sandbox.templates(WABA_ID).find((t) => t.id === res.json.id)?.status).toBe('APPROVED');
    // Now it can be sent.
    const sendRes = await send(h.base, {
      messaging_product: 'whatsapp',
      to: USER,
      type: 'template',
      template: {
        name: 'order_ready',
        language: { code: 'es_AR' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Ana' },
              { type: 'text', text: '#1' },
            ],
          },
        ],
      },
    });
    expect(sendRes.status).toBe(200);
  });

  it('rejects a UTILITY template worded as marketing with INCORRECT_CATEGORY', async () => {
    const body = def({ name: 'promo_utility' });
    (body.components[0] as { text: string }).text =
      'Hola {{1}}, tenés un 20% de descuento en tu pedido {{2}} hoy.';
    const res = await call<Created>(h.base, 'POST', PATH, body);
    await h.sandbox.drainWebhooks();
    expect(statusEvents()).toEqual([
      expect.objectContaining({
        event: 'REJECTED',
        reason: 'INCORRECT_CATEGORY',
        message_template_id: Number(res.json.id),
      }),
    ]);
    const got = await call<Record<string, unknown>>(
      h.base,
      'GET',
      `/v25.0/${res.json.id}?fields=status,rejected_reason`,
    );
    expect(got.json).toEqual({ status: 'REJECTED', rejected_reason: 'INCORRECT_CATEGORY', id: res.json.id });
    expect((await send(h.base, reminder())).status).toBe(200);
  });

  it('recategorises instead when allow_category_change is true', async () => {
    const body = def({ name: 'promo_flexible', allow_category_change: true });
    (body.components[0] as { text: string }).text =
      'Hola {{1}}, usá el código promo {{2}} en tu próxima compra.';
    await call<Created>(h.base, 'POST', PATH, body);
    await h.sandbox.drainWebhooks();
    expect(h.receiver.changes('template_category_update')[0]).toMatchObject({
      previous_category: 'UTILITY',
      new_category: 'MARKETING',
    });
    expect(statusEvents()[0]).toMatchObject({ event: 'APPROVED', message_template_category: 'MARKETING' });
  });

  it('rejects adjacent variables at review with INVALID_FORMAT and rejection_info', async () => {
    const body = def({ name: 'adjacent' });
    (body.components[0] as { text: string }).text = 'Hola {{1}} {{2}}, tu pedido está listo.';
    await call(h.base, 'POST', PATH, body);
    await h.sandbox.drainWebhooks();
    expect(statusEvents()[0]).toMatchObject({
      event: 'REJECTED',
      reason: 'INVALID_FORMAT',
      rejection_info: { reason: 'Parameters are adjacent without text between them.' },
    });
  });

  it('validates on create with code 100, error_subcode and error_user_*', async () => {
    const cases: Array<[Record<string, unknown>, number | undefined]> = [
      [def({ name: 'Bad Name' }), undefined],
      [def({ name: 'x'.repeat(513) }), 2388040],
      [
        def({
          components: [
            { type: 'BODY', text: '{{1}} tu pedido está listo', example: { body_text: [['Ana']] } },
          ],
        }),
        2388299,
      ],
      [
        def({
          components: [
            { type: 'BODY', text: 'Tu pedido está listo, {{1}}', example: { body_text: [['Ana']] } },
          ],
        }),
        2388299,
      ],
      [def({ components: [{ type: 'BODY', text: 'x'.repeat(1025) }] }), 2388040],
      [
        def({
          components: [
            { type: 'BODY', text: 'Hola' },
            { type: 'FOOTER', text: 'Chau {{1}}' },
          ],
        }),
        2388073,
      ],
      [def({ components: [{ type: 'BODY', text: 'Hola {{1}}, listo.' }] }), 2388047],
      [
        def({
          components: [
            { type: 'BODY', text: 'Hola {{2}}, listo {{1}} ya.', example: { body_text: [['a', 'b']] } },
          ],
        }),
        2388047,
      ],
      [
        def({
          components: [
            {
              type: 'HEADER',
              format: 'TEXT',
              text: 'Hola {{1}} y {{2}}',
              example: { header_text: ['a', 'b'] },
            },
            { type: 'BODY', text: 'Hola' },
          ],
        }),
        2388047,
      ],
      [
        def({
          components: [
            { type: 'BODY', text: 'Hola' },
            { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'x'.repeat(26) }] },
          ],
        }),
        2388040,
      ],
      [
        def({
          components: [
            { type: 'BODY', text: 'Hola' },
            {
              type: 'BUTTONS',
              buttons: Array.from({ length: 11 }, (_, i) => ({ type: 'QUICK_REPLY', text: `B${i}` })),
            },
          ],
        }),
        2388040,
      ],
      [
        def({
          components: [
            { type: 'BODY', text: 'Hola' },
            {
              type: 'BUTTONS',
              buttons: [
                { type: 'QUICK_REPLY', text: 'A' },
                { type: 'URL', text: 'Web', url: 'https://x.example' },
                { type: 'QUICK_REPLY', text: 'B' },
              ],
            },
          ],
        }),
        2388047,
      ],
    ];
    for (const [body, subcode] of cases) {
      const res = await call<GraphError>(h.base, 'POST', PATH, body);
      expect(res.status, JSON.stringify(body).slice(0, 120)).toBe(400);
      expect(res.json.error).toMatchObject({ code: 100, type: 'OAuthException', is_transient: false });
      expect(res.json.error.error_subcode).toBe(subcode);
      expect(res.json.error.error_user_title).toEqual(expect.any(String));
      expect(res.json.error.error_user_msg).toEqual(expect.any(String));
    }
    const missing = await call<GraphError>(h.base, 'POST', PATH, {
      language: 'es_AR',
      category: 'UTILITY',
      components: [],
    });
    expect(missing.json.error).toMatchObject({ code: 100, message: '(#100) The parameter name is required' });
  });

  it('refuses a second template with the same name and language (2388024)', async () => {
    const res = await call<GraphError>(h.base, 'POST', PATH, def({ name: 'appointment_reminder' }));
    expect(res.status).toBe(400);
    expect(res.json.error.error_subcode).toBe(2388024);
    const otherLanguage = await call<Created>(
      h.base,
      'POST',
      PATH,
      def({ name: 'appointment_reminder', language: 'en_US' }),
    );
    expect(otherLanguage.status).toBe(200);
  });

  it('lists with fields, filters and cursor paging that follows paging.next', async () => {
    for (let i = 0; i < 5; i++) await call(h.base, 'POST', PATH, def({ name: `extra_${i}` }));
    await h.sandbox.drainWebhooks();
    const names: string[] = [];
    let url: string | undefined = `${PATH}?limit=3&fields=name,status`;
    let pages = 0;
    while (url) {
      const res: { status: number; json: Listed } = await call<Listed>(h.base, 'GET', url);
      expect(res.status).toBe(200);
      for (const t of res.json.data) {
        expect(Object.keys(t).sort()).toEqual(['id', 'name', 'status']);
        names.push(t.name);
      }
      pages++;
      const next = res.json.paging?.next;
      url = next ? next.slice(h.base.length) : undefined;
      if (next) expect(next.startsWith(h.base)).toBe(true);
    }
    expect(pages).toBe(3);
    expect(names).toHaveLength(8);
    expect(new Set(names).size).toBe(8);
    expect(names[0]).toBe('extra_4'); // newest first

    const filtered = await call<Listed>(
      h.base,
      'GET',
      `${PATH}?name=extra_&status=APPROVED&summary=total_count`,
    );
    expect(filtered.json.data).toHaveLength(5);
    expect(filtered.json.summary?.total_count).toBe(5);
    const byLanguage = await call<Listed>(h.base, 'GET', `${PATH}?language=en_US`);
    expect(byLanguage.json.data).toEqual([]);
    const defaults = await call<Listed>(h.base, 'GET', `${PATH}?name=appointment_reminder`);
    expect(Object.keys(defaults.json.data[0] ?? {}).sort()).toEqual(
      ['category', 'components', 'id', 'language', 'name', 'parameter_format', 'status'].sort(),
    );
    const badField = await call<GraphError>(h.base, 'GET', `${PATH}?fields=name,bogus`);
    expect(badField.json.error.code).toBe(100);
  });

  it('edits a template back to PENDING and reviews it again', async () => {
    const created = await call<Created>(h.base, 'POST', PATH, def());
    await h.sandbox.drainWebhooks();
    const components = [{ type: 'BODY', text: 'Hola, tu pedido está listo.' }];
    const res = await call(h.base, 'POST', `/v25.0/${created.json.id}`, { components });
    expect(res.json).toEqual({ success: true });
    await h.sandbox.drainWebhooks();
    expect(statusEvents().map((e) => e.event)).toEqual(['APPROVED', 'APPROVED']);
    const got = await call<{ components: unknown }>(
      h.base,
      'GET',
      `/v25.0/${created.json.id}?fields=components`,
    );
    expect(got.json.components).toEqual(components);
  });

  it('deletes by name, or one translation by hsm_id', async () => {
    const es = await call<Created>(h.base, 'POST', PATH, def());
    await call<Created>(h.base, 'POST', PATH, def({ language: 'en_US' }));
    const one = await call(h.base, 'DELETE', `${PATH}?name=order_ready&hsm_id=${es.json.id}`);
    expect(one.json).toEqual({ success: true });
    expect(
      h.sandbox
        .templates(WABA_ID)
        .filter((t) => t.name === 'order_ready')
        .map((t) => t.language),
    ).toEqual(['en_US']);
    await call(h.base, 'DELETE', `${PATH}?name=order_ready`);
    expect(h.sandbox.templates(WABA_ID).some((t) => t.name === 'order_ready')).toBe(false);
    const again = await call<GraphError>(h.base, 'DELETE', `${PATH}?name=order_ready`);
    expect(again.status).toBe(400);
    const recreate = await call<GraphError>(h.base, 'POST', PATH, def());
    expect(recreate.json.error.error_subcode).toBe(2388023);
  });

  it('emits a webhook for manual status changes, which sends then honour', async () => {
    h.sandbox.setTemplateStatus(WABA_ID, 'appointment_reminder', 'es_AR', 'PAUSED');
    expect((await send(h.base, reminder())).json.error.code).toBe(132015);
    const id = h.sandbox.templates(WABA_ID).find((t) => t.name === 'appointment_reminder')?.id;
    const unpause = await call(h.base, 'POST', `/v25.0/${id}/unpause`);
    expect(unpause.json).toEqual({ success: true });
    await h.sandbox.drainWebhooks();
    expect(statusEvents().map((e) => e.event)).toEqual(['PAUSED', 'APPROVED']);
    expect((await send(h.base, reminder())).status).toBe(200);
  });

  it('checks the token against the WABA', async () => {
    const res = await call<GraphError>(h.base, 'GET', PATH, undefined, null);
    expect(res.status).toBe(401);
    const other = await call<GraphError>(h.base, 'GET', '/v25.0/999/message_templates');
    expect(other.json.error).toMatchObject({ code: 100, error_subcode: 33 });
  });
});
