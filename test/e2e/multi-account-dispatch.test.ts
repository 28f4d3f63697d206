/**
 * Many accounts at once: pacing, leases and limits are per account, and one slow account does
 * not stall another. Two WhatsApp numbers and a Messenger page on the same sandbox (one origin,
 * as graph.facebook.com is for every number and page): "fast" at 20 msg/s, "slow" at 10 msg/s,
 * whose sends Meta answers only after SLOW_MS, and the page at 10 msg/s answering people who
 * wrote to it. Everything is queued before the dispatcher starts, so all three meet a full
 * backlog at the same moment. Meta's side enforces each one's throughput too (130429, 613): a
 * send over it would be refused and retried, and none is.
 *
 * Each account sends on sockets of its own (GraphHttp.forAccount). With one pool per origin, the
 * slow number's requests held every socket and the fast one's waited behind them, up to SLOW_MS
 * each: 40 sends took 13.5 s here instead of 2, ending with the slow ones.
 *
 * The checks rest on arithmetic, not on the machine's speed (they hold with two CPU hogs beside
 * the test). The token bucket: a grant stays in its account's window until its answer plus a
 * second, so no second at the receiver holds more than an account's rate, and for the slow
 * number no 1 s + SLOW_MS either. The lane's cap of requests in flight: of any CONCURRENCY + 1
 * slow sends, the last was posted after another was answered, and Meta held it SLOW_MS, so
 * they span at least SLOW_MS; the slow backlog therefore lasts at least SLOW_SPAN_MS after its
 * first send arrived. The fast number's sends reach Meta within a moment of their `sending`
 * mark (half a second at worst on a loaded machine; SLOW_MS behind the slow one's sockets),
 * and its backlog, about two seconds of work (four when loaded), is done long before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_ACCOUNT, sandboxAccount, sandboxPage } from '../../src/embedded-sandbox';
import { pullTemplates } from '../../src/engine/templates/sync';
import type { SentRecord } from '../../src/sandbox/sandbox';
import { type Harness, REMINDER, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

const FAST = { name: 'fast', phoneNumberId: '100000000000011', wabaId: '200000000000011', rate: 20, n: 40 };
const SLOW = { name: 'slow', phoneNumberId: '100000000000012', wabaId: '200000000000012', rate: 10, n: 13 };
const PAGE = { name: 'page', pageId: '300000000000013', pageToken: 'page-token-13', rate: 10, n: 20 };
/** How long Meta takes to answer each of the slow number's sends. */
const SLOW_MS = 4_000;
/** Requests in flight per account (DISPATCH_CONCURRENCY). */
const CONCURRENCY = 4;
/** 13 sends, any CONCURRENCY + 1 of them at least SLOW_MS apart: first to last, 3 such spans. */
const SLOW_SPAN_MS = Math.floor((SLOW.n - 1) / CONCURRENCY) * SLOW_MS;

/** The most receive times of one account inside any window of `windowMs`. */
function mostWithin(times: readonly number[], windowMs: number): number {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe.each(DIALECTS)('many accounts dispatched at once on %s', (dialect) => {
  let h: Harness;
  /** The people who wrote to the page (their windows are open), by PSID. */
  const people: string[] = [];
  let pageId: string;
  const messenger = () => h.embedded.sandbox.messenger;
  /** Someone writes to the page; resolves once Recontact knows them (the webhook made the contact). */
  const person = async () => {
    const { psid } = messenger().users.create(PAGE.pageId);
    messenger().users.sendText(psid, 'Hola, ¿a qué hora abren?');
    await h.waitFor(`the contact of ${psid}`, () =>
      h.store.db
        .selectFrom('contacts')
        .select('id')
        .where('account_id', '=', pageId)
        .where('wa_id', '=', psid)
        .executeTakeFirst(),
    );
    return psid;
  };
  /** A channel account as an operator adds one. */
  const addAccount = async (body: Record<string, unknown>) => {
    const r = await h.api('POST', '/v1/channel-accounts', {
      ...body,
      app_secret: SANDBOX_ACCOUNT.appSecret,
      verify_token: SANDBOX_ACCOUNT.verifyToken,
      base_url: h.app.config.whatsapp!.baseUrl,
    });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    return r.json.id as string;
  };
  beforeAll(async () => {
    h = await startHarness(dialect, {
      // A few requests in flight per account: the slow number alone keeps that many sockets
      // busy, as an 80/s number that Meta is slow to answer keeps the default 64 busy.
      env: { DISPATCH_CONCURRENCY: String(CONCURRENCY) },
      sandbox: {
        // Meta's side enforces each number's own throughput too: a send over it would be refused.
        accounts: [
          sandboxAccount({ throughputMps: 0 }),
          ...[FAST, SLOW].map((n) =>
            sandboxAccount({
              phoneNumberId: n.phoneNumberId,
              wabaId: n.wabaId,
              displayPhoneNumber: `54911000000${n.phoneNumberId.slice(-2)}`,
              throughputMps: n.rate,
            }),
          ),
        ],
        pages: [sandboxPage({ pageId: PAGE.pageId, pageToken: PAGE.pageToken, throughputMps: PAGE.rate })],
      },
    });
    for (const n of [FAST, SLOW]) {
      const id = await addAccount({
        channel: 'whatsapp',
        name: n.name,
        phone_number_id: n.phoneNumberId,
        waba_id: n.wabaId,
        access_token: SANDBOX_ACCOUNT.accessToken,
        throughput_mps: n.rate,
      });
      await pullTemplates(h.app.ctx, h.app.channel, h.app.accounts.get(id)!);
      h.embedded.sandbox.setWebhookUrl(n.phoneNumberId, `${h.url}/webhooks/whatsapp`);
    }
    pageId = await addAccount({
      channel: 'messenger',
      name: PAGE.name,
      page_id: PAGE.pageId,
      page_token: PAGE.pageToken,
      throughput_mps: PAGE.rate,
    });
    // One send each first: connections, statements and code paths warm, as in a running process.
    for (const n of [FAST, SLOW]) {
      const r = await h.api('POST', '/v1/messages', {
        ...REMINDER,
        account_id: n.name,
        to: '+1 650 555 5999',
      });
      expect(r.status).toBe(202);
    }
    const first = await person();
    const r = await h.api('POST', '/v1/messages', { to: `psid:${first}`, text: { body: 'De 8 a 20 h.' } });
    expect(r.status, JSON.stringify(r.json)).toBe(202);
    await h.waitFor(
      'the warm-up sends',
      () => h.embedded.sandbox.sent().length >= 2 && messenger().sent().length >= 1,
    );
    for (let i = 0; i < PAGE.n; i++) people.push(await person());
  });
  afterAll(() => h.close());

  it('paces each account at its own rate, and the slow number holds back neither the fast one nor the page', async () => {
    await h.app.dispatcher.stop();
    const res = await fetch(`${h.embedded.sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ delay_ms: SLOW_MS, sender: SLOW.phoneNumberId, count: 1_000 }),
    });
    expect(res.status).toBe(200);
    const ids = new Map<string, string[]>([
      [FAST.phoneNumberId, []],
      [SLOW.phoneNumberId, []],
      [PAGE.pageId, []],
    ]);
    // Interleaved, as bots sharing one Recontact would queue them.
    for (let i = 0; i < Math.max(FAST.n, SLOW.n, PAGE.n); i++) {
      for (const n of [FAST, SLOW]) {
        if (i >= n.n) continue;
        const r = await h.api('POST', '/v1/messages', {
          ...REMINDER,
          account_id: n.name,
          to: `+1 650 555 ${n === FAST ? 6000 + i : 7000 + i}`,
        });
        expect(r.status).toBe(202);
        ids.get(n.phoneNumberId)!.push(r.json.id);
      }
      if (i < PAGE.n) {
        const r = await h.api('POST', '/v1/messages', {
          to: `psid:${people[i]}`,
          text: { body: 'Abrimos de 8 a 20 h, de lunes a sábado.' },
        });
        expect(r.status, JSON.stringify(r.json)).toBe(202);
        expect(r.json.account_id).toBe(pageId);
        ids.get(PAGE.pageId)!.push(r.json.id);
      }
    }
    const startedAt = Date.now();
    h.app.dispatcher.start();

    const accepted = (phoneNumberId: string): SentRecord[] => {
      const ours = new Set(ids.get(phoneNumberId));
      return h.embedded.sandbox
        .sent()
        .filter(
          (s) => s.phoneNumberId === phoneNumberId && ours.has(s.bizOpaque ?? '') && s.status !== 'failed',
        );
    };
    const ourPeople = new Set(people);
    const pageSent = () =>
      messenger()
        .sent()
        .filter((s) => s.pageId === PAGE.pageId && ourPeople.has(s.recipientId));
    await h.waitFor(
      'every send accepted by the sandbox',
      () =>
        accepted(FAST.phoneNumberId).length >= FAST.n &&
        accepted(SLOW.phoneNumberId).length >= SLOW.n &&
        pageSent().length >= PAGE.n,
      60_000,
    );
    const fast = accepted(FAST.phoneNumberId).map((s) => s.at);
    const slow = accepted(SLOW.phoneNumberId).map((s) => s.at);
    const page = pageSent().map((s) => s.at);

    // Each person on the page got one message, as RESPONSE (their window is open).
    expect(new Set(pageSent().map((s) => s.recipientId)).size).toBe(PAGE.n);
    expect(page).toHaveLength(PAGE.n);
    expect(new Set(pageSent().map((s) => s.messagingType))).toEqual(new Set(['RESPONSE']));
    // Each WhatsApp message once, by the number it was queued for.
    const counts = h.embedded.sandbox.countsByCallbackData();
    for (const [phone, list] of ids) {
      if (phone === PAGE.pageId) continue;
      expect(list.map((id) => counts.get(id))).toEqual(list.map(() => 1));
      const by = new Set(
        h.embedded.sandbox
          .sent()
          .filter((s) => list.includes(s.bizOpaque ?? ''))
          .map((s) => s.phoneNumberId),
      );
      expect(by).toEqual(new Set([phone]));
    }
    // Meta never refused one of them (130429 on a number, 613 on the page): nothing was retried.
    const all = [...ids.values()].flat();
    const retried = await h.store.db
      .selectFrom('message_events')
      .select(['message_id', 'detail'])
      .where('message_id', 'in', all)
      .where('status', '=', 'retry_scheduled')
      .execute();
    expect(retried).toEqual([]);

    // How long each fast send took from its `sending` mark to Meta's receipt: waiting behind the
    // slow number's requests for a socket, it would be about SLOW_MS.
    const posted = await h.store.db
      .selectFrom('messages')
      .select(['id', 'posted_at'])
      .where('id', 'in', ids.get(FAST.phoneNumberId)!)
      .execute();
    const postedAt = new Map(posted.map((m) => [m.id, Number(m.posted_at)]));
    const fastWaits = accepted(FAST.phoneNumberId).map((s) => s.at - postedAt.get(s.bizOpaque!)!);
    const fastLongestWait = Math.max(...fastWaits);
    const pageMost = mostWithin(page, 1_000);
    const pageDone = page.at(-1)! - startedAt;

    const fastMost = mostWithin(fast, 1_000);
    const slowMost = mostWithin(slow, 1_000);
    const slowMostSlowly = mostWithin(slow, 1_000 + SLOW_MS);
    const slowMostHeld = mostWithin(slow, SLOW_MS);
    const fastDone = fast.at(-1)! - startedAt;
    const slowDone = slow.at(-1)! - startedAt;
    process.stdout.write(
      `[multi-account ${dialect}] fast ${FAST.n} at ${FAST.rate}/s: most ${fastMost} in any second, ` +
        `done after ${fastDone} ms, longest from mark to Meta ${fastLongestWait} ms; slow ${SLOW.n} at ${SLOW.rate}/s answered after ${SLOW_MS} ms: ` +
        `most ${slowMost} in any second, ${slowMostSlowly} in any ${1_000 + SLOW_MS} ms, ${slowMostHeld} in any ${SLOW_MS} ms, ` +
        `done after ${slowDone} ms; page ${PAGE.n} at ${PAGE.rate}/s: most ${pageMost} in any second, done after ${pageDone} ms\n`,
    );
    expect(fastMost).toBeLessThanOrEqual(FAST.rate);
    expect(slowMost).toBeLessThanOrEqual(SLOW.rate);
    expect(slowMostSlowly).toBeLessThanOrEqual(SLOW.rate);
    expect(slowMostHeld).toBeLessThanOrEqual(CONCURRENCY);
    expect(slow.at(-1)! - slow[0]!).toBeGreaterThanOrEqual(SLOW_SPAN_MS);
    expect(fastLongestWait).toBeLessThan(SLOW_MS / 2);
    // The slow backlog cannot end before SLOW_MS + SLOW_SPAN_MS from the start; the fast one
    // must be over at least SLOW_MS before that.
    expect(fast.at(-1)! - startedAt).toBeLessThan(SLOW_SPAN_MS);
    expect(pageMost).toBeLessThanOrEqual(PAGE.rate);
    expect(page.at(-1)! - startedAt).toBeLessThan(SLOW_SPAN_MS);
  }, 90_000);
});
