import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  call,
  type GraphError,
  type Harness,
  PHONE_ID,
  reminder,
  type SendOk,
  send,
  startHarness,
  TOKEN,
  text,
  USER,
  WABA_ID,
} from './test-support';

function taxi(overrides: { header?: unknown; buttons?: unknown[] } = {}) {
  return {
    messaging_product: 'whatsapp',
    to: USER,
    type: 'template',
    template: {
      name: 'taxi_discount',
      language: { code: 'es_AR' },
      components: [
        overrides.header ?? {
          type: 'header',
          parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/taxi.jpg' } }],
        },
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Emilia' },
            { type: 'text', text: '10%' },
          ],
        },
        ...(overrides.buttons ?? [
          { type: 'button', sub_type: 'url', index: '2', parameters: [{ type: 'text', text: 'taxi10' }] },
          {
            type: 'button',
            sub_type: 'COPY_CODE',
            index: 3,
            parameters: [{ type: 'coupon_code', coupon_code: 'TAXI10' }],
          },
        ]),
      ],
    },
  };
}

function withComponents(name: string, components: unknown[]) {
  return {
    messaging_product: 'whatsapp',
    to: USER,
    type: 'template',
    template: { name, language: { code: 'es_AR' }, components },
  };
}

function expectError(
  res: { status: number; json: GraphError },
  status: number,
  code: number,
  details?: string,
) {
  expect(res.status).toBe(status);
  expect(res.json.error.code).toBe(code);
  expect(res.json.error.fbtrace_id).toMatch(/^A/);
  if (details !== undefined) expect(res.json.error.error_data?.details).toBe(details);
}

describe('POST /:version/:phoneNumberId/messages', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ statusWebhooks: false });
  });
  afterAll(() => h.close());

  describe('auth and routing', () => {
    it('rejects a missing token with 401 / 190', async () => {
      const res = await send(h.base, reminder(), null);
      expectError(res, 401, 190);
      expect(res.json.error.type).toBe('OAuthException');
    });

    it('rejects an unknown token with 401 / 190', async () => {
      const res = await send(h.base, reminder(), 'nope');
      expectError(res, 401, 190);
      expect(res.json.error.message).toContain('Invalid OAuth access token');
    });

    it('rejects an unknown phone number id with 400 / 100 (GraphMethodException, subcode 33)', async () => {
      const res = await call<GraphError>(h.base, 'POST', '/v25.0/999999/messages', reminder());
      expectError(res, 400, 100);
      expect(res.json.error).toMatchObject({ type: 'GraphMethodException', error_subcode: 33 });
      expect(res.json.error.message).toContain("Object with ID '999999' does not exist");
    });

    it('accepts any vNN.N version and refuses other path components', async () => {
      const ok = await call<SendOk>(h.base, 'POST', `/v19.0/${PHONE_ID}/messages`, reminder());
      expect(ok.status).toBe(200);
      const bad = await call<GraphError>(h.base, 'POST', `/latest/${PHONE_ID}/messages`, reminder());
      expectError(bad, 400, 2500);
    });
  });

  describe('success', () => {
    it('answers a template send with contacts, a wamid and message_status accepted', async () => {
      const res = await send(h.base, reminder('+54 9 11 5555-1234', undefined, 'msg-1'));
      expect(res.status).toBe(200);
      expect(res.json.messaging_product).toBe('whatsapp');
      expect(res.json.contacts).toEqual([{ input: '+54 9 11 5555-1234', wa_id: USER }]);
      const [m] = res.json.messages;
      expect(m?.message_status).toBe('accepted');
      expect(m?.id).toMatch(/^wamid\.[A-Za-z0-9+/]+=*$/);
      const raw = Buffer.from(m?.id.slice(6) ?? '', 'base64').toString('latin1');
      expect(raw).toContain(USER);
      const rec = h.sandbox.sent().find((r) => r.wamid === m?.id);
      expect(rec).toMatchObject({ phoneNumberId: PHONE_ID, to: USER, type: 'template', bizOpaque: 'msg-1' });
      expect(h.sandbox.countsByCallbackData().get('msg-1')).toBe(1);
    });

    it('gives every send its own wamid', async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 20; i++) ids.add((await send(h.base, reminder())).json.messages[0]?.id ?? '');
      expect(ids.size).toBe(20);
    });

    it('accepts a template with media header, URL and copy-code buttons', async () => {
      const res = await send(h.base, taxi());
      expect(res.status).toBe(200);
    });

    it('accepts a NAMED template with parameter_name', async () => {
      const res = await send(
        h.base,
        withComponents('resume_conversation', [
          {
            type: 'body',
            parameters: [
              { type: 'text', parameter_name: 'topic', text: 'tu turno' },
              { type: 'text', parameter_name: 'first_name', text: 'Emilia' },
            ],
          },
        ]),
      );
      expect(res.status).toBe(200);
    });
  });

  describe('envelope validation', () => {
    it('requires messaging_product (100)', async () => {
      const { messaging_product: _, ...body } = reminder();
      const res = await send(h.base, body);
      expectError(res, 400, 100);
      expect(res.json.error.message).toBe('(#100) The parameter messaging_product is required.');
    });

    it('requires to (131008) and a valid phone number (131009)', async () => {
      const { to: _, ...noTo } = reminder();
      expectError(await send(h.base, noTo), 400, 131008);
      const res = await send(h.base, reminder('12ab34'));
      expectError(res, 400, 131009, 'Param to is not valid');
      expect(res.json.error.message).toBe('(#131009) Parameter value is not valid');
      expect(res.json.error.error_data?.messaging_product).toBe('whatsapp');
      expect(res.json.error).not.toHaveProperty('error_subcode');
    });

    it('rejects an unknown type (100) and a missing type object (131008)', async () => {
      expectError(
        await send(h.base, { messaging_product: 'whatsapp', to: USER, type: 'fax', fax: {} }),
        400,
        100,
      );
      expectError(
        await send(h.base, { messaging_product: 'whatsapp', to: USER, type: 'template' }),
        400,
        131008,
      );
    });

    it('limits text bodies to 4096 characters', async () => {
      const res = await send(h.base, text(USER, 'x'.repeat(4097)));
      expectError(res, 400, 100);
      expect(res.json.error.message).toContain('4096');
    });

    it('limits biz_opaque_callback_data to 512 characters', async () => {
      expectError(await send(h.base, reminder(USER, undefined, 'x'.repeat(513))), 400, 100);
    });
  });

  describe('template validation', () => {
    it('404 / 132001 for an unknown name or a language it was not approved in', async () => {
      const unknown = withComponents('nope', []);
      expectError(await send(h.base, unknown), 404, 132001, 'template name (nope) does not exist in es_AR');
      const body = reminder();
      (body.template as { language: { code: string } }).language.code = 'es';
      expectError(
        await send(h.base, body),
        404,
        132001,
        'template name (appointment_reminder) does not exist in es',
      );
    });

    it('132015 for PAUSED, 132016 for DISABLED, 132001 for PENDING and REJECTED', async () => {
      const cases: Array<[string, number, number]> = [
        ['PAUSED', 400, 132015],
        ['DISABLED', 400, 132016],
        ['PENDING', 404, 132001],
        ['REJECTED', 404, 132001],
      ];
      for (const [status, http, code] of cases) {
        h.sandbox.setTemplateStatus(WABA_ID, 'appointment_reminder', 'es_AR', status);
        expectError(await send(h.base, reminder()), http, code);
      }
      h.sandbox.setTemplateStatus(WABA_ID, 'appointment_reminder', 'es_AR', 'APPROVED');
      expect((await send(h.base, reminder())).status).toBe(200);
    });

    it('132000 when the body parameter count does not match', async () => {
      const res = await send(h.base, reminder(USER, ['Emilia', 'Dra. Gómez']));
      expectError(
        res,
        400,
        132000,
        'body: number of localizable_params (2) does not match the expected number of params (3)',
      );
    });

    it('132012 when positional parameters go to a NAMED template', async () => {
      const body = withComponents('resume_conversation', [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Emilia' },
            { type: 'text', text: 'tu turno' },
          ],
        },
      ]);
      expectError(await send(h.base, body), 400, 132012);
    });

    it('132012 when the header media type does not match, or is missing', async () => {
      const doc = {
        type: 'header',
        parameters: [{ type: 'document', document: { link: 'https://x.example/a.pdf' } }],
      };
      expectError(
        await send(h.base, taxi({ header: doc })),
        400,
        132012,
        'header: Format mismatch, expected IMAGE, received DOCUMENT',
      );
      expectError(
        await send(h.base, taxi({ header: { type: 'header', parameters: [] } })),
        400,
        132012,
        'header: Format mismatch, expected IMAGE, received UNKNOWN',
      );
    });

    it('132018 for parameter text with a newline, a tab or five spaces', async () => {
      for (const bad of ['Emi\nlia', 'Emi\tlia', 'Emi     lia']) {
        expectError(
          await send(h.base, reminder(USER, [bad, 'b', 'c'])),
          400,
          132018,
          'Param text cannot have new-line/tab characters or more than 4 consecutive spaces',
        );
      }
      expect((await send(h.base, reminder(USER, ['Emi    lia', 'b', 'c']))).status).toBe(200);
    });

    it('checks button components against the template buttons', async () => {
      // Missing the URL suffix.
      expectError(await send(h.base, taxi({ buttons: [taxi().template.components[3]] })), 400, 132000);
      // quick_reply sub_type on the URL button.
      expectError(
        await send(
          h.base,
          taxi({
            buttons: [
              {
                type: 'button',
                sub_type: 'quick_reply',
                index: '2',
                parameters: [{ type: 'payload', payload: 'x' }],
              },
              taxi().template.components[3],
            ],
          }),
        ),
        400,
        132012,
      );
      // A button index the template does not have.
      const qr = reminder();
      (qr.template as { components: unknown[] }).components.push({
        type: 'button',
        sub_type: 'quick_reply',
        index: '5',
        parameters: [{ type: 'payload', payload: 'x' }],
      });
      expectError(await send(h.base, qr), 400, 131009);
      // Copy code longer than 15.
      expectError(
        await send(
          h.base,
          taxi({
            buttons: [
              taxi().template.components[2],
              {
                type: 'button',
                sub_type: 'copy_code',
                index: '3',
                parameters: [{ type: 'coupon_code', coupon_code: 'X'.repeat(16) }],
              },
            ],
          }),
        ),
        400,
        131009,
      );
    });
  });

  describe('interactive validation', () => {
    const interactive = (buttons: Array<{ id: string; title: string }>) => ({
      messaging_product: 'whatsapp',
      to: USER,
      type: 'interactive',
      interactive: {
        type: 'button',
        body: { text: 'When?' },
        action: { buttons: buttons.map((reply) => ({ type: 'reply', reply })) },
      },
    });

    it('allows 1 to 3 reply buttons with unique ids and titles of at most 20 characters', async () => {
      const four = [1, 2, 3, 4].map((i) => ({ id: `b${i}`, title: `B${i}` }));
      expectError(
        await send(h.base, interactive(four)),
        400,
        131009,
        'Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: 3',
      );
      expectError(
        await send(h.base, interactive([{ id: 'a', title: 'x'.repeat(21) }])),
        400,
        131009,
        'Button title length invalid. Min length: 1, Max length: 20',
      );
      expectError(
        await send(
          h.base,
          interactive([
            { id: 'a', title: 'A' },
            { id: 'a', title: 'B' },
          ]),
        ),
        400,
        131009,
      );
      expect((await send(h.base, interactive([{ id: 'a', title: 'A' }]))).status).toBe(200);
    });
  });
});

describe('limits and modes', () => {
  it('answers 130429 once the per-number token bucket is empty', async () => {
    let now = 1_750_000_000_000;
    const h = await startHarness({ statusWebhooks: false, account: { throughputMps: 5 }, now: () => now });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 7; i++) {
        const res = await send(h.base, reminder());
        codes.push(res.status === 200 ? 200 : res.json.error.code);
      }
      expect(codes).toEqual([200, 200, 200, 200, 200, 130429, 130429]);
      const err = await send(h.base, reminder());
      expect(err.status).toBe(400);
      expect(err.json.error.message).toBe('(#130429) Rate limit hit');
      now += 1000;
      expect((await send(h.base, reminder())).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('can answer throttling with another HTTP status', async () => {
    const now = 1_750_000_000_000;
    const h = await startHarness({
      statusWebhooks: false,
      account: { throughputMps: 1 },
      now: () => now,
      httpStatusByCode: { 130429: 429 },
    });
    try {
      await send(h.base, reminder());
      const res = await send(h.base, reminder());
      expect(res.status).toBe(429);
      expect(res.json.error.code).toBe(130429);
    } finally {
      await h.close();
    }
  });

  it('answers 131056 after a burst of 45 to the same user, while other users still get through', async () => {
    const now = 1_750_000_000_000;
    const h = await startHarness({ statusWebhooks: false, account: { pairLimit: true }, now: () => now });
    try {
      for (let i = 0; i < 45; i++) expect((await send(h.base, reminder())).status).toBe(200);
      const res = await send(h.base, reminder());
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe(131056);
      expect((await send(h.base, reminder('5491155550000'))).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('returns 131047 synchronously when syncWindowError is set', async () => {
    const h = await startHarness({ statusWebhooks: false, syncWindowError: true });
    try {
      const res = await send(h.base, text(USER, 'hola'));
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe(131047);
      expect(res.json.error.error_data?.details).toContain('more than 24 hours have passed');
      h.sandbox.users.sendText(PHONE_ID, USER, 'hola');
      expect((await send(h.base, text(USER, 'hola'))).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('marks inbound messages read with {status: "read"}', async () => {
    const h = await startHarness({ statusWebhooks: false });
    try {
      const wamid = h.sandbox.users.sendText(PHONE_ID, USER, 'hola');
      const res = await call(h.base, 'POST', `/v25.0/${PHONE_ID}/messages`, {
        messaging_product: 'whatsapp',
        status: 'read',
        message_id: wamid,
      });
      expect(res).toEqual({ status: 200, json: { success: true } });
      const bad = await call<GraphError>(h.base, 'POST', `/v25.0/${PHONE_ID}/messages`, {
        messaging_product: 'whatsapp',
        status: 'read',
        message_id: 'wamid.nope',
      });
      expect(bad.json.error.code).toBe(131009);
    } finally {
      await h.close();
    }
  });

  it("refuses one account's token on another account's number (400 / 100)", async () => {
    const h = await startHarness({
      statusWebhooks: false,
      accounts: [{ ...ACCOUNT, phoneNumberId: '200', wabaId: '300', accessToken: 'other-token' }],
    });
    try {
      const own = await call(h.base, 'POST', '/v25.0/200/messages', reminder(), 'other-token');
      expect(own.status).toBe(200);
      const res = await call<GraphError>(h.base, 'POST', '/v25.0/200/messages', reminder(), TOKEN);
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe(100);
    } finally {
      await h.close();
    }
  });
});
