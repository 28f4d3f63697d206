/**
 * When each recipient is sent, with a controllable clock on both databases: local time in each
 * recipient's zone (across New York's spring-forward Sunday, Madrid, Buenos Aires), nobody queued
 * before their time; quiet hours (the account's CAMPAIGN_QUIET_HOURS, a campaign's own, or
 * `"quiet_hours": null` for none), also for a send the pair limit moved; expiry (after it, never);
 * every exclusion reason and what changes after launch; Meta's messaging limit (the rest wait for
 * the oldest reach to leave the moving 24 h) and the pair limit (6 s after the last message).
 *
 * The runner does not poll on its own (pollMs of an hour) and no dispatcher runs: what is due is
 * queued by `runOnce()`, which is all these rules decide.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipientsPage } from '../../src/store/campaign-results-query';
import { insertMessages } from '../../src/store/messages-repo';
import { taxiCampaign } from '../support/campaigns';
import { type Harness, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

const SLOW = { timeout: 120_000 };
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const BA = 'America/Argentina/Buenos_Aires';
const NY = 'America/New_York';
const MADRID = 'Europe/Madrid';
const KOLKATA = 'Asia/Kolkata';
const LA = 'America/Los_Angeles';
const t = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const TAXI = taxiCampaign;

/** One harness with a movable clock, its runner driven by hand; helpers over it. */
function rig(
  dialect: 'sqlite' | 'postgres',
  opts: { env?: Record<string, string>; runner?: object; start: number },
) {
  const r = {
    h: undefined as unknown as Harness,
    shift: 0,
    seq: 0,
  };
  const clock = () => Date.now() + r.shift;
  const api = {
    clock,
    /** Moves the clock so it reads `at` (never backwards). */
    setClock(at: number) {
      r.shift = Math.max(r.shift, at - Date.now());
    },
    get h() {
      return r.h;
    },
    async start() {
      r.shift = opts.start - Date.now();
      r.h = await startHarness(dialect, {
        clock,
        ...(opts.env ? { env: opts.env } : {}),
        app: { runDispatcher: false, campaignRunner: { pollMs: 3_600_000, ...opts.runner } },
      });
    },
    async contact(tag: string, timeZone: string, extra: Record<string, unknown> = {}) {
      r.seq++;
      const phone = `+5493417${String(r.seq).padStart(6, '0')}`;
      const res = await r.h.api('PUT', `/v1/contacts/${encodeURIComponent(phone)}`, {
        name: `Persona ${r.seq}`,
        tags: [tag],
        time_zone: timeZone,
        ...extra,
      });
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      return { id: res.json.id as string, phone, zone: timeZone };
    },
    async launch(body: Record<string, unknown>) {
      const c = await r.h.api('POST', '/v1/campaigns', body);
      expect(c.status, JSON.stringify(c.json)).toBe(201);
      const l = await r.h.api('POST', `/v1/campaigns/${c.json.id}/launch`);
      expect(l.status, JSON.stringify(l.json)).toBe(200);
      return l.json as { id: string; state: string; counts: Record<string, number> };
    },
    async get(id: string) {
      return (await r.h.api('GET', `/v1/campaigns/${id}`)).json;
    },
    /** Each recipient: its stored state, reason and send time. */
    async recipients(id: string) {
      const rows = await recipientsPage(r.h.store.db, { campaignId: id, limit: 1000 });
      return new Map(
        rows.map((x) => [x.contact_id, { state: x.stored_state, reason: x.reason, sendAt: iso(x.send_at) }]),
      );
    },
    async queued(id: string) {
      const rows = await recipientsPage(r.h.store.db, { campaignId: id, states: ['queued'], limit: 1000 });
      return rows.map((x) => x.contact_id).sort();
    },
    /** Two passes: one may only move the campaign (scheduled → running), the next queues. */
    async run() {
      await r.h.app.campaigns.runOnce();
      await r.h.app.campaigns.runOnce();
    },
  };
  return api;
}

describe.each(DIALECTS)('campaign schedule on %s', SLOW, (dialect) => {
  // Saturday 7 March 2026, noon UTC: New York springs forward at 02:00 on Sunday the 8th.
  const x = rig(dialect, { env: { CAMPAIGN_QUIET_HOURS: '21:00-09:00' }, start: t('2026-03-07T12:00:00Z') });
  beforeAll(() => x.start());
  afterAll(() => x.h.close());

  it("sends at each recipient's local time across zones and New York's spring-forward, nobody before their time", async () => {
    const a = {
      ny: await x.contact('dst-a', NY),
      madrid: await x.contact('dst-a', MADRID),
      ba: await x.contact('dst-a', BA),
    };
    const b = {
      ny: await x.contact('dst-b', NY),
      madrid: await x.contact('dst-b', MADRID),
      ba: await x.contact('dst-b', BA),
    };
    // "quiet_hours": null: none, although the account has 21:00–09:00.
    const sunday = await x.launch(
      TAXI('sunday 10:00', 'dst-a', {
        schedule: { local_time: { time: '10:00', weekday: 'sunday' }, quiet_hours: null },
      }),
    );
    const early = await x.launch(
      TAXI('02:30 on the change', 'dst-b', {
        schedule: { local_time: { time: '02:30', date: '2026-03-08' }, quiet_hours: null },
      }),
    );
    expect(sunday.state).toBe('scheduled');
    expect(early.state).toBe('scheduled');
    const sendAt = async (id: string) =>
      new Map([...(await x.recipients(id)).entries()].map(([k, v]) => [k, v.sendAt] as const));
    expect(await sendAt(sunday.id)).toEqual(
      new Map([
        [a.ny.id, '2026-03-08T14:00:00.000Z'], // 10:00 EDT, the offset after the change
        [a.madrid.id, '2026-03-08T09:00:00.000Z'], // 10:00 CET
        [a.ba.id, '2026-03-08T13:00:00.000Z'], // 10:00 -03
      ]),
    );
    expect(await sendAt(early.id)).toEqual(
      new Map([
        [b.ny.id, '2026-03-08T07:00:00.000Z'], // 02:30 does not exist in New York that night: 03:00 EDT
        [b.madrid.id, '2026-03-08T01:30:00.000Z'],
        [b.ba.id, '2026-03-08T05:30:00.000Z'],
      ]),
    );

    const steps: Array<[string, string, string]> = [
      ['2026-03-08T01:30:00Z', early.id, b.madrid.id],
      ['2026-03-08T05:30:00Z', early.id, b.ba.id],
      ['2026-03-08T07:00:00Z', early.id, b.ny.id],
      ['2026-03-08T09:00:00Z', sunday.id, a.madrid.id],
      ['2026-03-08T13:00:00Z', sunday.id, a.ba.id],
      ['2026-03-08T14:00:00Z', sunday.id, a.ny.id],
    ];
    const expected = new Map<string, string[]>([
      [sunday.id, []],
      [early.id, []],
    ]);
    for (const [at, campaign, contact] of steps) {
      // A minute before: the clock runs on while the runner works, on a busy machine too.
      x.setClock(t(at) - MINUTE);
      await x.run();
      for (const [id, list] of expected)
        expect(await x.queued(id), `just before ${at}`).toEqual([...list].sort());
      x.setClock(t(at));
      await x.run();
      expected.get(campaign)!.push(contact);
      for (const [id, list] of expected) expect(await x.queued(id), `at ${at}`).toEqual([...list].sort());
    }
  });

  it("holds sends in quiet hours until they end on the recipient's clock: the account's, the campaign's, or none", async () => {
    x.setClock(t('2026-03-09T12:00:00Z'));
    const zones = [BA, MADRID, NY, KOLKATA];
    const people = async (tag: string) => {
      const out: Record<string, string> = {};
      for (const z of zones) out[z] = (await x.contact(tag, z)).id;
      return out;
    };
    const acc = await people('quiet-account');
    const none = await people('quiet-none');
    const own = await people('quiet-own');
    const at = '2026-03-09T23:30:00Z'; // 20:30 in Buenos Aires, 00:30 in Madrid, 19:30 in New York, 05:00 in Kolkata
    const byAccount = await x.launch(TAXI('account quiet hours', 'quiet-account', { schedule: { at } }));
    const noQuiet = await x.launch(
      TAXI('no quiet hours', 'quiet-none', { schedule: { at, quiet_hours: null } }),
    );
    const ownQuiet = await x.launch(
      TAXI('own quiet hours', 'quiet-own', { schedule: { at, quiet_hours: { from: '20:00', to: '22:00' } } }),
    );
    const sendAt = async (id: string, ids: Record<string, string>) => {
      const r = await x.recipients(id);
      return Object.fromEntries(zones.map((z) => [z, r.get(ids[z]!)!.sendAt]));
    };
    expect(await sendAt(byAccount.id, acc)).toEqual({
      [BA]: '2026-03-09T23:30:00.000Z',
      [MADRID]: '2026-03-10T08:00:00.000Z', // 09:00 in Madrid
      [NY]: '2026-03-09T23:30:00.000Z',
      [KOLKATA]: '2026-03-10T03:30:00.000Z', // 09:00 in Kolkata
    });
    expect(await sendAt(noQuiet.id, none)).toEqual(
      Object.fromEntries(zones.map((z) => [z, '2026-03-09T23:30:00.000Z'])),
    );
    expect(await sendAt(ownQuiet.id, own)).toEqual({
      [BA]: '2026-03-10T01:00:00.000Z', // 22:00 in Buenos Aires
      [MADRID]: '2026-03-09T23:30:00.000Z',
      [NY]: '2026-03-09T23:30:00.000Z',
      [KOLKATA]: '2026-03-09T23:30:00.000Z',
    });
    // Nobody in quiet hours is queued before they end.
    x.setClock(t(at));
    await x.run();
    expect(await x.queued(byAccount.id)).toEqual([acc[BA]!, acc[NY]!].sort());
    x.setClock(t('2026-03-10T03:29:00Z'));
    await x.run();
    expect(await x.queued(byAccount.id)).toEqual([acc[BA]!, acc[NY]!].sort());
    x.setClock(t('2026-03-10T03:30:00Z'));
    await x.run();
    expect(await x.queued(byAccount.id)).toEqual([acc[BA]!, acc[NY]!, acc[KOLKATA]!].sort());
  });

  it('moves a send that the pair limit holds out of quiet hours too', async () => {
    // 20:59:58 in Buenos Aires: a 1:1 message to the contact, then the campaign at once.
    x.setClock(t('2026-03-11T23:59:58Z'));
    const p = await x.contact('quiet-pair', BA);
    const one = await x.h.api('POST', '/v1/messages', {
      to: p.phone,
      template: {
        name: 'appointment_reminder',
        language: 'es_AR',
        body: ['Emilia', 'la Dra. Gómez', 'lunes 3 de marzo a las 10:00'],
        buttons: [{ payload: 'CONFIRM:1' }, { payload: 'CANCEL:1' }],
      },
    });
    expect(one.status, JSON.stringify(one.json)).toBe(202);
    const c = await x.launch(TAXI('pair then quiet', 'quiet-pair'));
    expect(c.state).toBe('running');
    await x.run();
    // 6 s after the 1:1 message is 21:00:04 there: quiet, so 09:00 the next morning.
    expect((await x.recipients(c.id)).get(p.id)).toEqual({
      state: 'pending',
      reason: null,
      sendAt: '2026-03-12T12:00:00.000Z',
    });
  });

  it('expires what is unsent at expires_at; a time after it in their zone is expired at launch, never sent tomorrow', async () => {
    x.setClock(t('2026-03-12T20:00:00Z'));
    const ba = await x.contact('expiry', BA);
    const madrid = await x.contact('expiry', MADRID);
    const la = await x.contact('expiry', LA);
    // 22:00 in Buenos Aires "today only" (until 23:59 there): the account's quiet hours hold
    // Buenos Aires and Madrid (02:00) until 09:00 tomorrow, after the expiry. Los Angeles: 18:00.
    const c = await x.launch(
      TAXI('today only', 'expiry', {
        schedule: { at: '2026-03-13T01:00:00Z', expires_at: '2026-03-13T02:59:00Z' },
      }),
    );
    expect(c.state).toBe('scheduled');
    expect(c.counts).toMatchObject({ recipients: 3, pending: 1, expired: 2 });
    const r = await x.recipients(c.id);
    expect(r.get(ba.id)).toEqual({ state: 'expired', reason: 'send_time_after_expiry', sendAt: null });
    expect(r.get(madrid.id)).toMatchObject({ state: 'expired', reason: 'send_time_after_expiry' });
    expect(r.get(la.id)).toEqual({ state: 'pending', reason: null, sendAt: '2026-03-13T01:00:00.000Z' });
    x.setClock(t('2026-03-13T01:00:00Z'));
    await x.run();
    expect(await x.queued(c.id)).toEqual([la.id]);
    // Nothing sends it (no dispatcher here): at the expiry its message is withdrawn unsent.
    x.setClock(t('2026-03-13T02:59:00Z'));
    await x.run();
    const after = await x.get(c.id);
    expect(after.state).toBe('expired');
    expect(after.counts).toMatchObject({ expired: 3, queued: 0, pending: 0 });
    const msgs = await x.h.store.db
      .selectFrom('messages')
      .select(['status', 'error_class'])
      .where('campaign_id', '=', c.id)
      .execute();
    expect(msgs).toEqual([{ status: 'failed', error_class: 'withdrawn' }]);
    x.setClock(t('2026-03-13T16:00:00Z'));
    await x.run();
    expect((await x.get(c.id)).counts).toMatchObject({ expired: 3, queued: 0 });
  });

  it('materialises every exclusion reason, and re-checks each recipient at its send', async () => {
    x.setClock(t('2026-03-14T15:00:00Z'));
    const tag = 'excl';
    const needs = { attributes: { discount: '15%' } };
    const ok = await x.contact(tag, BA, needs);
    const optedOut = await x.contact(tag, BA, needs);
    const invalid = await x.contact(tag, BA, needs);
    const missing = await x.contact(tag, BA); // no discount, and the template has no default
    const capped = await x.contact(tag, BA, needs);
    const erased = await x.contact(tag, BA, needs);
    const lateOptOut = await x.contact(tag, BA, needs);
    const lateMissing = await x.contact(tag, BA, needs);
    const lateErased = await x.contact(tag, BA, needs);
    const h = x.h;
    expect(
      (await h.api('POST', `/v1/contacts/${optedOut.id}/consent`, { scope: 'marketing', state: 'opted_out' }))
        .status,
    ).toBe(201);
    // Meta answered "not a WhatsApp user" (131026) to an earlier send.
    const account = h.app.accounts.all()[0]!.id;
    const failedId = h.app.ctx.id('msg');
    await insertMessages(h.store.db, [
      {
        id: failedId,
        accountId: account,
        contactId: invalid.id,
        to: invalid.phone.slice(1),
        content: { kind: 'template' },
        template: { name: 'appointment_reminder', language: 'es_AR' },
        metadata: null,
        idempotencyKey: null,
        requestHash: null,
        replyToProviderId: null,
        queuedAt: x.clock() - 40 * HOUR,
      },
    ]);
    await h.store.db
      .updateTable('messages')
      .set({ status: 'failed', error_code: 131026 })
      .where('id', '=', failedId)
      .execute();
    // A marketing template two hours ago: inside the account's 24 h frequency cap.
    await h.store.db
      .updateTable('contacts')
      .set({ last_marketing_at: x.clock() - 2 * HOUR })
      .where('id', '=', capped.id)
      .execute();
    expect((await h.api('DELETE', `/v1/contacts/${erased.id}`)).status).toBe(200);

    const list = [ok, optedOut, invalid, missing, capped, erased, lateOptOut, lateMissing, lateErased].map(
      (c) => c.id,
    );
    const body = {
      ...TAXI('exclusions', tag),
      template: {
        ...TAXI('', tag).template,
        body: [{ field: 'first_name', default: 'cliente' }, { attribute: 'discount' }],
      },
      // A list audience: ok's phone again (a duplicate), and a number no contact has.
      audience: { list: { contacts: [...list, ok.phone, '+5491100009999'] } },
    };
    const created = await h.api('POST', '/v1/campaigns', body);
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const plan = await h.api('POST', `/v1/campaigns/${created.json.id}/plan`);
    expect(plan.status, JSON.stringify(plan.json)).toBe(200);
    expect(plan.json.recipients).toBe(4);
    expect(plan.json.excluded).toMatchObject({
      opted_out: 1,
      invalid_number: 1,
      missing_value: 1,
      frequency_cap: 1,
      erased: 1,
    });
    const launched = await h.api('POST', `/v1/campaigns/${created.json.id}/launch`);
    expect(launched.status, JSON.stringify(launched.json)).toBe(200);
    const id = launched.json.id as string;
    // The list's duplicate and unknown number make no recipient: each contact once.
    expect(launched.json.counts).toMatchObject({ recipients: 9, excluded: 5, pending: 4 });
    expect(launched.json.excluded_by_reason).toEqual({
      opted_out: 1,
      invalid_number: 1,
      missing_value: 1,
      frequency_cap: 1,
      erased: 1,
    });

    // After launch, before the send: an opt-out, a value removed, an erasure.
    expect(
      (
        await h.api('POST', `/v1/contacts/${lateOptOut.id}/consent`, {
          scope: 'marketing',
          state: 'opted_out',
        })
      ).status,
    ).toBe(201);
    const patched = await h.api('PATCH', `/v1/contacts/${lateMissing.id}`, {
      remove_attributes: ['discount'],
    });
    expect(patched.status, JSON.stringify(patched.json)).toBe(200);
    expect((await h.api('DELETE', `/v1/contacts/${lateErased.id}`)).status).toBe(200);
    await x.run();

    const r = await x.recipients(id);
    const of = (c: { id: string }) => {
      const v = r.get(c.id)!;
      return { state: v.state, reason: v.reason };
    };
    expect(of(ok)).toEqual({ state: 'queued', reason: null });
    expect(of(optedOut)).toEqual({ state: 'excluded', reason: 'opted_out' });
    expect(of(invalid)).toEqual({ state: 'excluded', reason: 'invalid_number' });
    expect(of(missing)).toEqual({ state: 'excluded', reason: 'missing_value' });
    expect(of(capped)).toEqual({ state: 'excluded', reason: 'frequency_cap' });
    expect(of(erased)).toEqual({ state: 'excluded', reason: 'erased' });
    expect(of(lateOptOut)).toEqual({ state: 'opted_out', reason: 'opted_out_after_launch' });
    expect(of(lateErased)).toEqual({ state: 'opted_out', reason: 'erased_after_launch' });
    expect(of(lateMissing)).toEqual({ state: 'failed', reason: 'missing_value' });
    const messages = await h.store.db
      .selectFrom('messages')
      .select('contact_id')
      .where('campaign_id', '=', id)
      .execute();
    expect(messages.map((m) => m.contact_id)).toEqual([ok.id]);
    expect((await x.get(id)).counts).toMatchObject({ queued: 1, opted_out: 2, failed: 1, pending: 0 });
  });
});

describe.each(DIALECTS)("Meta's limits for campaigns on %s", SLOW, (dialect) => {
  const x = rig(dialect, { runner: { messagingLimit: 3 }, start: t('2026-04-01T12:00:00Z') });
  beforeAll(() => x.start());
  afterAll(() => x.h.close());

  it('queues no more new users than the messaging limit; the rest wait for the oldest reach to leave the 24 h', async () => {
    const people = [];
    for (let i = 0; i < 5; i++) people.push(await x.contact('limit', BA));
    const c = await x.launch(TAXI('over the limit', 'limit'));
    expect(c.state).toBe('running');
    await x.run();
    const queued = await x.queued(c.id);
    expect(queued).toHaveLength(3);
    const reached = await x.h.store.db
      .selectFrom('messages')
      .select((eb) => eb.fn.min('created_at').as('first'))
      .where('campaign_id', '=', c.id)
      .executeTakeFirstOrThrow();
    // Meta's window is 24 h; Recontact adds a 5-minute margin before reusing a slot.
    const slot = Number(reached.first) + 24 * HOUR + 5 * MINUTE;
    const waiting = [...(await x.recipients(c.id)).values()].filter((v) => v.state === 'pending');
    expect(waiting.map((w) => w.sendAt)).toEqual([iso(slot), iso(slot)]);
    expect((await x.get(c.id)).counts).toMatchObject({ queued: 3, pending: 2 });

    x.setClock(slot - MINUTE);
    await x.run();
    expect(await x.queued(c.id)).toHaveLength(3);
    x.setClock(slot);
    await x.run();
    expect(await x.queued(c.id)).toHaveLength(5);
  });

  it('defers a contact sent a 1:1 message 2 s ago to 6 s after it (the pair limit)', async () => {
    x.setClock(t('2026-04-05T12:00:00Z'));
    const p = await x.contact('pair', BA);
    const one = await x.h.api('POST', '/v1/messages', {
      to: p.phone,
      template: {
        name: 'appointment_reminder',
        language: 'es_AR',
        body: ['Emilia', 'la Dra. Gómez', 'lunes 3 de marzo a las 10:00'],
        buttons: [{ payload: 'CONFIRM:1' }, { payload: 'CANCEL:1' }],
      },
    });
    expect(one.status, JSON.stringify(one.json)).toBe(202);
    const m = await x.h.store.db
      .selectFrom('messages')
      .select('created_at')
      .where('id', '=', one.json.id)
      .executeTakeFirstOrThrow();
    const sentAt = Number(m.created_at);
    x.setClock(sentAt + 2 * SECOND);
    const c = await x.launch(TAXI('pair', 'pair'));
    await x.run();
    expect((await x.recipients(c.id)).get(p.id)).toEqual({
      state: 'pending',
      reason: null,
      sendAt: iso(sentAt + 6 * SECOND),
    });
    expect(await x.queued(c.id)).toEqual([]);
    x.setClock(sentAt + 6 * SECOND);
    await x.run();
    expect(await x.queued(c.id)).toEqual([p.id]);
  });
});
