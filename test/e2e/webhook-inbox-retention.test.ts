/**
 * WEBHOOK_INBOX_RETENTION as a running Recontact applies it: the bodies Meta's stand-in posted
 * are applied, then, once they are older than the retention on Recontact's clock, the webhook
 * processor's own loop deletes them — and what they said stays in the message's state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMILIA, type Harness, REMINDER, startHarness } from '../support/harness';

describe('webhook inbox retention in a running Recontact', () => {
  let h: Harness;
  let offset = 0;
  beforeAll(async () => {
    h = await startHarness('sqlite', {
      env: { WEBHOOK_INBOX_RETENTION: 'PT1H' },
      clock: () => Date.now() + offset,
    });
  });
  afterAll(() => h.close());

  const inbox = () => h.store.db.selectFrom('webhook_inbox').select(['id', 'status']).execute();

  it('deletes applied bodies an hour old and keeps the statuses they carried', async () => {
    const queued = await h.api('POST', '/v1/messages', REMINDER);
    expect(queued.status).toBe(202);
    const id = queued.json.id as string;
    await h.waitFor('read status event', () =>
      h.events.find((e) => e.type === 'message.status' && e.data.id === id && e.data.status === 'read'),
    );
    const applied = await inbox();
    // sent, delivered and read: one body each, or fewer when the sandbox batches those due together.
    expect(applied.length).toBeGreaterThanOrEqual(1);
    expect(applied.every((r) => r.status === 'processed')).toBe(true);

    offset = 61 * 60_000;
    await h.waitFor('bodies pruned by the loop', async () => (await inbox()).length === 0);
    const msg = await h.api('GET', `/v1/messages/${id}`);
    expect(msg.json.status).toBe('read');
    expect(msg.json.to).toBe(EMILIA.waId);
  });
});
