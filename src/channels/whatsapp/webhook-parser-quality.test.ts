/** phone_number_quality_update → a phone_quality item (the auto-pause guard's quality trigger). */
import { describe, expect, it } from 'vitest';
import { parseWebhook } from './webhook-parser';

const body = (value: unknown, time?: number) =>
  Buffer.from(
    JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          ...(time === undefined ? {} : { time }),
          changes: [{ field: 'phone_number_quality_update', value }],
        },
      ],
    }),
  );

describe('parseWebhook: phone_number_quality_update', () => {
  it('reads the event, the limits and the entry time', () => {
    const value = {
      display_phone_number: '15550783881',
      event: 'DOWNGRADE',
      current_limit: 'TIER_250',
      old_limit: 'TIER_2K',
    };
    expect(parseWebhook(body(value, 1_780_000_000))).toEqual([
      {
        kind: 'phone_quality',
        wabaId: '102290129340398',
        displayPhoneNumber: '15550783881',
        event: 'DOWNGRADE',
        currentLimit: 'TIER_250',
        oldLimit: 'TIER_2K',
        at: 1_780_000_000_000,
        raw: value,
      },
    ]);
  });

  it('keeps only the digits of the number and upper-cases the event', () => {
    const [item] = parseWebhook(body({ display_phone_number: '+1 555 078 3881', event: 'flagged' }));
    expect(item).toMatchObject({
      kind: 'phone_quality',
      displayPhoneNumber: '15550783881',
      event: 'FLAGGED',
    });
    expect(item).not.toHaveProperty('currentLimit');
  });

  it('names the missing field', () => {
    expect(() => parseWebhook(body({ event: 'FLAGGED' }))).toThrow(
      'entry[0].changes[0].value.display_phone_number is missing',
    );
    expect(() => parseWebhook(body({ display_phone_number: '15550783881' }))).toThrow(
      'entry[0].changes[0].value.event is missing',
    );
  });
});
