/**
 * Messenger webhook bodies as Meta posts them (fact sheet §4): batched entries from two pages,
 * millisecond times, quick replies, attachments and the sticker's dual form, echoes as `sent`,
 * postbacks with and without a mid, reactions and referrals that reopen the window without
 * being messages, delivery and read watermarks, opt-ins and other events left out, template
 * review for pages; every malformed known field named by its path.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRecontactError, type RecontactError } from '../../domain/errors';
import type { InboundItem } from '../channel';
import { parseMessengerWebhook } from './webhook-parser';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const raw = (name: string): Buffer => readFileSync(join(FIXTURES, name));
const json = (name: string): any => JSON.parse(raw(name).toString('utf8'));

const PAGE_A = '107325198792045';
const PAGE_B = '108412937465120';
const EMILIA = '6845719238451234';
const PEDRO = '25381719828140932';

const body = (events: unknown[], entry: Record<string, unknown> = {}): Buffer =>
  Buffer.from(
    JSON.stringify({
      object: 'page',
      entry: [{ id: PAGE_A, time: 1767225600123, messaging: events, ...entry }],
    }),
  );
const event = (over: Record<string, unknown>) => ({
  sender: { id: EMILIA },
  recipient: { id: PAGE_A },
  timestamp: 1767225600000,
  ...over,
});

function errorOf(fn: () => unknown): RecontactError {
  try {
    fn();
  } catch (e) {
    if (isRecontactError(e)) return e;
    throw e;
  }
  throw new Error('expected a RecontactError');
}

describe('parseMessengerWebhook: fixtures', () => {
  it('every fixture parses', () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const f of files) expect(() => parseMessengerWebhook(raw(f)), f).not.toThrow();
  });

  it('batched entries from two pages: text, quick reply, image in reply to ours, sticker; the echo is a sent status', () => {
    const b = json('messages-batched.json');
    const ev = (i: number) => b.entry[i].messaging[0];
    expect(parseMessengerWebhook(raw('messages-batched.json'))).toStrictEqual([
      {
        kind: 'inbound',
        externalId: PAGE_A,
        providerMessageId: ev(0).message.mid,
        from: EMILIA,
        timestamp: 1767225600000,
        type: 'text',
        isMessage: true,
        text: 'Hola, quería cambiar el turno del lunes 🙏',
        raw: ev(0),
      },
      {
        kind: 'inbound',
        externalId: PAGE_A,
        providerMessageId: ev(1).message.mid,
        from: EMILIA,
        timestamp: 1767225605100,
        type: 'quick_reply',
        isMessage: true,
        text: 'No',
        button: { payload: 'PARCEL_MISSING', text: 'No' },
        raw: ev(1),
      },
      {
        kind: 'inbound',
        externalId: PAGE_B,
        providerMessageId: ev(2).message.mid,
        from: PEDRO,
        timestamp: 1767225610250,
        type: 'image',
        isMessage: true,
        contextProviderId: 'm_OUR-REMINDER-1',
        raw: ev(2),
      },
      {
        kind: 'inbound',
        externalId: PAGE_B,
        providerMessageId: ev(3).message.mid,
        from: PEDRO,
        timestamp: 1767225610900,
        // Both forms until Aug 30, 2026: the sticker wins over its old image form.
        type: 'sticker',
        isMessage: true,
        raw: ev(3),
      },
      {
        // Our send echoed (sender and recipient swapped): Meta took it. "case-8812" is not one
        // of our ids, so the status is matched by the mid alone.
        kind: 'status',
        externalId: b.entry[4].messaging[0].sender.id,
        recipientId: b.entry[4].messaging[0].recipient.id,
        providerMessageId: b.entry[4].messaging[0].message.mid,
        status: 'sent',
        timestamp: 1767225611800,
        raw: b.entry[4].messaging[0],
      },
    ]);
  });

  it('an echo carrying our message id in metadata names that message', () => {
    const body = {
      object: 'page',
      entry: [
        {
          id: PAGE_A,
          time: 1767225612000,
          messaging: [
            {
              sender: { id: PAGE_A },
              recipient: { id: EMILIA },
              timestamp: 1767225611800,
              message: { is_echo: true, metadata: 'msg_01KBJ0F6N4Z3Y2X1W0V9T8S7R6', mid: 'm_1', text: 'Hi' },
            },
          ],
        },
      ],
    };
    const [item] = parseMessengerWebhook(Buffer.from(JSON.stringify(body)));
    expect(item).toMatchObject({
      kind: 'status',
      status: 'sent',
      ourMessageId: 'msg_01KBJ0F6N4Z3Y2X1W0V9T8S7R6',
    });
  });

  it('postbacks carry their payload and title as a button, open the window and are not messages', () => {
    const b = json('postbacks.json');
    const [confirm, started] = parseMessengerWebhook(raw('postbacks.json')) as InboundItem[];
    expect(confirm).toStrictEqual({
      kind: 'inbound',
      externalId: PAGE_A,
      providerMessageId: b.entry[0].messaging[0].postback.mid,
      from: EMILIA,
      timestamp: 1767225700000,
      type: 'postback',
      isMessage: false,
      button: { payload: 'CONFIRM:appt-123', text: 'Confirmar' },
      raw: b.entry[0].messaging[0],
    });
    expect(started).toMatchObject({
      kind: 'inbound',
      from: '7120938475610293',
      type: 'postback',
      isMessage: false,
      button: { payload: 'GET_STARTED', text: 'Get Started' },
    });
    // No mid: a deterministic id, the same on every delivery of the body.
    expect(started!.providerMessageId).toMatch(/^postback\.[\w-]{32}$/);
    const again = parseMessengerWebhook(raw('postbacks.json'))[1] as InboundItem;
    expect(again.providerMessageId).toBe(started!.providerMessageId);
  });

  it('a postback id differs by page, person, time and payload', () => {
    const ids = [
      event({ postback: { payload: 'A', title: 'A' } }),
      event({ postback: { payload: 'B', title: 'A' } }),
      event({ postback: { payload: 'A', title: 'A' }, timestamp: 1767225600001 }),
      event({ postback: { payload: 'A', title: 'A' }, sender: { id: PEDRO } }),
      event({ postback: { payload: 'A', title: 'A' }, recipient: { id: PAGE_B } }),
    ].map((e) => (parseMessengerWebhook(body([e]))[0] as InboundItem).providerMessageId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('a reaction quotes the message it reacts to; taking it back is left out; a referral opens the window', () => {
    const b = json('reactions-referrals.json');
    const items = parseMessengerWebhook(raw('reactions-referrals.json')) as InboundItem[];
    expect(items).toHaveLength(2);
    expect(items[0]).toMatchObject({
      kind: 'inbound',
      externalId: PAGE_A,
      from: EMILIA,
      timestamp: 1767225800000,
      type: 'reaction',
      isMessage: false,
      text: '❤️',
      contextProviderId: 'm_OUR-REMINDER-1',
      raw: b.entry[0].messaging[0],
    });
    expect(items[0]!.providerMessageId).toMatch(/^reaction\./);
    expect(items[1]).toMatchObject({
      kind: 'inbound',
      from: EMILIA,
      timestamp: 1767225900000,
      type: 'referral',
      isMessage: false,
      raw: b.entry[2].messaging[0],
    });
    expect(items[1]!.providerMessageId).toMatch(/^referral\./);
    expect(items[1]).not.toHaveProperty('button');
  });

  it('deliveries and reads become watermarks; a delivery without timestamp takes the entry time', () => {
    const b = json('watermarks.json');
    expect(parseMessengerWebhook(raw('watermarks.json'))).toStrictEqual([
      {
        kind: 'watermark',
        externalId: PAGE_A,
        recipientId: EMILIA,
        status: 'delivered',
        watermark: 1767225601500,
        timestamp: 1767225602000,
        raw: b.entry[0].messaging[0],
      },
      {
        kind: 'watermark',
        externalId: PAGE_A,
        recipientId: PEDRO,
        status: 'delivered',
        watermark: 1767225602900,
        timestamp: 1767225603100,
        raw: b.entry[1].messaging[0],
      },
      {
        kind: 'watermark',
        externalId: PAGE_A,
        recipientId: EMILIA,
        status: 'read',
        watermark: 1767225601500,
        timestamp: 1767225650000,
        raw: b.entry[2].messaging[0],
      },
    ]);
  });

  it('a delivery with neither timestamp nor entry time takes its watermark', () => {
    const [item] = parseMessengerWebhook(
      Buffer.from(
        JSON.stringify({
          object: 'page',
          entry: [
            { id: PAGE_A, messaging: [{ ...event({}), timestamp: undefined, delivery: { watermark: 17 } }] },
          ],
        }),
      ),
    );
    expect(item).toMatchObject({ kind: 'watermark', watermark: 17, timestamp: 17 });
  });

  it('opt-ins (plugin and retired notification tokens), edits, handovers and standby yield nothing', () => {
    expect(parseMessengerWebhook(raw('ignored-events.json'))).toEqual([]);
  });

  it('template review for a page: both field names, the page as owner, ids beyond 2^53 exact', () => {
    const b = json('template-status.json');
    const items = parseMessengerWebhook(raw('template-status.json'));
    expect(items).toStrictEqual([
      {
        kind: 'template_status',
        wabaId: PAGE_A,
        event: 'APPROVED',
        providerTemplateId: '104595129340398',
        name: 'appointment_reminder_msgr',
        language: 'es',
        reason: 'NONE',
        raw: b.entry[0].changes[0].value,
      },
      {
        kind: 'template_status',
        wabaId: PAGE_A,
        event: 'REJECTED',
        providerTemplateId: '18446744073709551615',
        name: 'taxi_discount_msgr',
        language: 'es',
        reason: 'TAG_SHOULD_BE_MARKETING',
        raw: expect.objectContaining({ message_template_id: '18446744073709551615' }),
      },
    ]);
  });
});

describe('parseMessengerWebhook: messages', () => {
  it('an attachment with text keeps both; a message with neither is "unsupported"', () => {
    const [a, b] = parseMessengerWebhook(
      body([
        event({ message: { mid: 'm_1', text: 'mirá', attachments: [{ type: 'video', payload: {} }] } }),
        event({ message: { mid: 'm_2', commands: [{ name: 'flights' }] } }),
      ]),
    ) as InboundItem[];
    expect(a).toMatchObject({ type: 'video', text: 'mirá', isMessage: true });
    expect(b).toMatchObject({ type: 'unsupported', isMessage: true });
    expect(b).not.toHaveProperty('text');
  });

  it('a quick reply without text shows its payload as the button text', () => {
    const [item] = parseMessengerWebhook(
      body([event({ message: { mid: 'm_1', quick_reply: { payload: 'user@example.com' } } })]),
    );
    expect(item).toMatchObject({
      type: 'quick_reply',
      button: { payload: 'user@example.com', text: 'user@example.com' },
    });
  });

  it('unknown events and unknown fields are ignored; unstorable characters become U+FFFD', () => {
    const items = parseMessengerWebhook(
      Buffer.from(
        `{"object":"page","entry":[{"id":"${PAGE_A}","time":1,"future":{"x":1},"messaging":[` +
          `{"sender":{"id":"${EMILIA}"},"recipient":{"id":"${PAGE_A}"},"timestamp":5,"brand_new_event":{}},` +
          `{"sender":{"id":"${EMILIA}"},"recipient":{"id":"${PAGE_A}"},"timestamp":6,"extra":[1,2],` +
          `"message":{"mid":"m_1","text":"a\\u0000b\\ud800c","new_field":true}}]}]}`,
      ),
    );
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ type: 'text', text: 'a\uFFFDb\uFFFDc', timestamp: 6 });
  });

  it('an empty entry list, or an entry with no events, yields nothing', () => {
    expect(parseMessengerWebhook(Buffer.from('{"object":"page","entry":[]}'))).toEqual([]);
    expect(
      parseMessengerWebhook(Buffer.from(`{"object":"page","entry":[{"id":"${PAGE_A}","time":1}]}`)),
    ).toEqual([]);
  });
});

describe('parseMessengerWebhook: malformed bodies name the path', () => {
  const cases: Array<[string, Buffer, string]> = [
    ['empty', Buffer.from(''), 'body is empty'],
    ['not JSON', Buffer.from('{"object":'), 'body is not valid JSON'],
    ['an array', Buffer.from('[]'), 'body must be a JSON object, got array'],
    [
      'a WhatsApp body',
      Buffer.from('{"object":"whatsapp_business_account","entry":[]}'),
      'object is "whatsapp_business_account", expected "page"',
    ],
    ['no entry', Buffer.from('{"object":"page"}'), 'entry is missing'],
    ['entry not an array', Buffer.from('{"object":"page","entry":{}}'), 'entry must be an array, got object'],
    [
      'messaging not an array',
      body([], { messaging: 'x' }),
      'entry[0].messaging must be an array, got string',
    ],
    [
      'no sender',
      body([{ recipient: { id: PAGE_A }, timestamp: 1, message: { mid: 'm', text: 'x' } }]),
      'entry[0].messaging[0].sender is missing',
    ],
    [
      'PSID a boolean',
      body([event({ sender: { id: true }, message: { mid: 'm', text: 'x' } })]),
      'entry[0].messaging[0].sender.id must be an id string, got boolean',
    ],
    [
      'empty page id',
      body([event({ recipient: { id: '' }, message: { mid: 'm', text: 'x' } })]),
      'entry[0].messaging[0].recipient.id is empty',
    ],
    [
      'huge PSID',
      body([event({ sender: { id: '9'.repeat(65) }, message: { mid: 'm', text: 'x' } })]),
      'entry[0].messaging[0].sender.id is 65 characters long, at most 64 expected',
    ],
    ['no mid', body([event({ message: { text: 'x' } })]), 'entry[0].messaging[0].message.mid is missing'],
    [
      'text a number',
      body([event({ message: { mid: 'm', text: 7 } })]),
      'entry[0].messaging[0].message.text must be a string, got number',
    ],
    [
      'message a string',
      body([event({ message: 'hi' })]),
      'entry[0].messaging[0].message must be an object, got string',
    ],
    [
      'seconds as text',
      body([event({ timestamp: '1767225600.5', message: { mid: 'm', text: 'x' } })]),
      'entry[0].messaging[0].timestamp must be epoch milliseconds, got "1767225600.5"',
    ],
    [
      'no time anywhere',
      Buffer.from(
        JSON.stringify({
          object: 'page',
          entry: [
            {
              id: PAGE_A,
              messaging: [
                { sender: { id: EMILIA }, recipient: { id: PAGE_A }, message: { mid: 'm', text: 'x' } },
              ],
            },
          ],
        }),
      ),
      'entry[0].messaging[0].timestamp is missing',
    ],
    [
      'quick reply without payload',
      body([event({ message: { mid: 'm', text: 'x', quick_reply: {} } })]),
      'entry[0].messaging[0].message.quick_reply.payload is missing',
    ],
    [
      'attachment without type',
      body([event({ message: { mid: 'm', attachments: [{ payload: {} }] } })]),
      'entry[0].messaging[0].message.attachments[0].type is missing',
    ],
    [
      'postback with nothing',
      body([event({ postback: { mid: 'm' } })]),
      'entry[0].messaging[0].postback.payload is missing',
    ],
    ['watermark missing', body([event({ read: {} })]), 'entry[0].messaging[0].read.watermark is missing'],
    [
      'watermark negative',
      body([event({ delivery: { watermark: -1 } })]),
      'entry[0].messaging[0].delivery.watermark must be epoch milliseconds, got -1',
    ],
    [
      'template without name',
      Buffer.from(
        JSON.stringify({
          object: 'page',
          entry: [
            {
              id: PAGE_A,
              changes: [
                {
                  field: 'message_template_status_update',
                  value: { event: 'APPROVED', message_template_id: 1, message_template_language: 'es' },
                },
              ],
            },
          ],
        }),
      ),
      'entry[0].changes[0].value.message_template_name is missing',
    ],
  ];
  it.each(cases)('%s', (_name, raw, message) => {
    const err = errorOf(() => parseMessengerWebhook(raw));
    expect(err.code).toBe('WEBHOOK_PAYLOAD_INVALID');
    expect(err.message).toContain(message);
    expect(err.details[0]?.path).toBe(message.startsWith('body') ? '(body)' : message.split(' ')[0]);
  });

  it('a body nested far deeper than any event is refused by JSON rules or ignored, never a crash', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const b = Buffer.from(
      `{"object":"page","entry":[{"id":"${PAGE_A}","time":1,"unknown":${deep},"messaging":[]}]}`,
    );
    expect(parseMessengerWebhook(b)).toEqual([]);
  });
});
