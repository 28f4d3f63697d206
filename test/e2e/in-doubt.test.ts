/**
 * Sends whose outcome is unknown, end to end on both databases: an answer lost in flight waits
 * for Meta's proof instead of being resent; a send left by a dead worker is settled by the
 * policy after the grace (held in_doubt, or resent), the bot is told, and a held message can be
 * listed and resent on request.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createWhatsAppChannel } from '../../src/channels/whatsapp/client';
import { type Harness, REMINDER, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

describe.each(DIALECTS)('messages in doubt on %s', (dialect) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const start = (policy: 'fail' | 'resend', sentMs = 5) =>
    startHarness(dialect, {
      env: { DISPATCH_IN_DOUBT: policy, DISPATCH_RECOVERY_GRACE_MS: '300' },
      // A short read timeout, so that an answer Meta trickles is given up on (and so unknown).
      app: { dispatcher: { sweepMs: 50 }, channel: createWhatsAppChannel({ timeoutMs: 300 }) },
      // Meta's first status comes after sentMs: long enough, where it matters, to see the doubt.
      sandbox: { delays: { sentMs, deliveredMs: sentMs + 5, readMs: sentMs + 10, templateReviewMs: 20 } },
    });

  const statusOf = async (id: string) => (await h!.api('GET', `/v1/messages/${id}`)).json;

  /** A message a crashed worker had posted: `sending`, its lease long gone. */
  async function leftByDeadWorker(to: string): Promise<string> {
    await h!.app.dispatcher.stop();
    const sent = await h!.api('POST', '/v1/messages', { ...REMINDER, to });
    expect(sent.status).toBe(202);
    const past = Date.now() - 60_000;
    await h!.store.db
      .updateTable('messages')
      .set({ status: 'sending', locked_by: 'dead-worker', locked_until: past, posted_at: past, attempts: 1 })
      .where('id', '=', sent.json.id)
      .execute();
    return sent.json.id as string;
  }

  it('an answer lost in flight makes the send unconfirmed, and Meta’s status settles it: one send', async () => {
    h = await start('fail', 1_500);
    // Meta accepts the next send at once but trickles its answer slower than our read timeout:
    // Recontact cannot know the send was accepted, and must not send it again.
    await h.embedded.sandbox.app.inject({
      method: 'POST',
      url: '/_sandbox/faults',
      payload: { trickle: 1_000 },
    });
    const sent = await h.api('POST', '/v1/messages', REMINDER);
    const doubtful = await h.waitFor('the lost answer', async () => {
      const m = await statusOf(sent.json.id);
      return m.status === 'unconfirmed' && m;
    });
    // What Recontact knows: when the POST left, and until when it waits for Meta's proof.
    expect(Date.parse(doubtful.doubt_until)).toBeGreaterThan(Date.parse(doubtful.posted_at));
    const settled = await h.waitFor('Meta’s proof', async () => {
      const m = await statusOf(sent.json.id);
      return ['sent', 'delivered', 'read'].includes(m.status) && m;
    });
    expect(settled.timeline.map((e: { status: string }) => e.status)).toContain('unconfirmed');
    expect(h.embedded.sandbox.countsByCallbackData().get(sent.json.id)).toBe(1);
  });

  it('holds a dead worker’s send in_doubt after the grace, tells the bot, and resends it on request', async () => {
    h = await start('fail');
    const id = await leftByDeadWorker('+1 650 555 7001');
    h.app.dispatcher.start();
    await h.waitFor('the policy', async () => (await statusOf(id)).status === 'in_doubt', 15_000);
    const event = await h.waitFor('message.in_doubt', () =>
      h!.events.find((e) => e.type === 'message.in_doubt' && e.data.message.id === id),
    );
    expect(event.data.decision).toBe('hold');
    const listed = await h.api('GET', '/v1/messages?status=in_doubt');
    expect(listed.json.data.map((m: { id: string }) => m.id)).toEqual([id]);
    expect(listed.json.data[0].posted_at).not.toBeNull();
    expect(h.embedded.sandbox.countsByCallbackData().get(id) ?? 0).toBe(0);

    const resent = await h.api('POST', `/v1/messages/${id}/resend`);
    expect(resent.status).toBe(202);
    await h.waitFor(
      'the resend to reach Meta',
      () => h!.embedded.sandbox.countsByCallbackData().get(id) === 1,
    );
    const again = await h.api('POST', `/v1/messages/${id}/resend`);
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('MESSAGE_NOT_IN_DOUBT');
    const unknown = await h.api('POST', '/v1/messages/msg_nope/resend');
    expect(unknown.status).toBe(404);
  });

  it('with DISPATCH_IN_DOUBT=resend, sends a dead worker’s unproven message again after the grace', async () => {
    h = await start('resend');
    const id = await leftByDeadWorker('+1 650 555 7002');
    h.app.dispatcher.start();
    await h.waitFor(
      'the resend to reach Meta',
      () => h!.embedded.sandbox.countsByCallbackData().get(id) === 1,
      15_000,
    );
    const event = await h.waitFor('message.in_doubt', () =>
      h!.events.find((e) => e.type === 'message.in_doubt' && e.data.message.id === id),
    );
    expect(event.data.decision).toBe('resend');
  });
});
