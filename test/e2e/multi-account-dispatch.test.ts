/**
 * Many accounts at once: pacing, leases and limits are per account, and one slow account does
 * not stall another. Two WhatsApp numbers on the same sandbox (one origin, as graph.facebook.com
 * is for every number): "fast" at 20 msg/s, and "slow" at 10 msg/s, whose sends Meta answers
 * only after SLOW_MS. Everything is queued before the dispatcher starts, so both meet a full
 * backlog at the same moment.
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
import type { App } from '../../src/app';
import { SANDBOX_ACCOUNT, sandboxAccount } from '../../src/embedded-sandbox';
import { pullTemplates } from '../../src/engine/templates/sync';
import type { SentRecord } from '../../src/sandbox/sandbox';
import { type AccountWithLimits, upsertAccount } from '../../src/store/accounts-repo';
import { openSecretBox } from '../../src/store/secret-key-file';
import { type Harness, REMINDER, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

const FAST = { name: 'fast', phoneNumberId: '100000000000011', wabaId: '200000000000011', rate: 20, n: 40 };
const SLOW = { name: 'slow', phoneNumberId: '100000000000012', wabaId: '200000000000012', rate: 10, n: 13 };
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

async function addNumber(
  app: App,
  n: { name: string; phoneNumberId: string; wabaId: string; rate: number },
): Promise<AccountWithLimits> {
  const box = openSecretBox(app.config.secrets, app.ctx.store, app.ctx.log);
  const account = await upsertAccount(
    app.ctx.store.db,
    box,
    {
      id: `acc_${n.name}`,
      name: n.name,
      channel: 'whatsapp',
      externalId: n.phoneNumberId,
      wabaId: n.wabaId,
      accessToken: SANDBOX_ACCOUNT.accessToken,
      appSecret: SANDBOX_ACCOUNT.appSecret,
      verifyToken: SANDBOX_ACCOUNT.verifyToken,
      baseUrl: app.config.whatsapp!.baseUrl,
      graphVersion: app.config.whatsapp!.graphVersion,
      throughputMps: n.rate,
      source: 'api',
    },
    app.ctx.clock(),
  );
  return account;
}

describe.each(DIALECTS)('many accounts dispatched at once on %s', (dialect) => {
  let h: Harness;
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
      },
    });
    for (const n of [FAST, SLOW]) {
      const account = await addNumber(h.app, n);
      await pullTemplates(h.app.ctx, h.app.channel, account);
      h.embedded.sandbox.setWebhookUrl(n.phoneNumberId, `${h.url}/webhooks/whatsapp`);
    }
    await h.app.accounts.reload();
    // One send each first: connections, statements and code paths warm, as in a running process.
    for (const n of [FAST, SLOW]) {
      const r = await h.api('POST', '/v1/messages', {
        ...REMINDER,
        account_id: n.name,
        to: '+1 650 555 5999',
      });
      expect(r.status).toBe(202);
    }
    await h.waitFor('the warm-up sends', () => h.embedded.sandbox.sent().length >= 2);
  });
  afterAll(() => h.close());

  it('paces each number at its own rate, and the slow one does not hold back the fast one', async () => {
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
    ]);
    // Interleaved, as two bots sharing one Recontact would queue them.
    for (let i = 0; i < Math.max(FAST.n, SLOW.n); i++) {
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
    await h.waitFor(
      'every send accepted by the sandbox',
      () => accepted(FAST.phoneNumberId).length >= FAST.n && accepted(SLOW.phoneNumberId).length >= SLOW.n,
      60_000,
    );
    const fast = accepted(FAST.phoneNumberId).map((s) => s.at);
    const slow = accepted(SLOW.phoneNumberId).map((s) => s.at);

    // Each message once, by the number it was queued for.
    const counts = h.embedded.sandbox.countsByCallbackData();
    for (const [phone, list] of ids) {
      expect(list.map((id) => counts.get(id))).toEqual(list.map(() => 1));
      const by = new Set(
        h.embedded.sandbox
          .sent()
          .filter((s) => list.includes(s.bizOpaque ?? ''))
          .map((s) => s.phoneNumberId),
      );
      expect(by).toEqual(new Set([phone]));
    }
    // Meta's side never had to throttle either number (130429).
    expect(h.embedded.sandbox.sent().filter((s) => s.errorCode === 130429)).toEqual([]);

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
        `done after ${slowDone} ms\n`,
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
  }, 90_000);
});
