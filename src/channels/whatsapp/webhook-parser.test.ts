import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRecontactError, type RecontactError } from '../../domain/errors';
import { parseWebhook, unknownPreferenceValues } from './webhook-parser';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const raw = (name: string): Buffer => readFileSync(join(FIXTURES, name));
const json = (name: string): any => JSON.parse(raw(name).toString('utf8'));

const WABA_A = '102290129340398';
const PHONE_A = '106540352242922';

describe('parseWebhook: fixtures', () => {
  it('every fixture parses', () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(12);
    for (const f of files) expect(() => parseWebhook(raw(f)), f).not.toThrow();
  });

  it('batched entries from two WABAs, several statuses per change, a duplicate, an unknown field', () => {
    const body = json('statuses-batched-two-wabas.json');
    const a = body.entry[0].changes[0].value.statuses;
    const b = body.entry[1].changes[0].value.statuses;
    const utility = { billable: true, pricing_model: 'PMP', type: 'regular', category: 'utility' };
    expect(parseWebhook(raw('statuses-batched-two-wabas.json'))).toStrictEqual([
      {
        kind: 'status',
        externalId: PHONE_A,
        providerMessageId: 'wamid.HBgNNTQ5MTE1NTU1MDAwMRUCABEYEjQ1QjdDOTFBMkQzRTRGNUE2AA==',
        status: 'sent',
        timestamp: 1764061200000,
        recipientId: '5491155550001',
        ourMessageId: '01JD8ZQ3V5X2K7M9N4P6R8T0W1',
        pricing: utility,
        raw: a[0],
      },
      {
        kind: 'status',
        externalId: PHONE_A,
        providerMessageId: 'wamid.HBgNNTQ5MTE1NTU1MDAwMhUCABEYEjdGOEE5QjBDMUQyRTNGNEE1AA==',
        status: 'sent',
        timestamp: 1764061201000,
        recipientId: '5491155550002',
        ourMessageId: '01JD8ZQ3V5X2K7M9N4P6R8T0W2',
        pricing: utility,
        raw: a[1],
      },
      {
        kind: 'status',
        externalId: PHONE_A,
        providerMessageId: 'wamid.HBgNNTQ5MTE1NTU1MDAwMRUCABEYEjQ1QjdDOTFBMkQzRTRGNUE2AA==',
        status: 'delivered',
        timestamp: 1764061203000,
        recipientId: '5491155550001',
        ourMessageId: '01JD8ZQ3V5X2K7M9N4P6R8T0W1',
        pricing: utility,
        raw: a[2],
      },
      // The duplicate is reported as is: deduplication belongs to webhook ingestion.
      {
        kind: 'status',
        externalId: PHONE_A,
        providerMessageId: 'wamid.HBgNNTQ5MTE1NTU1MDAwMRUCABEYEjQ1QjdDOTFBMkQzRTRGNUE2AA==',
        status: 'delivered',
        timestamp: 1764061203000,
        recipientId: '5491155550001',
        ourMessageId: '01JD8ZQ3V5X2K7M9N4P6R8T0W1',
        pricing: utility,
        raw: a[3],
      },
      {
        kind: 'status',
        externalId: '118273645500192',
        providerMessageId: 'wamid.HBgNNTQ5MTE1NTU1MDEwMBUCABEYEkExQjJDM0Q0RTVGNkE3QjhDOQA=',
        status: 'read',
        timestamp: 1764061260000,
        recipientId: '5491155550100',
        ourMessageId: '01JD8ZR0A1B2C3D4E5F6G7H8J9',
        pricing: {
          billable: false,
          pricing_model: 'PMP',
          type: 'free_customer_service',
          category: 'service',
        },
        raw: b[0],
      },
    ]);
  });

  it('out-of-order statuses keep their order and timestamps (read before delivered, delivered after failed)', () => {
    const s = json('statuses-out-of-order.json').entry[0].changes[0].value.statuses;
    const marketing = { billable: true, pricing_model: 'PMP', type: 'regular', category: 'marketing' };
    expect(parseWebhook(raw('statuses-out-of-order.json'))).toStrictEqual([
      {
        kind: 'status',
        externalId: PHONE_A,
        providerMessageId: 'wamid.HBgNNTQ5MTE1NTU1MDAwMxUCABEYEjJBM0I0QzVENkU3RjhBOUIwAA==',
        status: 'read',
        timestamp: 1764061500000,
        recipientId: '5491155550003',
        ourMessageId: '01JD8ZS1K2M3N4P5Q6R7S8T9V0',
        pricing: marketing,
        raw: s[0],
      },
      {
        kind: 'status',
        externalId: PHONE_A,
        providerMessageId: 'wamid.HBgNNTQ5MTE1NTU1MDAwMxUCABEYEjJBM0I0QzVENkU3RjhBOUIwAA==',
        status: 'delivered',
        timestamp: 1764061490000,
        recipientId: '5491155550003',
        ourMessageId: '01JD8ZS1K2M3N4P5Q6R7S8T9V0',
        pricing: marketing,
        raw: s[1],
      },
      {
        kind: 'status',
        externalId: PHONE_A,
        providerMessageId: 'wamid.HBgNNTQ5MTE1NTU1MDAwNBUCABEYEjNCNEM1RDZFN0Y4QTlCMEMxAA==',
        status: 'failed',
        timestamp: 1764061520000,
        recipientId: '5491155550004',
        ourMessageId: '01JD8ZS2W3X4Y5Z6A7B8C9D0E1',
        errors: [
          {
            code: 131026,
            title: 'Message undeliverable',
            message: 'Message undeliverable',
            details: 'Message Undeliverable.',
          },
        ],
        raw: s[2],
      },
      {
        kind: 'status',
        externalId: PHONE_A,
        providerMessageId: 'wamid.HBgNNTQ5MTE1NTU1MDAwNBUCABEYEjNCNEM1RDZFN0Y4QTlCMEMxAA==',
        status: 'delivered',
        timestamp: 1764061525000,
        recipientId: '5491155550004',
        ourMessageId: '01JD8ZS2W3X4Y5Z6A7B8C9D0E1',
        pricing: marketing,
        raw: s[3],
      },
    ]);
  });

  it('failed status with 131047 (re-engagement)', () => {
    const s = json('status-failed-131047.json').entry[0].changes[0].value.statuses[0];
    expect(parseWebhook(raw('status-failed-131047.json'))).toStrictEqual([
      {
        kind: 'status',
        externalId: PHONE_A,
        providerMessageId: 'wamid.HBgNNTQ5MTE1NTU1MDAwNRUCABEYEjRDNUQ2RTdGOEE5QjBDMUQyAA==',
        status: 'failed',
        timestamp: 1764062000000,
        recipientId: '5491155550005',
        ourMessageId: '01JD8ZT7F8G9H0J1K2M3N4P5Q6',
        errors: [
          {
            code: 131047,
            title: 'Re-engagement message',
            message: 'Re-engagement message',
            details:
              'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
          },
        ],
        raw: s,
      },
    ]);
  });

  it('inbound text with \\u-escaped ñ, ¿ and an emoji (surrogate pair) is decoded', () => {
    const m = json('inbound-text-unicode.json').entry[0].changes[0].value.messages[0];
    expect(parseWebhook(raw('inbound-text-unicode.json'))).toStrictEqual([
      {
        kind: 'inbound',
        externalId: PHONE_A,
        providerMessageId: 'wamid.HBgNNTQ5MTE1NTU1MDAwMRUCABIYFDNBMDVDNjk5QUVFMDM4MTAxNDRGAA==',
        from: '5491155550001',
        profileName: 'Emilia Dueñas',
        timestamp: 1764063000000,
        type: 'text',
        text: '¿Puedo cambiar mi turno para mañana? 🙏',
        raw: m,
      },
    ]);
  });

  it('template quick-reply button tap with context', () => {
    const m = json('inbound-button-context.json').entry[0].changes[0].value.messages[0];
    expect(parseWebhook(raw('inbound-button-context.json'))).toStrictEqual([
      {
        kind: 'inbound',
        externalId: PHONE_A,
        providerMessageId: 'wamid.HBgNNTQ5MTE1NTU1MDAwMRUCABIYFjNFQjBDNzk4RjJBOUQ0RTVGNkE3QjgA',
        from: '5491155550001',
        profileName: 'Emilia',
        timestamp: 1764063100000,
        type: 'button',
        button: { payload: 'appt:APT-20261203-0042:confirm', text: 'Confirmar' },
        contextProviderId: 'wamid.HBgNNTQ5MTE1NTU1MDAwMRUCABEYEjQ1QjdDOTFBMkQzRTRGNUE2AA==',
        raw: m,
      },
    ]);
  });

  it('interactive button_reply and list_reply, profile names matched by wa_id', () => {
    const ms = json('inbound-interactive-replies.json').entry[0].changes[0].value.messages;
    expect(parseWebhook(raw('inbound-interactive-replies.json'))).toStrictEqual([
      {
        kind: 'inbound',
        externalId: PHONE_A,
        providerMessageId: 'wamid.HBgNNTQ5MTE1NTU1MDAwMRUCABIYFjNFQjBENjY3RjhBOUIwQzFEMkUzRjQA',
        from: '5491155550001',
        profileName: 'Emilia',
        timestamp: 1764063200000,
        type: 'interactive',
        interactiveReply: { id: 'slot_am', title: 'Mañana' },
        contextProviderId: 'wamid.HBgNNTQ5MTE1NTU1MDAwMRUCABEYEkJDNDNGOEE3RjU4NDk2NTAA',
        raw: ms[0],
      },
      {
        kind: 'inbound',
        externalId: PHONE_A,
        providerMessageId: 'wamid.HBgNNTQ5MTE1NTU1MDAwNhUCABIYFjNFQjBFNzc4QTlCMEMxRDJFM0Y0QTUA',
        from: '5491155550006',
        profileName: 'Martín',
        timestamp: 1764063205000,
        type: 'interactive',
        interactiveReply: { id: 'clinic_centro', title: 'Sede Centro', description: 'Av. Corrientes 1234' },
        contextProviderId: 'wamid.HBgNNTQ5MTE1NTU1MDAwNhUCABEYEkQ1RTZGN0E4QjlDMEQxRTIA',
        raw: ms[1],
      },
    ]);
  });

  it('image and unsupported messages keep their type name (details stay in raw)', () => {
    const ms = json('inbound-image-unsupported.json').entry[0].changes[0].value.messages;
    expect(parseWebhook(raw('inbound-image-unsupported.json'))).toStrictEqual([
      {
        kind: 'inbound',
        externalId: PHONE_A,
        providerMessageId: 'wamid.HBgNNTQ5MTE1NTU1MDAwMRUCABIYFjNFQjBGODg5QjBDMUQyRTNGNEE1QjYA',
        from: '5491155550001',
        profileName: 'Emilia',
        timestamp: 1764063300000,
        type: 'image',
        raw: ms[0],
      },
      {
        kind: 'inbound',
        externalId: PHONE_A,
        providerMessageId: 'wamid.HBgNNTQ5MTE1NTU1MDAwMRUCABIYFjNFQjBBOTlDQzBEMUUyRjNBNEI1QzcA',
        from: '5491155550001',
        profileName: 'Emilia',
        timestamp: 1764063310000,
        type: 'unsupported',
        raw: ms[1],
      },
    ]);
    expect(
      (parseWebhook(raw('inbound-image-unsupported.json'))[0]!.raw as { image: { id: string } }).image.id,
    ).toBe('1203948572039485');
  });

  it('BSUID user without wa_id: from_user_id, contact matched by user_id, recipient_user_id', () => {
    const v = json('inbound-bsuid.json').entry[0].changes[0].value;
    expect(parseWebhook(raw('inbound-bsuid.json'))).toStrictEqual([
      {
        kind: 'inbound',
        externalId: PHONE_A,
        providerMessageId: 'wamid.HBgNQVIuMTM0OTEyMDg2NTUzMDI3NDE5MTgVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
        from: 'AR.13491208655302741918',
        profileName: 'Sofía',
        timestamp: 1764063400000,
        type: 'text',
        text: 'hola',
        raw: v.messages[0],
        fromUserId: 'AR.13491208655302741918',
      },
      {
        kind: 'status',
        externalId: PHONE_A,
        providerMessageId: 'wamid.HBgNQVIuMTM0OTEyMDg2NTUzMDI3NDE5MTgVAgARGBI5QTBDQTA1RjZGMEREMkU4RjYA',
        status: 'delivered',
        timestamp: 1764063401000,
        recipientId: 'AR.13491208655302741918',
        recipientUserId: 'AR.13491208655302741918',
        ourMessageId: '01JD8ZV5B6C7D8E9F0G1H2J3K4',
        raw: v.statuses[0],
      },
    ]);
  });

  it('wa_id and BSUID together: from is the wa_id, fromUserId the BSUID', () => {
    const body = wrap({
      metadata: META,
      contacts: [{ profile: { name: 'Sheena' }, wa_id: '16505551234', user_id: 'US.13491208655302741918' }],
      messages: [
        {
          from: '16505551234',
          from_user_id: 'US.13491208655302741918',
          id: 'wamid.A',
          timestamp: '1749416383',
          type: 'text',
          text: { body: 'hi' },
        },
      ],
      statuses: [
        {
          id: 'wamid.S',
          status: 'read',
          timestamp: '1749416384',
          recipient_id: '16505551234',
          recipient_user_id: 'US.13491208655302741918',
        },
      ],
    });
    expect(parseWebhook(Buffer.from(JSON.stringify(body)))).toMatchObject([
      { kind: 'inbound', from: '16505551234', fromUserId: 'US.13491208655302741918', profileName: 'Sheena' },
      { kind: 'status', recipientId: '16505551234', recipientUserId: 'US.13491208655302741918' },
    ]);
  });

  it('system messages: number and BSUID changes become identity changes; other system types stay inbound', () => {
    const ms = json('system-identity-changes.json').entry[0].changes[0].value.messages;
    expect(parseWebhook(raw('system-identity-changes.json'))).toStrictEqual([
      {
        kind: 'identity_change',
        externalId: PHONE_A,
        change: 'number',
        providerMessageId: 'wamid.SYSTEM1',
        timestamp: 1764063600000,
        waId: '5491155550001',
        newWaId: '5491155550009',
        // No previous_user_id: the BSUID did not change with the number.
        previousUserId: 'AR.13491208655302741918',
        userId: 'AR.13491208655302741918',
        raw: ms[0],
      },
      {
        kind: 'identity_change',
        externalId: PHONE_A,
        change: 'number',
        providerMessageId: 'wamid.SYSTEM2',
        timestamp: 1764063660000,
        waId: '5491155550002',
        newWaId: '5491155550003',
        previousUserId: 'AR.222',
        userId: 'AR.333',
        raw: ms[1],
      },
      {
        kind: 'identity_change',
        externalId: PHONE_A,
        change: 'user_id',
        providerMessageId: 'wamid.SYSTEM3',
        timestamp: 1764063720000,
        previousUserId: 'AR.444',
        userId: 'AR.555',
        raw: ms[2],
      },
      {
        kind: 'inbound',
        externalId: PHONE_A,
        providerMessageId: 'wamid.SYSTEM4',
        from: '5491155550004',
        timestamp: 1764063780000,
        type: 'system',
        raw: ms[3],
      },
    ]);
  });

  it('user_id_update (forwarded by some BSPs): nested or flat ids, entry time as fallback', () => {
    const list = json('user-id-update.json').entry[0].changes[0].value.user_id_update;
    expect(parseWebhook(raw('user-id-update.json'))).toStrictEqual([
      {
        kind: 'identity_change',
        externalId: PHONE_A,
        change: 'user_id',
        previousUserId: 'AR.111',
        userId: 'AR.112',
        waId: '5491155550001',
        timestamp: 1764063800000,
        raw: list[0],
      },
      {
        kind: 'identity_change',
        externalId: PHONE_A,
        change: 'user_id',
        previousUserId: 'AR.777',
        userId: 'AR.778',
        timestamp: 1764063850000,
        raw: list[1],
      },
    ]);
  });

  it('template REJECTED with rejection_info', () => {
    const v = json('template-status-rejected.json').entry[0].changes[0].value;
    expect(parseWebhook(raw('template-status-rejected.json'))).toStrictEqual([
      {
        kind: 'template_status',
        wabaId: WABA_A,
        event: 'REJECTED',
        providerTemplateId: '1689556908129835',
        name: 'recordatorio_turno',
        language: 'es_AR',
        reason: 'INVALID_FORMAT',
        details: 'Parameters are adjacent without text between them. Put descriptive text between variables.',
        raw: v,
      },
    ]);
  });

  it('template ids above 2^53 keep every digit; other_info and disable_info become details', () => {
    const items = parseWebhook(raw('template-status-large-ids.json'));
    expect(items.map((i) => ('providerTemplateId' in i ? i.providerTemplateId : null))).toStrictEqual([
      '9007199254740993',
      '12345678901234567891',
      '1024768325896441',
    ]);
    // JSON.parse alone would have lost them:
    expect(String(JSON.parse('9007199254740993'))).toBe('9007199254740992');
    expect(items[0]).toMatchObject({ kind: 'template_status', event: 'APPROVED', reason: 'NONE' });
    expect(items[0]).not.toHaveProperty('details');
    expect(items[1]).toMatchObject({
      event: 'PAUSED',
      name: 'descuento_taxi',
      details:
        'FIRST_PAUSE: Your message template has been paused for 3 hours until Nov 25, 2026 at 4:15 PM UTC due to low quality.',
    });
    expect(items[2]).toMatchObject({ event: 'DISABLED', details: 'disable_date 1764064100' });
    // raw carries unsafe ids as exact strings; ids that fit stay numbers.
    expect((items[1]!.raw as { message_template_id: unknown }).message_template_id).toBe(
      '12345678901234567891',
    );
    expect((items[2]!.raw as { message_template_id: unknown }).message_template_id).toBe(1024768325896441);
  });

  it('quality and category updates; message_template_components_update is skipped', () => {
    const body = json('template-quality-category.json');
    expect(parseWebhook(raw('template-quality-category.json'))).toStrictEqual([
      {
        kind: 'template_quality',
        wabaId: WABA_A,
        providerTemplateId: '806312974716042',
        name: 'descuento_taxi',
        language: 'es_AR',
        previousScore: 'GREEN',
        newScore: 'YELLOW',
        raw: body.entry[0].changes[0].value,
      },
      {
        kind: 'template_category',
        wabaId: WABA_A,
        providerTemplateId: '1311829286279524',
        name: 'agente_disponible',
        language: 'es_AR',
        previousCategory: 'UTILITY',
        newCategory: 'MARKETING',
        raw: body.entry[1].changes[0].value,
      },
    ]);
  });

  it('system error (value.errors)', () => {
    const v = json('system-error.json').entry[0].changes[0].value;
    expect(parseWebhook(raw('system-error.json'))).toStrictEqual([
      {
        kind: 'system_error',
        externalId: PHONE_A,
        errors: [
          {
            code: 131042,
            title: 'Business eligibility payment issue',
            message: 'Business eligibility payment issue',
            details:
              'Message failed to send because there were one or more errors related to your payment method.',
          },
        ],
        raw: v,
      },
    ]);
  });
});

describe('parseWebhook: edge cases that are not errors', () => {
  it('empty entry list and unknown fields give no items', () => {
    expect(parseWebhook(Buffer.from('{"object":"whatsapp_business_account","entry":[]}'))).toStrictEqual([]);
    const body = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '1',
          changes: [
            { field: 'account_update', value: { anything: [1, 2] } },
            { field: 'security', value: 'not even an object' },
          ],
        },
      ],
    };
    expect(parseWebhook(Buffer.from(JSON.stringify(body)))).toStrictEqual([]);
  });

  it('button without payload falls back to the label; numeric timestamp accepted', () => {
    const body = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '1',
          changes: [
            {
              field: 'messages',
              value: {
                metadata: { phone_number_id: '9' },
                messages: [
                  { from: '1', id: 'wamid.X', timestamp: 1700000000, type: 'button', button: { text: 'Sí' } },
                ],
              },
            },
          ],
        },
      ],
    };
    expect(parseWebhook(Buffer.from(JSON.stringify(body)))[0]).toMatchObject({
      timestamp: 1700000000000,
      button: { payload: 'Sí', text: 'Sí' },
    });
  });
});

function errorOf(body: string | object): RecontactError {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  try {
    parseWebhook(Buffer.from(text));
  } catch (e) {
    if (isRecontactError(e)) return e;
    throw e;
  }
  throw new Error('expected parseWebhook to throw');
}

function wrap(value: unknown, field = 'messages'): object {
  return { object: 'whatsapp_business_account', entry: [{ id: WABA_A, changes: [{ field, value }] }] };
}

const META = { display_phone_number: '15550783881', phone_number_id: PHONE_A };

describe('parseWebhook: statuses Meta may add later', () => {
  it('passes an unknown status on instead of rejecting the whole body', () => {
    const body = wrap({ metadata: META, statuses: [{ id: 'w', status: 'bounced', timestamp: '1' }] });
    const [item] = parseWebhook(Buffer.from(JSON.stringify(body)));
    expect(item).toMatchObject({ kind: 'status', status: 'bounced', providerMessageId: 'w' });
  });
});

describe('parseWebhook: user_preferences (marketing stop / resume)', () => {
  it('one item per preference, by wa_id or by user_id (BSUID), numeric timestamp in ms', () => {
    const prefs = json('user-preferences.json').entry[0].changes[0].value.user_preferences;
    expect(parseWebhook(raw('user-preferences.json'))).toStrictEqual([
      {
        kind: 'user_preference',
        externalId: PHONE_A,
        waId: '5491155550001',
        category: 'marketing_messages',
        value: 'stop',
        detail: 'User requested to stop marketing messages',
        at: 1764063500000,
        raw: prefs[0],
      },
      {
        kind: 'user_preference',
        externalId: PHONE_A,
        userId: 'AR.13491208655302741918',
        category: 'marketing_messages',
        value: 'resume',
        detail: 'User requested to resume marketing messages',
        at: 1764063560000,
        raw: prefs[1],
      },
    ]);
  });

  it('both addresses kept; string timestamp and other categories accepted; no detail', () => {
    const body = wrap(
      {
        metadata: META,
        user_preferences: [
          {
            wa_id: '15551234567',
            user_id: 'US.1',
            category: 'service_messages',
            value: 'stop',
            timestamp: '10',
          },
        ],
      },
      'user_preferences',
    );
    expect(parseWebhook(Buffer.from(JSON.stringify(body)))).toMatchObject([
      { waId: '15551234567', userId: 'US.1', category: 'service_messages', value: 'stop', at: 10_000 },
    ]);
    expect(parseWebhook(Buffer.from(JSON.stringify(body)))[0]).not.toHaveProperty('detail');
  });

  it('a value Meta adds later yields no item and is recorded, without rejecting the body', () => {
    unknownPreferenceValues.clear();
    const body = wrap(
      {
        metadata: META,
        user_preferences: [
          { wa_id: '1', category: 'marketing_messages', value: 'snooze', timestamp: 1 },
          { wa_id: '2', category: 'marketing_messages', value: 'stop', timestamp: 1 },
        ],
      },
      'user_preferences',
    );
    expect(parseWebhook(Buffer.from(JSON.stringify(body))).map((i) => (i as { waId?: string }).waId)).toEqual(
      ['2'],
    );
    expect([...unknownPreferenceValues]).toEqual(['snooze']);
  });

  const bad: Array<[string, object, string]> = [
    ['no metadata', { user_preferences: [] }, 'entry[0].changes[0].value.metadata is missing'],
    ['no list', { metadata: META }, 'entry[0].changes[0].value.user_preferences is missing'],
    [
      'neither wa_id nor user_id',
      { metadata: META, user_preferences: [{ category: 'marketing_messages', value: 'stop', timestamp: 1 }] },
      'entry[0].changes[0].value.user_preferences[0].wa_id is missing (and there is no user_id)',
    ],
    [
      'value not a string',
      {
        metadata: META,
        user_preferences: [{ wa_id: '1', category: 'marketing_messages', value: true, timestamp: 1 }],
      },
      'entry[0].changes[0].value.user_preferences[0].value must be a string, got boolean',
    ],
    [
      'bad timestamp',
      { metadata: META, user_preferences: [{ wa_id: '1', category: 'm', value: 'stop', timestamp: -5 }] },
      'entry[0].changes[0].value.user_preferences[0].timestamp must be Unix seconds, got -5',
    ],
    [
      'no category',
      { metadata: META, user_preferences: [{ user_id: 'US.1', value: 'stop', timestamp: 1 }] },
      'entry[0].changes[0].value.user_preferences[0].category is missing',
    ],
  ];
  it.each(bad)('%s', (_name, value, message) => {
    const e = errorOf(wrap(value, 'user_preferences'));
    expect(e.code).toBe('WEBHOOK_PAYLOAD_INVALID');
    expect(e.message).toBe(message);
  });
});

describe('parseWebhook: malformed bodies', () => {
  const cases: Array<[string, string | object, string]> = [
    ['empty body', '', 'body is empty'],
    ['array root', '[]', 'body must be a JSON object, got array'],
    ['wrong object', { object: 'page', entry: [] }, 'object is "page", expected "whatsapp_business_account"'],
    ['missing object', { entry: [] }, 'object is missing'],
    ['missing entry', { object: 'whatsapp_business_account' }, 'entry is missing'],
    [
      'entry not an array',
      { object: 'whatsapp_business_account', entry: {} },
      'entry must be an array, got object',
    ],
    [
      'entry item not an object',
      { object: 'whatsapp_business_account', entry: [3] },
      'entry[0] must be an object, got number',
    ],
    [
      'missing changes',
      { object: 'whatsapp_business_account', entry: [{ id: '1' }] },
      'entry[0].changes is missing',
    ],
    [
      'change without field',
      { object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ value: {} }] }] },
      'entry[0].changes[0].field is missing',
    ],
    ['messages value missing', wrap(undefined), 'entry[0].changes[0].value is missing'],
    ['metadata missing', wrap({ statuses: [] }), 'entry[0].changes[0].value.metadata is missing'],
    [
      'phone_number_id missing',
      wrap({ metadata: {}, statuses: [] }),
      'entry[0].changes[0].value.metadata.phone_number_id is missing',
    ],
    [
      'statuses not an array',
      wrap({ metadata: META, statuses: 'x' }),
      'entry[0].changes[0].value.statuses must be an array, got string',
    ],
    [
      'status id missing (second change)',
      {
        object: 'whatsapp_business_account',
        entry: [
          {
            id: WABA_A,
            changes: [
              { field: 'account_update', value: {} },
              {
                field: 'messages',
                value: { metadata: META, statuses: [{ status: 'sent', timestamp: '1' }] },
              },
            ],
          },
        ],
      },
      'entry[0].changes[1].value.statuses[0].id is missing',
    ],
    [
      'bad timestamp',
      wrap({ metadata: META, statuses: [{ id: 'w', status: 'sent', timestamp: 'yesterday' }] }),
      'entry[0].changes[0].value.statuses[0].timestamp must be Unix seconds, got "yesterday"',
    ],
    [
      'status error without code',
      wrap({
        metadata: META,
        statuses: [{ id: 'w', status: 'failed', timestamp: '1', errors: [{ title: 'x' }] }],
      }),
      'entry[0].changes[0].value.statuses[0].errors[0].code is missing',
    ],
    [
      'pricing not an object',
      wrap({ metadata: META, statuses: [{ id: 'w', status: 'sent', timestamp: '1', pricing: 'PMP' }] }),
      'entry[0].changes[0].value.statuses[0].pricing must be an object, got string',
    ],
    [
      'message without from or from_user_id',
      wrap({ metadata: META, messages: [{ id: 'w', timestamp: '1', type: 'text', text: { body: 'x' } }] }),
      'entry[0].changes[0].value.messages[0].from is missing (and there is no from_user_id)',
    ],
    [
      'user_changed_number without new_wa_id',
      wrap({
        metadata: META,
        messages: [
          { from: '1', id: 'w', timestamp: '1', type: 'system', system: { type: 'user_changed_number' } },
        ],
      }),
      'entry[0].changes[0].value.messages[0].system.new_wa_id is missing',
    ],
    [
      'user_changed_user_id without previous_user_id',
      wrap({
        metadata: META,
        messages: [
          {
            from_user_id: 'US.2',
            id: 'w',
            timestamp: '1',
            type: 'system',
            system: { type: 'user_changed_user_id' },
          },
        ],
      }),
      'entry[0].changes[0].value.messages[0].system.previous_user_id is missing',
    ],
    [
      'system message without system object',
      wrap({ metadata: META, messages: [{ from: '1', id: 'w', timestamp: '1', type: 'system' }] }),
      'entry[0].changes[0].value.messages[0].system is missing',
    ],
    [
      'user_id_update without the new id',
      wrap(
        { metadata: META, user_id_update: [{ previous_user_id: 'US.1', timestamp: 1 }] },
        'user_id_update',
      ),
      'entry[0].changes[0].value.user_id_update[0].user_id is missing',
    ],
    [
      'text message without body',
      wrap({ metadata: META, messages: [{ from: '1', id: 'w', timestamp: '1', type: 'text', text: {} }] }),
      'entry[0].changes[0].value.messages[0].text.body is missing',
    ],
    [
      'list_reply without title',
      wrap({
        metadata: META,
        messages: [
          {
            from: '1',
            id: 'w',
            timestamp: '1',
            type: 'interactive',
            interactive: { type: 'list_reply', list_reply: { id: 'a' } },
          },
        ],
      }),
      'entry[0].changes[0].value.messages[0].interactive.list_reply.title is missing',
    ],
    [
      'system error title is a number',
      wrap({ metadata: META, errors: [{ code: 1, title: 2 }] }),
      'entry[0].changes[0].value.errors[0].title must be a string, got number',
    ],
    [
      'template status without id',
      wrap(
        { event: 'APPROVED', message_template_name: 'n', message_template_language: 'en' },
        'message_template_status_update',
      ),
      'entry[0].changes[0].value.message_template_id is missing',
    ],
    [
      'template id with a fraction',
      wrap(
        {
          event: 'APPROVED',
          message_template_id: 1.5,
          message_template_name: 'n',
          message_template_language: 'en',
        },
        'message_template_status_update',
      ),
      'entry[0].changes[0].value.message_template_id must be an integer id, got 1.5',
    ],
    [
      'quality update without new score',
      wrap(
        { message_template_id: 1, message_template_name: 'n', message_template_language: 'en' },
        'message_template_quality_update',
      ),
      'entry[0].changes[0].value.new_quality_score is missing',
    ],
    [
      'category update on an entry without id',
      {
        object: 'whatsapp_business_account',
        entry: [{ changes: [{ field: 'template_category_update', value: {} }] }],
      },
      'entry[0].id is missing',
    ],
  ];

  it.each(cases)('%s', (_name, body, message) => {
    const e = errorOf(body);
    expect(e.code).toBe('WEBHOOK_PAYLOAD_INVALID');
    expect(e.message).toBe(message);
  });

  it('invalid JSON names the parser error', () => {
    const e = errorOf('{"object":"whatsapp_business_account",');
    expect(e.code).toBe('WEBHOOK_PAYLOAD_INVALID');
    expect(e.message).toMatch(/^body is not valid JSON: /);
  });

  it('details carry the path', () => {
    const e = errorOf(wrap({ metadata: META, statuses: [{ status: 'sent', timestamp: '1' }] }));
    expect(e.details).toStrictEqual([
      { path: 'entry[0].changes[0].value.statuses[0].id', message: 'is missing' },
    ]);
  });
});
