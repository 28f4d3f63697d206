/**
 * What the dispatcher does with Meta's refusals: throttling (130429) is retried until accepted,
 * without ever sending a message twice; a permanent refusal (132015, template paused at Meta
 * before we heard of it) fails the message with Meta's code, a plain reason and an event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_ACCOUNT, sandboxAccount } from '../../src/embedded-sandbox';
import { type Harness, REMINDER, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

describe.each(DIALECTS)('dispatch errors on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(dialect, {
      sandbox: {
        // Meta's side allows 10/s; Recontact is configured for 80/s, so Meta throttles it.
        accounts: [sandboxAccount({ throughputMps: 10 })],
      },
    });
  });
  afterAll(() => h.close());

  it('retries throttled sends until Meta accepts them, each exactly once', async () => {
    // Queued while the dispatcher waits, so that they leave together however slow the machine
    // is: a burst of 30 is over Meta's 10/s whatever the time each request takes.
    await h.app.dispatcher.stop();
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await h.api('POST', '/v1/messages', { ...REMINDER, to: `+1 650 555 ${2000 + i}` });
      ids.push(r.json.id);
    }
    h.app.dispatcher.start();
    await h.waitFor(
      'all accepted',
      async () => {
        const rows = await h.store.db
          .selectFrom('messages')
          .select('provider_message_id')
          .where('id', 'in', ids)
          .execute();
        return rows.every((r) => r.provider_message_id !== null);
      },
      20_000,
    );
    const counts = h.embedded.sandbox.countsByCallbackData();
    expect(ids.map((id) => counts.get(id))).toEqual(ids.map(() => 1));
    const retried = await h.store.db
      .selectFrom('message_events')
      .selectAll()
      .where('message_id', 'in', ids)
      .where('status', '=', 'retry_scheduled')
      .execute();
    expect(retried.length).toBeGreaterThan(0);
    expect(JSON.parse(retried[0]!.detail!).error_code).toBe(130429);
  });

  it('fails a message Meta refuses for good, with the code, a reason and an event', async () => {
    // Meta pauses the template, and its webhook does not reach us in time.
    h.embedded.sandbox.setWebhookUrl(SANDBOX_ACCOUNT.phoneNumberId, 'http://127.0.0.1:9/unreachable');
    h.embedded.sandbox.setTemplateStatus(SANDBOX_ACCOUNT.wabaId, 'appointment_reminder', 'es_AR', 'PAUSED');
    const r = await h.api('POST', '/v1/messages', { ...REMINDER, to: '+1 650 555 3999' });
    expect(r.status).toBe(202);
    const failed = await h.waitFor('failed event', () =>
      h.events.find(
        (e) => e.type === 'message.status' && e.data.id === r.json.id && e.data.status === 'failed',
      ),
    );
    expect(failed.data.error.code).toBe(132015);
    expect(failed.data.error.class).toBe('permanent');
    const m = (await h.api('GET', `/v1/messages/${r.json.id}`)).json;
    expect(m.status).toBe('failed');
    expect(m.attempts).toBe(1);
    expect(m.error.message).toMatch(/paused/i);
  });
});
