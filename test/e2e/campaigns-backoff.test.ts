/**
 * Meta's back-off codes, injected by the sandbox during a campaign or a 1:1 send, and what
 * Recontact does about each (domain/campaigns/backoff.ts): the retry time, the account slowed or
 * stopped, the recipient failed with the reason, the opt-out recorded, the campaign paused with
 * the reason and a `campaign.paused` event by "guard". Then each auto-pause trigger: the template
 * paused by Meta, the failure rate over the threshold, the number's quality FLAGGED.
 *
 * Each test has its own harness: several of these codes stop or slow the whole account for
 * minutes or hours, which must not leak into the next test. Timing checks only ever bound from
 * below (a slow machine makes them more true), never from above.
 */
import { describe, expect, it } from 'vitest';
import { SANDBOX_ACCOUNT } from '../../src/embedded-sandbox';
import { taxiCampaign } from '../support/campaigns';
import { type Harness, REMINDER, startHarness, taxiDiscount } from '../support/harness';
import { DIALECTS } from '../support/stores';

type Dialect = (typeof DIALECTS)[number];

const SLOW = { timeout: 60_000 };
const PHONE = SANDBOX_ACCOUNT.phoneNumberId;
const WABA = SANDBOX_ACCOUNT.wabaId;

const CAMPAIGN = taxiCampaign;

/** wa_id of the i-th test contact (+54 9 341 5xx xxxx). */
const waOf = (base: number, i: number) => `5493415${String(base + i).padStart(6, '0')}`;

async function harness(dialect: Dialect, opts: Parameters<typeof startHarness>[1] = {}): Promise<Harness> {
  const h = await startHarness(dialect, {
    ...opts,
    app: { campaignRunner: { pollMs: 20, checkEveryMs: 50 }, ...opts.app },
  });
  expect((await h.api('POST', '/v1/templates/pull')).status).toBe(200);
  return h;
}

async function using(started: Promise<Harness>, body: (h: Harness) => Promise<void>): Promise<void> {
  const h = await started;
  try {
    await body(h);
  } finally {
    await h.close();
  }
}

async function addContacts(h: Harness, tag: string, n: number, base: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await h.api('PUT', `/v1/contacts/${encodeURIComponent(`+${waOf(base, i)}`)}`, {
      name: `Persona ${i}`,
      tags: [tag],
    });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    out.push(waOf(base, i));
  }
  return out;
}

async function launch(h: Harness, body: Record<string, unknown>): Promise<string> {
  const created = await h.api('POST', '/v1/campaigns', body);
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  const launched = await h.api('POST', `/v1/campaigns/${created.json.id}/launch`);
  expect(launched.status, JSON.stringify(launched.json)).toBe(200);
  return created.json.id as string;
}

const campaign = async (h: Harness, id: string) => (await h.api('GET', `/v1/campaigns/${id}`)).json;

async function pausedByGuard(h: Harness, id: string, ms = 15_000) {
  const c = await h.waitFor(
    `campaign ${id} paused`,
    async () => {
      const c = await campaign(h, id);
      return c.state === 'paused' ? c : undefined;
    },
    ms,
  );
  const event = await h.waitFor('campaign.paused', () =>
    h.events.find((e) => e.type === 'campaign.paused' && e.data.campaign.id === id),
  );
  expect(event.data.by).toBe('guard');
  expect(event.data.reason).toBe(c.state_reason);
  return c;
}

/**
 * The dispatcher's retry entries of a message: the code and when it goes again. Tests compare
 * that time with a moment taken before the send (the refusal came later), never with the entry's
 * own time (written after the refusal, later still on a busy machine).
 */
async function retries(h: Harness, messageId: string) {
  const rows = await h.store.db
    .selectFrom('message_events')
    .select(['at', 'detail'])
    .where('message_id', '=', messageId)
    .where('status', '=', 'retry_scheduled')
    .orderBy('at')
    .execute();
  return rows.map((r) => {
    const d = JSON.parse(String(r.detail)) as { error_code: number; next_attempt_at: string };
    return { code: d.error_code, nextAt: Date.parse(d.next_attempt_at) };
  });
}

async function sendOne(h: Harness, to: string, body: Record<string, unknown> = REMINDER) {
  const r = await h.api('POST', '/v1/messages', { ...body, to: `+${to}` });
  expect(r.status, JSON.stringify(r.json)).toBe(202);
  return r.json.id as string;
}

const sentTo = (h: Harness, wa: string) => h.embedded.sandbox.sent().filter((s) => s.to === wa);

/** Time from the first to the last of these recipients' arrivals at the sandbox. */
async function spanOfArrivals(h: Harness, was: string[]): Promise<number> {
  const at = await h.waitFor('every arrival', () => {
    const times = was.map((wa) => sentTo(h, wa)[0]?.at);
    return times.every((t) => t !== undefined) ? (times as number[]) : undefined;
  });
  return Math.max(...at) - Math.min(...at);
}

describe.each(DIALECTS)('back-off codes at send time on %s', SLOW, (dialect) => {
  it('130429 retries the message after ≥ 1 s and slows the account to about half its rate', () =>
    using(harness(dialect, { env: { WHATSAPP_THROUGHPUT_MPS: '20' } }), async (h) => {
      h.embedded.sandbox.injectError({ code: 130429 });
      const before = Date.now();
      const id = await sendOne(h, waOf(100, 0));
      await h.waitFor('accepted after the retry', () => sentTo(h, waOf(100, 0)).length > 0 || undefined);
      const [r] = await retries(h, id);
      expect(r).toMatchObject({ code: 130429 });
      expect(r!.nextAt - before).toBeGreaterThanOrEqual(1_000);
      // At 20/s unslowed, 10 sends would leave at once (a full bucket); slowed to ~10/s they are
      // spaced about 100 ms apart: 9 gaps.
      const was = Array.from({ length: 10 }, (_, i) => waOf(101, i));
      for (const wa of was) await sendOne(h, wa);
      expect(await spanOfArrivals(h, was)).toBeGreaterThanOrEqual(600);
    }));

  it('131048 retries the message after hours and slows the account to a quarter', () =>
    using(harness(dialect, { env: { WHATSAPP_THROUGHPUT_MPS: '20' } }), async (h) => {
      h.embedded.sandbox.injectError({ code: 131048 });
      const before = Date.now();
      const id = await sendOne(h, waOf(200, 0));
      const [r] = await h.waitFor('retry scheduled', async () =>
        (await retries(h, id)).length ? retries(h, id) : undefined,
      );
      expect(r).toMatchObject({ code: 131048 });
      expect(r!.nextAt - before).toBeGreaterThanOrEqual(2 * 3_600_000);
      const was = Array.from({ length: 6 }, (_, i) => waOf(201, i));
      for (const wa of was) await sendOne(h, wa);
      // 5/s: 5 gaps of 200 ms.
      expect(await spanOfArrivals(h, was)).toBeGreaterThanOrEqual(700);
      expect(sentTo(h, waOf(200, 0))).toHaveLength(0);
    }));

  it('131056 holds only that user, ≥ 6 s; another user goes at once', () =>
    using(harness(dialect), async (h) => {
      const [a, b] = [waOf(300, 0), waOf(300, 1)];
      h.embedded.sandbox.injectError({ code: 131056, to: a });
      const before = Date.now();
      const idA = await sendOne(h, a);
      await sendOne(h, b);
      await h.waitFor('b accepted', () => sentTo(h, b).length > 0 || undefined);
      const [r] = await h.waitFor('a retry', async () =>
        (await retries(h, idA)).length ? retries(h, idA) : undefined,
      );
      expect(r).toMatchObject({ code: 131056 });
      expect(r!.nextAt - before).toBeGreaterThanOrEqual(6_000);
      expect(sentTo(h, a)).toHaveLength(0);
      expect((await h.api('GET', `/v1/messages/${idA}`)).json.status).toBe('queued');
    }));

  it.each([80007, 4, 131057])('%s stops the whole account for a minute', (code) =>
    using(harness(dialect), async (h) => {
      h.embedded.sandbox.injectError({ code, to: waOf(400, 0) });
      const before = Date.now();
      const id = await sendOne(h, waOf(400, 0));
      const [r] = await h.waitFor('retry', async () =>
        (await retries(h, id)).length ? retries(h, id) : undefined,
      );
      expect(r).toMatchObject({ code });
      expect(r!.nextAt - before).toBeGreaterThanOrEqual(60_000);
      // Another user's message waits too: nothing leaves the account during the stop.
      const other = await sendOne(h, waOf(400, 1));
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect(sentTo(h, waOf(400, 1))).toHaveLength(0);
      expect((await h.api('GET', `/v1/messages/${other}`)).json.status).toBe('queued');
    }),
  );

  it('131049 fails that recipient with the reason; the campaign goes on and completes', () =>
    using(harness(dialect), async (h) => {
      const was = await addContacts(h, 'freq', 3, 500);
      h.embedded.sandbox.capMarketing(PHONE, [was[1]!]);
      const id = await launch(h, CAMPAIGN('freq', 'freq'));
      await h.waitFor('completed', async () => (await campaign(h, id)).state === 'completed' || undefined);
      // Meta accepted all three; the refusal comes later as a failed status (a loaded machine
      // can complete the campaign before it lands), and the counts follow it.
      const done = await h.waitFor('the failed status counted', async () => {
        const c = await campaign(h, id);
        return c.counts.failed === 1 ? c : undefined;
      });
      expect(done.failures).toEqual([
        {
          code: 131049,
          reason: expect.stringMatching(/too many; try again no sooner than 24 hours/),
          count: 1,
        },
      ]);
      expect(h.events.some((e) => e.type === 'campaign.paused')).toBe(false);
    }));

  it('131050 by failed status during a campaign: the recipient fails and the opt-out is recorded', () =>
    using(harness(dialect), async (h) => {
      const was = await addContacts(h, 'stop', 3, 600);
      h.embedded.sandbox.injectError({ code: 131050, to: was[0]! });
      const id = await launch(h, CAMPAIGN('stop', 'stop'));
      await h.waitFor('completed', async () => (await campaign(h, id)).state === 'completed' || undefined);
      const out = await h.waitFor('opt-out', () =>
        h.events.find((e) => e.type === 'contact.opted_out' && e.data.wa_id === was[0]),
      );
      expect(out.data).toMatchObject({ scope: 'marketing', source: 'meta_131050' });
      expect((await campaign(h, id)).failures).toEqual([
        { code: 131050, reason: expect.any(String), count: 1 },
      ]);
    }));

  it('131050 in the send answer: the 1:1 message fails and the opt-out is recorded', () =>
    using(harness(dialect), async (h) => {
      const wa = waOf(700, 0);
      h.embedded.sandbox.injectError({ code: 131050, to: wa, mode: 'sync' });
      const id = await sendOne(h, wa, taxiDiscount());
      const out = await h.waitFor('opt-out', () =>
        h.events.find((e) => e.type === 'contact.opted_out' && e.data.wa_id === wa),
      );
      expect(out.data).toMatchObject({
        scope: 'marketing',
        source: 'meta_131050',
        evidence: { message_id: id },
      });
      const m = (await h.api('GET', `/v1/messages/${id}`)).json;
      expect(m.status).toBe('failed');
      expect(m.error.code).toBe(131050);
      // The next marketing template is refused before Meta sees it.
      const refused = await h.api('POST', '/v1/messages', { ...taxiDiscount(), to: `+${wa}` });
      expect(refused.json.error?.code).toBe('CONTACT_OPTED_OUT');
    }));

  it('131064 by failed status pauses the campaign at once, with the reason', () =>
    using(harness(dialect), async (h) => {
      const was = await addContacts(h, 'c64', 12, 800);
      h.embedded.sandbox.injectError({ code: 131064, to: was[0]! });
      const id = await launch(h, CAMPAIGN('c64', 'c64', { pace: 4 }));
      const c = await pausedByGuard(h, id);
      expect(c.state_reason).toMatch(/wrong category.*131064/);
      // Paused long before the 12 recipients at 4/s could all go.
      expect(c.counts.pending + c.counts.queued).toBeGreaterThan(0);
    }));

  it('131064 in the send answer pauses the campaign and holds the refused recipient, sent after resume', () =>
    using(harness(dialect), async (h) => {
      const was = await addContacts(h, 's64', 4, 900);
      h.embedded.sandbox.injectError({ code: 131064, to: was[0]!, mode: 'sync' });
      const id = await launch(h, CAMPAIGN('s64', 's64', { pace: 2 }));
      const c = await pausedByGuard(h, id);
      expect(c.state_reason).toMatch(/131064/);
      expect(c.counts.failed).toBe(0);
      expect(sentTo(h, was[0]!)).toHaveLength(0);
      expect((await h.api('POST', `/v1/campaigns/${id}/resume`)).json.state).toBe('running');
      const done = await h.waitFor('completed', async () => {
        const c = await campaign(h, id);
        return c.state === 'completed' ? c : undefined;
      });
      expect(done.counts.failed).toBe(0);
      for (const wa of was) expect(sentTo(h, wa)).toHaveLength(1);
    }));
});

describe.each(DIALECTS)('the auto-pause guard on %s', SLOW, (dialect) => {
  it('pauses within seconds when Meta pauses the template', () =>
    using(harness(dialect), async (h) => {
      await addContacts(h, 'tpl', 20, 1000);
      const id = await launch(h, CAMPAIGN('tpl', 'tpl', { pace: 2 }));
      await h.waitFor('first send', async () => (await campaign(h, id)).counts.pending < 20 || undefined);
      h.embedded.sandbox.setTemplateStatus(WABA, 'taxi_discount', 'es_AR', 'PAUSED');
      const c = await pausedByGuard(h, id, 5_000);
      // Whichever comes first: the template webhook (the runner's look at the template), or a
      // send Meta refuses with 132015 meanwhile (the dispatcher); either way nobody is failed.
      expect(c.state_reason).toMatch(
        /taxi_discount \(es_AR\) was paused by WhatsApp|template is paused because of low quality \(WhatsApp error 132015\)/,
      );
      expect(c.counts.failed).toBe(0);
    }));

  it('pauses when the failure rate of the latest sends crosses the threshold', () =>
    using(
      harness(dialect, {
        app: {
          campaignRunner: {
            pollMs: 20,
            checkEveryMs: 50,
            autoPause: { window: 10, minSends: 5, threshold: 0.5 },
          },
        },
      }),
      async (h) => {
        await addContacts(h, 'rate', 30, 1100);
        h.embedded.sandbox.injectError({ code: 131026, count: 1_000 });
        const id = await launch(h, CAMPAIGN('rate', 'rate', { pace: 5 }));
        const c = await pausedByGuard(h, id);
        expect(c.state_reason).toMatch(/^\d+ of the last \d+ sends failed .*131026/);
        expect(c.counts.failed).toBeGreaterThanOrEqual(3);
        expect(c.counts.pending + c.counts.queued).toBeGreaterThan(0);
      },
    ));

  it('pauses every running or scheduled campaign of the account when its quality is FLAGGED', () =>
    using(harness(dialect), async (h) => {
      await addContacts(h, 'qa', 20, 1200);
      const running = await launch(h, CAMPAIGN('qa', 'qa', { pace: 2 }));
      const later = await launch(
        h,
        CAMPAIGN('qb', 'qa', { schedule: { at: new Date(Date.now() + 3_600_000).toISOString() } }),
      );
      expect((await campaign(h, later)).state).toBe('scheduled');
      // UPGRADE raises something: nothing pauses.
      h.embedded.sandbox.setQuality(PHONE, {
        event: 'UPGRADE',
        currentLimit: 'TIER_10K',
        oldLimit: 'TIER_2K',
      });
      h.embedded.sandbox.setQuality(PHONE, { event: 'FLAGGED' });
      for (const id of [running, later]) {
        const c = await pausedByGuard(h, id);
        expect(c.state_reason).toMatch(/flagged the sending number for low quality/);
      }
      expect(h.events.filter((e) => e.type === 'campaign.paused')).toHaveLength(2);
    }));
});
