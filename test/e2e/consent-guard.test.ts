/**
 * The dispatcher's last consent check, on both databases: a marketing template waiting in the
 * queue (here: Meta answering 503, so it is retried) while its contact opts out is failed unsent
 * at its next claim, with the reason, and never reaches Meta; a utility template queued beside it
 * still goes. The order of events is forced (faults held until the opt-out is committed), so the
 * test does not depend on how fast the machine is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMILIA, type Harness, REMINDER, startHarness, taxiDiscount } from '../support/harness';
import { DIALECTS } from '../support/stores';

const TAXI = taxiDiscount();

describe.each(DIALECTS)('consent guard at dispatch on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(dialect, { app: { dispatcher: { retryBaseMs: 50, retryCapMs: 200 } } });
  });
  afterAll(() => h.close());

  const faults = async (method: 'POST' | 'DELETE', body?: unknown) => {
    const res = await fetch(`${h.embedded.sandbox.url}/_sandbox/faults`, {
      method,
      ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
    expect(res.status).toBe(200);
  };
  const message = async (id: string) => (await h.api('GET', `/v1/messages/${id}`)).json;
  const sentTemplates = (name: string) =>
    h.embedded.sandbox
      .sent()
      .filter((s) => (s.body as { template?: { name?: string } }).template?.name === name);

  it('fails a queued marketing template whose contact opted out since, and still sends utility', async () => {
    await faults('POST', { status: 503, count: 100_000 });
    const promo = await h.api('POST', '/v1/messages', TAXI);
    expect(promo.status).toBe(202);
    await h.waitFor(
      'a first attempt refused by Meta',
      async () => (await message(promo.json.id)).attempts >= 1,
    );

    const optOut = await h.api('POST', `/v1/contacts/${encodeURIComponent(EMILIA.phone)}/consent`, {
      scope: 'marketing',
      state: 'opted_out',
      source: 'agent',
      note: 'asked on the phone',
    });
    expect(optOut.status).toBeLessThan(300);
    const reminder = await h.api('POST', '/v1/messages', REMINDER);
    expect(reminder.status).toBe(202);
    await faults('DELETE');

    const failed = await h.waitFor('the promo failed unsent', async () => {
      const m = await message(promo.json.id);
      return m.status === 'failed' ? m : undefined;
    });
    expect(failed.error).toMatchObject({ message: expect.stringContaining('CONTACT_OPTED_OUT') });
    await h.waitFor('the reminder at Meta', () => sentTemplates(REMINDER.template.name).length > 0);
    expect(sentTemplates('taxi_discount')).toEqual([]);
    const status = await h.waitFor('the bot told', () =>
      h.events.find(
        (e) => e.type === 'message.status' && e.data.id === promo.json.id && e.data.status === 'failed',
      ),
    );
    expect(status.data.previous_status).toBe('queued');
  });
});
