import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, REMINDER, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

describe.each(DIALECTS)('Idempotency-Key on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(dialect);
  });
  afterAll(() => h.close());

  it('same key and same body return the same message, sent once', async () => {
    const first = await h.api('POST', '/v1/messages', REMINDER, { 'idempotency-key': 'k-1' });
    // Key order in the body does not matter.
    const reordered = { metadata: REMINDER.metadata, template: REMINDER.template, to: REMINDER.to };
    const second = await h.api('POST', '/v1/messages', reordered, { 'idempotency-key': 'k-1' });
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json.id).toBe(first.json.id);
    await h.waitFor(
      'accepted',
      // null is an answer to waitFor: wait for the id itself.
      async () => (await h.api('GET', `/v1/messages/${first.json.id}`)).json.provider_message_id ?? undefined,
    );
    expect(h.embedded.sandbox.countsByCallbackData().get(first.json.id)).toBe(1);
  });

  it('concurrent requests with one key still create one message', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        h.api('POST', '/v1/messages', REMINDER, { 'idempotency-key': 'k-race' }),
      ),
    );
    const ids = new Set(results.map((r) => r.json.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.status === 202)).toHaveLength(1);
  });

  it('same key with another body is refused with 422', async () => {
    await h.api('POST', '/v1/messages', REMINDER, { 'idempotency-key': 'k-2' });
    const other = { ...REMINDER, metadata: { appointment_id: 'appt-999' } };
    const res = await h.api('POST', '/v1/messages', other, { 'idempotency-key': 'k-2' });
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(res.json.error.data.message_id).toMatch(/^msg_/);
  });

  it('rejects a malformed key', async () => {
    const res = await h.api('POST', '/v1/messages', REMINDER, { 'idempotency-key': 'has space' });
    expect(res.status).toBe(400);
    expect(res.json.error.details[0].path).toContain('idempotency-key');
  });
});
