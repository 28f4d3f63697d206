/**
 * Meta's limits are per phone number, so one worker at a time dispatches for an account: the
 * holder of its lease. A second worker on the same database sends nothing for it until the
 * first lets go (here, a graceful stop), then takes over.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app';
import { type Harness, REMINDER, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

describe.each(DIALECTS)('account lease on %s', (dialect) => {
  let h: Harness;
  let second: App;
  beforeAll(async () => {
    h = await startHarness(dialect, { env: { WORKER_ID: 'worker-a' } });
    second = await createApp({
      config: Object.freeze({ ...h.app.config, workerId: 'worker-b' }),
      store: h.store,
      dispatcher: { pollMs: 20 },
    });
    second.startWorkers();
  });
  afterAll(async () => {
    await second.stop();
    await h.close();
  }, 60_000);

  const sendBatch = async (n: number, from: number) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      ids.push(
        (await h.api('POST', '/v1/messages', { ...REMINDER, to: `+1 650 555 ${5000 + from + i}` })).json.id,
      );
    }
    return ids;
  };

  const workersOf = async (ids: string[]) => {
    await h.waitFor('all accepted', async () => {
      const rows = await h.store.db
        .selectFrom('messages')
        .select('accepted_at')
        .where('id', 'in', ids)
        .execute();
      return rows.every((r) => r.accepted_at !== null);
    });
    // The acceptance entry of each timeline names the worker that posted the message.
    const workers = new Set<string>();
    for (const id of ids) {
      const m = await h.api('GET', `/v1/messages/${id}`);
      const accepted = m.json.timeline.find((t: { status: string }) => t.status === 'accepted');
      workers.add(accepted.detail.worker);
    }
    return workers;
  };

  it('lets only the lease holder send, and hands the account over when it stops', async () => {
    const first = await sendBatch(15, 0);
    const before = await workersOf(first);
    expect(before.size).toBe(1);
    const holder = [...before][0]!;
    const lease = await h.store.db.selectFrom('account_leases').selectAll().executeTakeFirstOrThrow();
    expect(lease.holder).toBe(holder);

    const [stopping, other] = holder === 'worker-a' ? [h.app, second] : [second, h.app];
    await stopping.dispatcher.stop();
    const later = await sendBatch(15, 100);
    expect(await workersOf(later)).toEqual(new Set([other.config.workerId]));
    const counts = h.embedded.sandbox.countsByCallbackData();
    expect([...first, ...later].every((id) => counts.get(id) === 1)).toBe(true);
  });
});
