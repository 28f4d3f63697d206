/**
 * Every move of the campaign lifecycle, driven by a controllable clock on both databases: the
 * runner does not poll on its own here (pollMs of an hour); the test moves the clock and calls
 * `runOnce()`, so "the start time is reached" or "the expiry passed" is a step of the test, not
 * a wait. The dispatcher and the sandbox send on real time (the clock only runs ahead of it).
 *
 *   draft → running → completed (only when every recipient is settled)
 *   draft → scheduled → running, running ⇄ paused, paused → scheduled
 *   → cancelled from draft, scheduled, running, paused; → expired from scheduled, running, paused
 *   scheduled → failed_to_start (template no longer approved); launch refused while not approved
 *   every refused command: 409 CAMPAIGN_STATE_CONFLICT with the reason
 *   replies per button payload
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTerminalCampaign } from '../../src/domain/campaigns/lifecycle';
import { SANDBOX_ACCOUNT } from '../../src/embedded-sandbox';
import { getTemplate } from '../../src/store/templates-repo';
import { type Harness, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

const SLOW = { timeout: 120_000 };
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Tuesday 10 March 2026, 09:30 UTC: 10:30 in Madrid, 06:30 in Buenos Aires. */
const T0 = Date.parse('2026-03-10T09:30:00Z');
const BA = 'America/Argentina/Buenos_Aires';
const MADRID = 'Europe/Madrid';

const TAXI = (name: string, tag: string, extra: Record<string, unknown> = {}) => ({
  name,
  template: {
    name: 'taxi_discount',
    language: 'es_AR',
    header: { image: { link: 'https://cdn.saludcenter.example/taxi.jpg' } },
    body: [
      { field: 'first_name', default: 'cliente' },
      { attribute: 'discount', default: '10%' },
    ],
    buttons: [
      { payload: 'TAXI_YES' },
      { payload: 'STOP_PROMOS' },
      { url_suffix: 'taxi10' },
      { coupon_code: 'TAXI10' },
    ],
  },
  audience: { filter: { tags: { all: [tag] } } },
  ...extra,
});

const RESUME = (name: string, tag: string, extra: Record<string, unknown> = {}) => ({
  name,
  template: {
    name: 'resume_conversation',
    language: 'es_AR',
    body: { first_name: { field: 'first_name', default: 'cliente' }, topic: 'tu turno' },
  },
  audience: { filter: { tags: { all: [tag] } } },
  ...extra,
});

describe.each(DIALECTS)('campaign lifecycle on %s', SLOW, (dialect) => {
  let h: Harness;
  let shift = 0;
  const clock = () => Date.now() + shift;
  /** Moves the clock forward so that it reads `at` now (never backwards). */
  const setClock = (at: number) => {
    shift = Math.max(shift, at - Date.now());
  };
  const advance = (ms: number) => {
    shift += ms;
  };
  let phoneSeq = 0;

  const contact = async (tag: string, extra: Record<string, unknown> = {}) => {
    phoneSeq++;
    const phone = `+5493416${String(phoneSeq).padStart(6, '0')}`;
    const r = await h.api('PUT', `/v1/contacts/${encodeURIComponent(phone)}`, {
      name: `Persona ${phoneSeq}`,
      tags: [tag],
      time_zone: BA,
      ...extra,
    });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    return { id: r.json.id as string, waId: phone.slice(1) };
  };
  const create = async (body: Record<string, unknown>) => {
    const r = await h.api('POST', '/v1/campaigns', body);
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    return r.json.id as string;
  };
  const command = (id: string, c: 'launch' | 'pause' | 'resume' | 'cancel') =>
    h.api('POST', `/v1/campaigns/${id}/${c}`);
  const ok = async (id: string, c: 'launch' | 'pause' | 'resume' | 'cancel') => {
    const r = await command(id, c);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json;
  };
  const get = async (id: string) => (await h.api('GET', `/v1/campaigns/${id}`)).json;
  const step = async (id: string) => {
    await h.app.campaigns.runOnce();
    return get(id);
  };
  /**
   * Runs the runner until the campaign is in `state` (sends happen on real time meanwhile). A
   * campaign that ends in another state never gets there: that is said at once, with why.
   */
  const drive = (id: string, state: string, ms = 30_000) =>
    h.waitFor(
      `campaign ${id} ${state}`,
      async () => {
        const c = await step(id);
        if (c.state !== state && isTerminalCampaign(c.state)) {
          throw new Error(
            `campaign ${id} ended ${c.state} (${c.state_reason}) while waiting for ${state}; counts ${JSON.stringify(c.counts)}`,
          );
        }
        return c.state === state ? c : undefined;
      },
      ms,
    );
  const messagesOf = (id: string) =>
    h.store.db
      .selectFrom('messages')
      .select(['id', 'contact_id', 'status'])
      .where('campaign_id', '=', id)
      .orderBy('id')
      .execute();
  const sentOf = async (id: string) => {
    const ids = new Set((await messagesOf(id)).map((m) => m.id));
    return h.embedded.sandbox.sent().filter((s) => ids.has(s.bizOpaque ?? ''));
  };
  /** The campaign's lifecycle events (campaign.progress left out: the clock jumps make some). */
  const eventsOf = (id: string) =>
    h.events
      .filter(
        (e) => e.type.startsWith('campaign.') && e.type !== 'campaign.progress' && e.data.campaign?.id === id,
      )
      .map((e) => e.type);
  const templateStatus = async (name: string) =>
    (await getTemplate(h.store.db, h.app.accounts.all()[0]!.id, name, 'es_AR'))?.status;
  const setTemplate = async (name: string, status: string) => {
    h.embedded.sandbox.setTemplateStatus(SANDBOX_ACCOUNT.wabaId, name, 'es_AR', status);
    await h.waitFor(`${name} ${status} in Recontact`, async () => (await templateStatus(name)) === status);
  };
  let dispatching = false;
  const startSending = () => {
    if (!dispatching) h.app.dispatcher.start();
    dispatching = true;
  };

  beforeAll(async () => {
    shift = T0 - Date.now();
    // The runner and dispatcher do not run on their own: the first test needs messages that
    // stay queued; the others start the dispatcher (startSending).
    h = await startHarness(dialect, {
      clock,
      app: {
        runDispatcher: false,
        // A guard that judges a handful of sends, so its test needs few recipients.
        campaignRunner: { pollMs: 3_600_000, autoPause: { window: 20, threshold: 0.5, minSends: 6 } },
      },
    });
  });
  afterAll(() => h.close());

  it('completes only when every recipient is settled: not while one is pending, queued, sending or unconfirmed', async () => {
    setClock(T0);
    const madrid = await contact('settle', { time_zone: MADRID });
    const ba = await contact('settle');
    // 10:00 today on each clock: gone by in Madrid (sent at launch), 13:00 UTC in Buenos Aires.
    const id = await create(
      TAXI('settle', 'settle', { schedule: { local_time: { time: '10:00', date: '2026-03-10' } } }),
    );
    const launched = await ok(id, 'launch');
    expect(launched.state).toBe('running');
    expect(launched.counts).toMatchObject({ recipients: 2, pending: 2 });

    let c = await step(id);
    expect(c.counts).toMatchObject({ pending: 1, queued: 1 });
    const [first] = await messagesOf(id);
    expect(first!.contact_id).toBe(madrid.id);
    // Its message still in the outbox: not completed.
    expect((await step(id)).state).toBe('running');
    await h.store.db.updateTable('messages').set({ status: 'sent' }).where('id', '=', first!.id).execute();
    // Sent, but Buenos Aires still pending its 10:00.
    c = await step(id);
    expect(c.state).toBe('running');
    expect(c.counts).toMatchObject({ pending: 1, sent: 1 });

    setClock(Date.parse('2026-03-10T13:00:00Z'));
    c = await step(id);
    expect(c.counts).toMatchObject({ pending: 0, queued: 1, sent: 1 });
    const second = (await messagesOf(id)).find((m) => m.contact_id === ba.id)!;
    for (const status of ['sending', 'unconfirmed'] as const) {
      await h.store.db.updateTable('messages').set({ status }).where('id', '=', second.id).execute();
      expect((await step(id)).state, status).toBe('running');
    }
    await h.store.db.updateTable('messages').set({ status: 'sent' }).where('id', '=', second.id).execute();
    c = await step(id);
    expect(c.state).toBe('completed');
    expect(c.finished_at).not.toBeNull();
    await h.waitFor('campaign.completed', () => eventsOf(id).includes('campaign.completed'));
    expect(eventsOf(id)).toEqual(['campaign.started', 'campaign.completed']);
  });

  it('the guard judges the last recipients to settle: failures over its threshold pause, never complete', async () => {
    // The dispatcher is not running yet: the outcomes are written here, the last six at once,
    // so whatever order the runner reads things in, they settle together with the campaign.
    for (let i = 0; i < 8; i++) await contact('last');
    const id = await create(TAXI('last to settle', 'last'));
    expect((await ok(id, 'launch')).state).toBe('running');
    expect((await step(id)).counts).toMatchObject({ pending: 0, queued: 8 });
    const messages = await messagesOf(id);
    const settle = (ids: string[], set: { status: 'sent' } | { status: 'failed'; error_code: number }) =>
      h.store.db.updateTable('messages').set(set).where('id', 'in', ids).execute();
    await settle(
      messages.slice(0, 2).map((m) => m.id),
      { status: 'sent' },
    );
    // Two sends judged: fewer than the guard's six, so no verdict yet.
    expect((await step(id)).state).toBe('running');
    await settle(
      messages.slice(2).map((m) => m.id),
      { status: 'failed', error_code: 131026 },
    );
    const paused = await step(id);
    expect(paused.state).toBe('paused');
    expect(paused.state_reason).toMatch(/^6 of the last 8 sends failed \(75%; the campaign pauses at 50%\)/);
    expect(paused.state_reason).toMatch(/131026/);
    expect(paused.counts).toMatchObject({ pending: 0, queued: 0, sent: 2, failed: 6 });
    await h.waitFor('campaign.paused', () => eventsOf(id).includes('campaign.paused'));
    const event = h.events.find((e) => e.type === 'campaign.paused' && e.data.campaign?.id === id)!;
    expect(event.data).toMatchObject({ by: 'guard', reason: paused.state_reason });

    // Nothing is left to send: once a person has seen why, resuming completes it.
    expect((await ok(id, 'resume')).state).toBe('running');
    const done = await step(id);
    expect(done.state).toBe('completed');
    await h.waitFor('campaign.completed', () => eventsOf(id).includes('campaign.completed'));
    expect(eventsOf(id)).toEqual([
      'campaign.started',
      'campaign.paused',
      'campaign.resumed',
      'campaign.completed',
    ]);
  });

  it('draft → scheduled → running when the start time is reached, then completed once all are sent', async () => {
    startSending();
    setClock(T0 + HOUR);
    for (let i = 0; i < 3; i++) await contact('sched');
    const start = clock() + 30 * MINUTE;
    const id = await create(TAXI('scheduled', 'sched', { schedule: { at: new Date(start).toISOString() } }));
    const launched = await ok(id, 'launch');
    expect(launched.state).toBe('scheduled');
    expect(launched.counts).toMatchObject({ recipients: 3, pending: 3 });
    expect((await step(id)).state).toBe('scheduled');
    advance(29 * MINUTE);
    expect((await step(id)).state).toBe('scheduled');
    expect(await messagesOf(id)).toHaveLength(0);
    setClock(start);
    const done = await drive(id, 'completed');
    expect(done.counts).toMatchObject({ recipients: 3, pending: 0, queued: 0 });
    expect(await sentOf(id)).toHaveLength(3);
    await h.waitFor('campaign.completed', () => eventsOf(id).includes('campaign.completed'));
    expect(eventsOf(id)).toEqual(['campaign.started', 'campaign.completed']);
  });

  it('running ⇄ paused, and paused → scheduled while nothing was sent and the start is ahead', async () => {
    startSending();
    setClock(T0 + 2 * HOUR);
    for (let i = 0; i < 4; i++) await contact('pausing');
    // An excluded recipient does not make the campaign "started".
    const out = await contact('pausing');
    expect(
      (await h.api('POST', `/v1/contacts/${out.id}/consent`, { scope: 'marketing', state: 'opted_out' }))
        .status,
    ).toBe(201);
    const start = clock() + HOUR;
    const id = await create(TAXI('pausing', 'pausing', { schedule: { at: new Date(start).toISOString() } }));
    expect((await ok(id, 'launch')).state).toBe('scheduled');

    expect((await ok(id, 'pause')).state).toBe('paused');
    const back = await ok(id, 'resume');
    expect(back.state).toBe('scheduled');
    expect(back.counts).toMatchObject({ excluded: 1, pending: 4 });
    expect((await ok(id, 'pause')).state).toBe('paused');
    // Paused past its start: nothing is sent, it waits for a person.
    setClock(start + MINUTE);
    expect((await step(id)).state).toBe('paused');
    expect(await messagesOf(id)).toHaveLength(0);
    // The start has passed: resume goes to running.
    expect((await ok(id, 'resume')).state).toBe('running');
    await drive(id, 'completed');
    expect(await sentOf(id)).toHaveLength(4);

    // running → paused → running with sends made in between: running again, nothing resent.
    for (let i = 0; i < 3; i++) await contact('pausing2');
    const id2 = await create(TAXI('pausing again', 'pausing2'));
    expect((await ok(id2, 'launch')).state).toBe('running');
    await drive(id2, 'completed');
    // Past the pair limit (6 s) of the sends just made to the same people.
    advance(10_000);
    const id3 = await create(TAXI('pause after sends', 'pausing2', { frequency_cap_hours: 0 }));
    expect((await ok(id3, 'launch')).state).toBe('running');
    await step(id3);
    expect((await ok(id3, 'pause')).state).toBe('paused');
    await h.embedded.sandbox.drainWebhooks();
    const resumed = await ok(id3, 'resume');
    expect(resumed.state).toBe('running');
    await drive(id3, 'completed');
    const sent = await sentOf(id3);
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((s) => s.to)).size).toBe(3);
    await h.waitFor('campaign.completed', () => eventsOf(id3).includes('campaign.completed'));
    expect(eventsOf(id3)).toEqual([
      'campaign.started',
      'campaign.paused',
      'campaign.resumed',
      'campaign.completed',
    ]);
  });

  it('cancels from draft, scheduled, running and paused; the unsent become cancelled', async () => {
    startSending();
    setClock(T0 + 4 * HOUR);
    for (let i = 0; i < 3; i++) await contact('cancel');
    const later = new Date(clock() + HOUR).toISOString();

    const draft = await create(TAXI('cancel draft', 'cancel'));
    const d = await ok(draft, 'cancel');
    expect(d).toMatchObject({ state: 'cancelled', counts: { recipients: 0 } });

    const scheduled = await create(TAXI('cancel scheduled', 'cancel', { schedule: { at: later } }));
    await ok(scheduled, 'launch');
    const s = await ok(scheduled, 'cancel');
    expect(s).toMatchObject({ state: 'cancelled', counts: { recipients: 3, cancelled: 3, pending: 0 } });

    const paused = await create(
      TAXI('cancel paused', 'cancel', { frequency_cap_hours: 0, schedule: { at: later } }),
    );
    await ok(paused, 'launch');
    await ok(paused, 'pause');
    const p = await ok(paused, 'cancel');
    expect(p).toMatchObject({ state: 'cancelled', counts: { cancelled: 3 } });

    // A running campaign with queued messages: cancel withdraws them unsent.
    const live = await create(TAXI('cancel live', 'cancel', { frequency_cap_hours: 0, pace: 1 }));
    expect((await ok(live, 'launch')).state).toBe('running');
    await step(live);
    const c = await ok(live, 'cancel');
    expect(c.state).toBe('cancelled');
    await h.embedded.sandbox.drainWebhooks();
    const after = await get(live);
    expect(after.counts.pending + after.counts.queued).toBe(0);
    expect(after.counts.cancelled + (await sentOf(live)).length).toBe(3);
    expect(after.counts.cancelled).toBeGreaterThan(0);
    for (const id of [draft, scheduled, paused, live]) {
      await h.waitFor(`campaign.cancelled of ${id}`, () => eventsOf(id).includes('campaign.cancelled'));
    }
  });

  it('expires from scheduled, running and paused: the unsent become expired, never sent late', async () => {
    startSending();
    setClock(T0 + 6 * HOUR);
    for (let i = 0; i < 2; i++) await contact('expire');
    await contact('expire', { time_zone: MADRID });
    const now = clock();
    const iso = (ms: number) => new Date(ms).toISOString();

    const scheduled = await create(
      TAXI('expire scheduled', 'expire', {
        schedule: { at: iso(now + 30 * MINUTE), expires_at: iso(now + HOUR) },
      }),
    );
    expect((await ok(scheduled, 'launch')).state).toBe('scheduled');
    const paused = await create(
      TAXI('expire paused', 'expire', {
        frequency_cap_hours: 0,
        schedule: { at: iso(now + 30 * MINUTE), expires_at: iso(now + HOUR) },
      }),
    );
    await ok(paused, 'launch');
    await ok(paused, 'pause');
    // Running: Madrid's 16:00 has gone by (sent at launch); Buenos Aires's is 19:00 UTC, at
    // the expiry: expired at launch, counted, never queued.
    const running = await create(
      TAXI('expire running', 'expire', {
        frequency_cap_hours: 0,
        schedule: { local_time: { time: '16:00', date: '2026-03-10' }, expires_at: '2026-03-10T19:00:00Z' },
      }),
    );
    const r = await ok(running, 'launch');
    expect(r.state).toBe('running');
    expect(r.counts).toMatchObject({ recipients: 3, pending: 1, expired: 2 });

    setClock(now + HOUR);
    for (const id of [scheduled, paused]) {
      const c = await step(id);
      expect(c.state, id).toBe('expired');
      expect(c.counts).toMatchObject({ expired: 3, pending: 0 });
      expect(await messagesOf(id)).toHaveLength(0);
    }
    await drive(running, 'completed');
    expect(await sentOf(running)).toHaveLength(1);

    // Running with recipients still pending at the expiry: expired, never sent tomorrow.
    const today = await create(
      TAXI('today only', 'expire', {
        frequency_cap_hours: 0,
        schedule: { local_time: { time: '17:00', date: '2026-03-10' }, expires_at: '2026-03-10T23:00:00Z' },
      }),
    );
    const t = await ok(today, 'launch');
    expect(t.state).toBe('running'); // Madrid's 17:00 has passed; Buenos Aires's is 20:00 UTC
    expect(t.counts).toMatchObject({ pending: 3 });
    advance(10_000); // Madrid was sent the campaign above: past the pair limit
    await step(today);
    await h.waitFor('Madrid sent', async () => (await sentOf(today)).length === 1);
    setClock(Date.parse('2026-03-10T23:00:00Z'));
    const e = await step(today);
    expect(e.state).toBe('expired');
    expect(e.counts.expired).toBe(2);
    setClock(Date.parse('2026-03-11T21:00:00Z'));
    await h.app.campaigns.runOnce();
    await h.embedded.sandbox.drainWebhooks();
    expect(await sentOf(today)).toHaveLength(1);
    await h.waitFor('campaign.expired', () => eventsOf(today).includes('campaign.expired'));
  });

  it('fails to start when its template stops being approved before the start, and will not launch one not approved', async () => {
    startSending();
    setClock(T0 + 30 * HOUR);
    await contact('fts');
    const start = new Date(clock() + HOUR).toISOString();
    const id = await create(RESUME('fails to start', 'fts', { schedule: { at: start } }));
    expect((await ok(id, 'launch')).state).toBe('scheduled');
    await setTemplate('resume_conversation', 'PAUSED');
    try {
      const c = await step(id);
      expect(c.state).toBe('failed_to_start');
      expect(c.state_reason).toMatch(/resume_conversation \(es_AR\) was paused by WhatsApp/);
      expect(c.counts).toMatchObject({ pending: 0, cancelled: 1 });
      await h.waitFor('campaign.failed_to_start', () => eventsOf(id).includes('campaign.failed_to_start'));

      const draft = await create(RESUME('not ready', 'fts'));
      const refused = await command(draft, 'launch');
      expect(refused.status).toBe(409);
      expect(refused.json.error.code).toBe('CAMPAIGN_NOT_READY');
      expect(refused.json.error.message).toMatch(
        /"resume_conversation" \(es_AR\) is PAUSED at Meta, not APPROVED/,
      );
      expect((await get(draft)).state).toBe('draft');
    } finally {
      await setTemplate('resume_conversation', 'APPROVED');
    }
  });

  it('refuses every command a state does not take with 409 CAMPAIGN_STATE_CONFLICT and the reason', async () => {
    startSending();
    setClock(T0 + 32 * HOUR);
    await contact('refuse');
    const expectConflict = async (
      id: string,
      c: 'launch' | 'pause' | 'resume' | 'cancel',
      reason: RegExp,
    ) => {
      const r = await command(id, c);
      expect(r.status, `${c}: ${JSON.stringify(r.json)}`).toBe(409);
      expect(r.json.error.code).toBe('CAMPAIGN_STATE_CONFLICT');
      expect(r.json.error.message).toMatch(reason);
    };
    const draft = await create(TAXI('refusals', 'refuse'));
    await expectConflict(draft, 'pause', /a draft campaign cannot be paused/);
    await expectConflict(draft, 'resume', /the campaign is draft; only a paused campaign can be resumed/);

    const scheduled = await create(
      TAXI('refusals scheduled', 'refuse', { schedule: { at: new Date(clock() + HOUR).toISOString() } }),
    );
    await ok(scheduled, 'launch');
    // Repeats are harmless: launching, resuming a scheduled campaign, pausing a paused one.
    expect((await ok(scheduled, 'launch')).state).toBe('scheduled');
    expect((await ok(scheduled, 'resume')).state).toBe('scheduled');
    await ok(scheduled, 'pause');
    expect((await ok(scheduled, 'pause')).state).toBe('paused');
    await ok(scheduled, 'cancel');
    for (const c of ['pause', 'resume'] as const) {
      await expectConflict(
        scheduled,
        c,
        new RegExp(`the campaign is cancelled; nothing can ${c} it any more`),
      );
    }
    expect((await ok(scheduled, 'cancel')).state).toBe('cancelled');
    expect((await ok(scheduled, 'launch')).state).toBe('cancelled');

    const done = await create(TAXI('refusals done', 'refuse'));
    await ok(done, 'launch');
    await drive(done, 'completed');
    for (const c of ['pause', 'resume', 'cancel'] as const) {
      await expectConflict(done, c, new RegExp(`the campaign is completed; nothing can ${c} it any more`));
    }
    const r = await command(done, 'cancel');
    expect(r.json.error.hint).toMatch(/create a new one/);
  });

  it('counts replies per button payload', async () => {
    startSending();
    setClock(T0 + 34 * HOUR);
    const people = [
      await contact('replies'),
      await contact('replies'),
      await contact('replies'),
      await contact('replies'),
    ];
    const id = await create(TAXI('replies', 'replies'));
    await ok(id, 'launch');
    await drive(id, 'completed');
    const sent = await sentOf(id);
    expect(sent).toHaveLength(4);
    const wamidOf = (waId: string) => sent.find((s) => s.to === waId)!.wamid;
    const tap = async (waId: string, button: number) => {
      const r = await fetch(`${h.embedded.sandbox.url}/_sandbox/users/${waId}/tap`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          phone_number_id: SANDBOX_ACCOUNT.phoneNumberId,
          wamid: wamidOf(waId),
          button,
        }),
      });
      expect(r.status, await r.text()).toBe(200);
    };
    await tap(people[0]!.waId, 0);
    await tap(people[1]!.waId, 0);
    await tap(people[2]!.waId, 1);
    const c = await h.waitFor('three replies', async () => {
      const v = await get(id);
      return v.counts.replied === 3 ? v : undefined;
    });
    expect(c.replies_by_payload).toEqual({ TAXI_YES: 2, STOP_PROMOS: 1 });
  });

  it('after the guard pauses, a resume starts it afresh: not paused again for the failures that paused it', async () => {
    startSending();
    setClock(T0 + 36 * HOUR);
    const people = [];
    for (let i = 0; i < 8; i++) people.push(await contact('guard'));
    const sandbox = h.embedded.sandbox.url;
    const errors = (method: string, body?: unknown) =>
      fetch(`${sandbox}/_sandbox/errors`, {
        method,
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
    // Meta fails the sends to six of the eight, whatever order they go out in (the two that
    // succeed may well go first), and no other send can take one of these failures: "not a
    // WhatsApp user" (131026), a failure that counts. In the send's answer (sync): a failure
    // Meta reports later by webhook may come after the campaign completed, since an accepted
    // send is settled for the campaign.
    for (const p of people.slice(2)) {
      const r = await errors('POST', { code: 131026, to: p.waId, count: 1, mode: 'sync' });
      expect(r.status, await r.text()).toBe(200);
    }
    const id = await create(TAXI('guarded', 'guard'));
    await ok(id, 'launch');
    const paused = await drive(id, 'paused');
    expect(paused.state_reason).toMatch(/131026/);
    await h.waitFor('campaign.paused', () => eventsOf(id).includes('campaign.paused'));
    const event = h.events.find((e) => e.type === 'campaign.paused' && e.data.campaign?.id === id)!;
    expect(event.data).toMatchObject({ by: 'guard', reason: paused.state_reason });

    expect((await ok(id, 'resume')).state).toBe('running');
    const done = await drive(id, 'completed');
    expect(done.counts.failed).toBe(6);
    expect(done.counts.recipients - done.counts.failed).toBe(2);
    // Each injected failure went to its recipient's send, held by the pause or not.
    const left = (await (await errors('GET')).json()) as { data: unknown[] };
    expect(left.data).toEqual([]);
    await h.waitFor('campaign.completed', () => eventsOf(id).includes('campaign.completed'));
    expect(eventsOf(id)).toEqual([
      'campaign.started',
      'campaign.paused',
      'campaign.resumed',
      'campaign.completed',
    ]);
  });
});
