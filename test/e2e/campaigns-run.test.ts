/**
 * A campaign from launch to completed over real HTTP and the sandbox, on both databases: each
 * eligible recipient gets exactly one message (the sandbox's received log), excluded ones none;
 * counts follow Meta's statuses; a second launch changes nothing; pause holds what is queued
 * and resume sends the rest once; cancel withdraws the unsent; 1:1 messages are not starved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taxiCampaign } from '../support/campaigns';
import { type Harness, REMINDER, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

const SLOW = { timeout: 120_000 };

const CAMPAIGN = (name: string, tag: string, extra: Record<string, unknown> = {}) =>
  taxiCampaign(name, tag, { metadata: { offer: 'taxi10' }, ...extra });

describe.each(DIALECTS)('campaign run on %s', SLOW, (dialect) => {
  let h: Harness;

  const addContacts = async (tag: string, n: number, base: number) => {
    for (let i = 0; i < n; i++) {
      const phone = `+5493415${String(base + i).padStart(6, '0')}`;
      const r = await h.api('PUT', `/v1/contacts/${encodeURIComponent(phone)}`, {
        name: `Persona ${i}`,
        tags: [tag],
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
    }
  };
  const create = async (body: Record<string, unknown>) => {
    const r = await h.api('POST', '/v1/campaigns', body);
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    return r.json.id as string;
  };
  const get = async (id: string) => (await h.api('GET', `/v1/campaigns/${id}`)).json;
  const sentFor = (id: string) =>
    h.embedded.sandbox
      .sent()
      .filter((s) => JSON.stringify(s.body).includes('taxi_discount') && sentMessageCampaign(s) === id);
  const campaignOfMessage = new Map<string, string>();
  const sentMessageCampaign = (s: { bizOpaque?: string }) => campaignOfMessage.get(s.bizOpaque ?? '');
  const learnMessages = async (id: string) => {
    const rows = await h.store.db
      .selectFrom('messages')
      .select(['id'])
      .where('campaign_id', '=', id)
      .execute();
    for (const r of rows) campaignOfMessage.set(r.id, id);
    return rows.length;
  };

  beforeAll(async () => {
    h = await startHarness(dialect, { app: { campaignRunner: { pollMs: 20, checkEveryMs: 50 } } });
    expect((await h.api('POST', '/v1/templates/pull')).status).toBe(200);
  });
  afterAll(() => h.close());

  it('sends each eligible recipient exactly once and completes', async () => {
    await addContacts('run', 40, 1000);
    // One opted out before launch: excluded, never sent.
    await h.api('POST', `/v1/contacts/${encodeURIComponent('+5493415001000')}/consent`, {
      scope: 'marketing',
      state: 'opted_out',
      source: 'api',
    });
    const id = await create(CAMPAIGN('run all', 'run'));
    const launched = await h.api('POST', `/v1/campaigns/${id}/launch`);
    expect(launched.status, JSON.stringify(launched.json)).toBe(200);
    expect(launched.json.state).toBe('running');
    expect(launched.json.counts.recipients).toBe(40);
    // Launching again materialises nothing twice.
    const again = await h.api('POST', `/v1/campaigns/${id}/launch`);
    expect(again.status).toBe(200);
    expect(again.json.counts.recipients).toBe(40);

    const done = await h.waitFor(
      'completed',
      async () => {
        const c = await get(id);
        return c.state === 'completed' ? c : undefined;
      },
      30_000,
    );
    expect(done.counts.excluded).toBe(1);
    expect(done.counts.pending + done.counts.queued).toBe(0);
    expect(await learnMessages(id)).toBe(39);
    const sent = sentFor(id);
    expect(sent).toHaveLength(39);
    expect(new Set(sent.map((s) => s.to)).size).toBe(39);
    expect(sent.map((s) => s.to)).not.toContain('5493415001000');
    const ofCampaign = () =>
      h.events.filter((e) => e.type.startsWith('campaign.') && e.data.campaign.id === id);
    const completed = await h.waitFor('campaign.completed', async () =>
      ofCampaign().find((e) => e.type === 'campaign.completed'),
    );
    expect(ofCampaign()[0]?.type).toBe('campaign.started');
    // Read receipts may still arrive after completion; what was settled then is in the event.
    expect(completed.data.counts).toMatchObject({ recipients: 40, excluded: 1, pending: 0, queued: 0 });
  });

  it('pauses at once, resumes without resending, and cancels the rest unsent', async () => {
    await addContacts('pause', 60, 2000);
    const id = await create(CAMPAIGN('paced', 'pause', { pace: 10 }));
    expect((await h.api('POST', `/v1/campaigns/${id}/launch`)).status).toBe(200);
    await h.waitFor('some sends', async () => (await learnMessages(id)) >= 5 || undefined);
    const paused = await h.api('POST', `/v1/campaigns/${id}/pause`);
    expect(paused.status, JSON.stringify(paused.json)).toBe(200);
    expect(paused.json.state).toBe('paused');
    await h.embedded.sandbox.drainWebhooks();
    await learnMessages(id);
    const atPause = sentFor(id).length;
    await new Promise((r) => setTimeout(r, 1_200));
    await learnMessages(id);
    // Nothing of the campaign leaves once the pause has answered.
    expect(sentFor(id).length).toBe(atPause);
    expect((await h.api('POST', `/v1/campaigns/${id}/pause`)).json.state).toBe('paused');

    const resumed = await h.api('POST', `/v1/campaigns/${id}/resume`);
    expect(resumed.json.state).toBe('running');
    await h.waitFor('more sends', async () => {
      await learnMessages(id);
      return sentFor(id).length > atPause + 3 || undefined;
    });
    const cancelled = await h.api('POST', `/v1/campaigns/${id}/cancel`);
    expect(cancelled.json.state).toBe('cancelled');
    await h.embedded.sandbox.drainWebhooks();
    await learnMessages(id);
    const atCancel = sentFor(id).length;
    await new Promise((r) => setTimeout(r, 600));
    await learnMessages(id);
    expect(sentFor(id).length).toBe(atCancel);
    const sent = sentFor(id);
    expect(new Set(sent.map((s) => s.to)).size).toBe(sent.length);
    const c = await get(id);
    expect(c.counts.cancelled).toBeGreaterThan(0);
    expect(c.counts.cancelled + sent.length).toBe(60);
    const conflict = await h.api('POST', `/v1/campaigns/${id}/resume`);
    expect(conflict.status).toBe(409);
    expect(conflict.json.error.code).toBe('CAMPAIGN_STATE_CONFLICT');
  });

  it('lets a 1:1 message through while a campaign is sending', async () => {
    await addContacts('busy', 200, 3000);
    const id = await create(CAMPAIGN('busy', 'busy', { pace: 40 }));
    expect((await h.api('POST', `/v1/campaigns/${id}/launch`)).status).toBe(200);
    await h.waitFor('campaign sending', async () => (await learnMessages(id)) >= 20 || undefined);
    const started = Date.now();
    const one = await h.api('POST', '/v1/messages', REMINDER);
    expect(one.status, JSON.stringify(one.json)).toBe(202);
    await h.waitFor('reminder accepted', async () => {
      const m = (await h.api('GET', `/v1/messages/${one.json.id}`)).json;
      return m.status !== 'queued' && m.status !== 'sending' ? m : undefined;
    });
    // Behind at most about half a second of the campaign's pace, not its 200 recipients (5 s).
    expect(Date.now() - started).toBeLessThan(3_000);
    expect((await h.api('POST', `/v1/campaigns/${id}/cancel`)).status).toBe(200);
  });
});

// The runner keeps only half a second of a campaign in the outbox, then waits for its poll. A
// dispatcher running dry wakes it: here its poll is ten minutes, so only those wake-ups can move
// the campaign past its first half second.
describe.each(DIALECTS)('a campaign larger than its outbox share on %s', SLOW, (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    // depthSeconds: the outbox share is its floor, 20 messages, whatever the pace.
    h = await startHarness(dialect, { app: { campaignRunner: { pollMs: 600_000, depthSeconds: 0.001 } } });
    expect((await h.api('POST', '/v1/templates/pull')).status).toBe(200);
  });
  afterAll(() => h.close());

  it('is fed to the dispatcher as it drains, not at the runner poll', async () => {
    for (let i = 0; i < 60; i++) {
      const phone = `+5493416${String(i).padStart(6, '0')}`;
      const r = await h.api('PUT', `/v1/contacts/${encodeURIComponent(phone)}`, { tags: ['feed'] });
      expect(r.status).toBe(201);
    }
    // The pace allows all 60 at once; the outbox holds 20 of them: three refills at least.
    const r = await h.api('POST', '/v1/campaigns', taxiCampaign('fed', 'feed', { pace: 1_000 }));
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    const id = r.json.id as string;
    expect((await h.api('POST', `/v1/campaigns/${id}/launch`)).status).toBe(200);
    await h.waitFor(
      'all 60 sent',
      async () => {
        const sent = await h.store.db
          .selectFrom('messages')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('campaign_id', '=', id)
          .where('status', 'in', ['accepted', 'sent', 'delivered', 'read'])
          .executeTakeFirstOrThrow();
        return Number(sent.n) === 60 ? true : undefined;
      },
      30_000,
    );
  });
});
