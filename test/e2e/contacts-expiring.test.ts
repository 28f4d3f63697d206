/**
 * `GET /v1/contacts?window=expiring_within=…` end to end, on both databases: sandbox users write
 * with back-dated timestamps (their windows 23 h 59 min, 23 h 30 min, 20 h and 25 h old), the
 * webhooks carry those times into Recontact, and the list names exactly who loses the window
 * within the duration; a bad value is a 400 that names the parameter and the forms it takes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_ACCOUNT } from '../../src/embedded-sandbox';
import { type Harness, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

const MIN = 60;

describe.each(DIALECTS)('contacts whose window is expiring, on %s', (dialect) => {
  let h: Harness;
  // One clock for Recontact and the sandbox, so both judge the windows at the same instant.
  let offset = 0;
  const clock = () => Date.now() + offset;
  const users = [
    { waId: '5491155550101', ageMin: 24 * 60 - 1 },
    { waId: '5491155550102', ageMin: 24 * 60 - 30 },
    { waId: '5491155550103', ageMin: 20 * 60 },
    { waId: '5491155550104', ageMin: 25 * 60 },
  ];
  const list = async (window: string) => {
    const res = await h.api('GET', `/v1/contacts?window=${window}&limit=100`);
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    return (res.json.data as Array<{ wa_id: string }>).map((c) => c.wa_id);
  };

  beforeAll(async () => {
    h = await startHarness(dialect, { clock, sandbox: { now: clock } });
    const nowS = Math.floor(clock() / 1000);
    for (const u of users) {
      const res = await fetch(`${h.embedded.whatsapp.baseUrl}/_sandbox/users/${u.waId}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          phone_number_id: SANDBOX_ACCOUNT.phoneNumberId,
          text: 'Hola',
          timestamp: nowS - u.ageMin * MIN,
        }),
      });
      expect(res.status).toBe(200);
    }
    await h.waitFor(
      'the four users in the contact book',
      async () => (await list('open')).length + (await list('closed')).length === 4,
    );
  });
  afterAll(() => h?.close());

  it('lists the contacts whose window closes within the duration', async () => {
    expect(await list('expiring_within=PT1H')).toEqual([users[0]!.waId, users[1]!.waId]);
    expect(await list('expiring_within%3DPT15M')).toEqual([users[0]!.waId]);
    expect(await list('expiring_within=PT5H')).toEqual([users[0]!.waId, users[1]!.waId, users[2]!.waId]);
    expect(await list('closed')).toEqual([users[3]!.waId]);
    // Two minutes on: the first window has closed, the second is still within the hour.
    offset += 2 * MIN * 1000;
    expect(await list('expiring_within=PT1H')).toEqual([users[1]!.waId]);
    expect(await list('closed')).toEqual([users[0]!.waId, users[3]!.waId]);
  });

  it('answers 400 naming window= and its forms for a value it cannot read', async () => {
    for (const [value, message] of [
      ['soon', /must be "open", "closed" or "expiring_within=<ISO 8601 duration>"/],
      ['expiring_within=60', /ISO 8601 duration above zero/],
      ['expiring_within=PT48H', /at most the 24-hour window/],
    ] as const) {
      const res = await h.api('GET', `/v1/contacts?window=${value}`);
      expect(res.status, value).toBe(400);
      expect(res.json.error.code).toBe('INPUT_INVALID');
      expect(res.json.error.details).toEqual([
        { path: 'querystring.window', message: expect.stringMatching(message) },
      ]);
      expect(res.json.error.hint).toContain('window=open|closed|expiring_within=PT1H');
    }
  });
});
