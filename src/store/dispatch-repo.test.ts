/**
 * The dispatcher's guarantees as the store gives them, on both databases: the claim's LIMIT and
 * fence, the posting mark, acceptance that never moves a message back, and the doubt sweep.
 */

import type { Insertable } from 'kysely';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { messageRow, T0 } from '../../test/support/message-rows';
import { DIALECTS, openTestStore, type TestStore } from '../../test/support/stores';
import { HELD_AT, WITHDRAWN } from './campaign-recipients-repo';
import {
  markAccepted,
  markAcceptedAndPosting,
  markPosting,
  markRetry,
  markStaleSendsUnconfirmed,
  markUnconfirmed,
  readDueMessages,
  revertUnpostedMarks,
  settleExpiredDoubts,
} from './dispatch-repo';
import type { MessagesTable } from './schema';

const row = messageRow;

describe.each(DIALECTS)('dispatch repository on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.destroy());
  beforeEach(async () => {
    await store.db.deleteFrom('messages').execute();
  });

  const insert = async (rows: Array<Insertable<MessagesTable>>) => {
    for (let i = 0; i < rows.length; i += 200) {
      await store.db
        .insertInto('messages')
        .values(rows.slice(i, i + 200))
        .execute();
    }
  };
  const status = async (id: string) =>
    (await store.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow()).status;

  it('reads due rows oldest first, no more than the limit, and writes nothing', async () => {
    await sql`ANALYZE messages`.execute(store.db);
    await insert([
      ...Array.from({ length: 2_000 }, (_, i) => row(`m${String(i).padStart(5, '0')}`)),
      row('later', { next_attempt_at: T0 + 5_000 }),
      row('other', { account_id: 'acc2' }),
    ]);
    const read = await readDueMessages(store.db, { accountId: 'acc', now: T0, limit: 50, skip: new Set() });
    expect(read.map((m) => m.id)).toEqual(
      Array.from({ length: 50 }, (_, i) => `m${String(i).padStart(5, '0')}`),
    );
    expect(read[0]).toMatchObject({ to_wa: '15550001', attempts: 0 });
    const touched = await store.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where((eb) => eb.or([eb('locked_by', 'is not', null), eb('status', '!=', 'queued')]))
      .executeTakeFirstOrThrow();
    expect(Number(touched.n)).toBe(0);
    // What the caller holds already is left out, and the limit still counts new rows.
    const next = await readDueMessages(store.db, {
      accountId: 'acc',
      now: T0,
      limit: 3,
      skip: new Set(read.map((m) => m.id)),
    });
    expect(next.map((m) => m.id)).toEqual(['m00050', 'm00051', 'm00052']);
    expect(
      (await readDueMessages(store.db, { accountId: 'acc', now: T0 + 5_000, limit: 5_000, skip: new Set() }))
        .length,
    ).toBe(2_001);
  });

  it('fences posting: of two workers that read the same row, exactly one marks it', async () => {
    await insert([row('a'), row('b')]);
    const w1 = await readDueMessages(store.db, { accountId: 'acc', now: T0, limit: 10, skip: new Set() });
    const w2 = await readDueMessages(store.db, { accountId: 'acc', now: T0, limit: 10, skip: new Set() });
    expect(w1.map((m) => m.id)).toEqual(['a', 'b']);
    expect(w2.map((m) => m.id)).toEqual(['a', 'b']);
    expect(await markPosting(store.db, 'w2', ['a'], T0 + 500, 60_000)).toEqual(['a']);
    expect(await markPosting(store.db, 'w1', ['a', 'b'], T0 + 501, 60_000)).toEqual(['b']);
    const a = await store.db
      .selectFrom('messages')
      .selectAll()
      .where('id', '=', 'a')
      .executeTakeFirstOrThrow();
    expect(a.status).toBe('sending');
    expect(a.attempts).toBe(1);
    expect(a.locked_by).toBe('w2');
    expect(a.posted_at).toBe(T0 + 500);
    expect(a.locked_until).toBe(T0 + 500 + 60_000); // the poster's hold runs from the POST
    // A row no longer due (a paused campaign moved it) is not marked either.
    await insert([row('held', { next_attempt_at: T0 + 10_000 })]);
    expect(await markPosting(store.db, 'w1', ['held'], T0 + 502, 60_000)).toEqual([]);
    // Marked rows are no longer read as due.
    expect(
      (await readDueMessages(store.db, { accountId: 'acc', now: T0 + 600, limit: 10, skip: new Set() }))
        .length,
    ).toBe(0);
  });

  it('undoes a sending mark that committed though the worker never posted', async () => {
    await insert([row('m', { locked_by: 'w1', locked_until: T0 + 60_000 })]);
    expect(await markPosting(store.db, 'w1', ['m'], T0 + 5, 60_000)).toEqual(['m']);
    // A later mark of the same row is not undone by an earlier failure's repair.
    expect(await revertUnpostedMarks(store.db, { workerId: 'w1', ids: ['m'], postedAt: T0 + 4 })).toBe(0);
    expect(await revertUnpostedMarks(store.db, { workerId: 'w1', ids: ['m'], postedAt: T0 + 5 })).toBe(1);
    const m = await store.db
      .selectFrom('messages')
      .selectAll()
      .where('id', '=', 'm')
      .executeTakeFirstOrThrow();
    expect([m.status, m.attempts, m.posted_at]).toEqual(['queued', 0, null]);
  });

  it('never moves a message back on acceptance, and settles one in doubt', async () => {
    await insert([
      row('delivered', { status: 'delivered', provider_message_id: 'wamid.D', delivered_at: T0 }),
      row('doubt', { status: 'unconfirmed', locked_by: 'w1', doubt_until: T0 + 10 }),
      row('sending', { status: 'sending', locked_by: 'w1', locked_until: T0 + 1_000 }),
    ]);
    const changed = await markAccepted(
      store.db,
      [
        { id: 'delivered', providerMessageId: 'wamid.X' },
        { id: 'doubt', providerMessageId: 'wamid.Y' },
        { id: 'sending', providerMessageId: 'wamid.Z' },
      ],
      T0 + 1,
    );
    expect(changed.sort()).toEqual(['doubt', 'sending']);
    const d = await store.db
      .selectFrom('messages')
      .selectAll()
      .where('id', '=', 'delivered')
      .executeTakeFirstOrThrow();
    expect(d.status).toBe('delivered');
    expect(d.provider_message_id).toBe('wamid.D'); // the webhook's id wins
    const u = await store.db
      .selectFrom('messages')
      .selectAll()
      .where('id', '=', 'doubt')
      .executeTakeFirstOrThrow();
    expect(u.doubt_until).toBeNull();
  });

  it('records answers and the next sending marks in one write, each with its own fences', async () => {
    await insert([
      row('delivered', { status: 'delivered', provider_message_id: 'wamid.D', delivered_at: T0 }),
      row('sending', { status: 'sending', locked_by: 'w1', locked_until: T0 + 1_000 }),
      row('due'),
      row('later', { next_attempt_at: T0 + 60_000 }),
      row('cancelled', { status: 'cancelled' }),
    ]);
    const many = Array.from({ length: 50 }, (_, i) => `q${String(i).padStart(4, '0')}`);
    await insert(many.map((id) => row(id)));
    const now = T0 + 5;
    const out = await markAcceptedAndPosting(store.db, {
      accepted: [
        { id: 'delivered', providerMessageId: 'wamid.X' },
        { id: 'sending', providerMessageId: 'wamid.S' },
      ],
      workerId: 'w2',
      ids: ['due', 'later', 'cancelled', ...many],
      now,
      leaseMs: 60_000,
    });
    expect(out.accepted).toEqual(['sending']);
    expect(out.posted.sort()).toEqual(['due', ...many].sort());
    const rows = new Map(
      (await store.db.selectFrom('messages').selectAll().execute()).map((r) => [r.id, r] as const),
    );
    expect(rows.get('sending')).toMatchObject({
      status: 'accepted',
      provider_message_id: 'wamid.S',
      accepted_at: now,
    });
    expect(rows.get('delivered')).toMatchObject({ status: 'delivered', provider_message_id: 'wamid.D' });
    expect(rows.get('due')).toMatchObject({
      status: 'sending',
      attempts: 1,
      posted_at: now,
      locked_by: 'w2',
    });
    expect(rows.get('later')?.status).toBe('queued');
    expect(rows.get('cancelled')?.status).toBe('cancelled');
    // Nothing to accept, or nothing to mark: the other half is written alone.
    const alone = await markAcceptedAndPosting(store.db, {
      accepted: [{ id: 'due', providerMessageId: 'wamid.Q' }],
      workerId: 'w2',
      ids: [],
      now: now + 1,
      leaseMs: 60_000,
    });
    expect(alone).toEqual({ accepted: ['due'], posted: [] });
    expect(await status('due')).toBe('accepted');
    // More than one statement takes (PostgreSQL then writes it as a transaction of several).
    const more = Array.from({ length: 450 }, (_, i) => `r${String(i).padStart(4, '0')}`);
    await insert(more.map((id) => row(id)));
    const big = await markAcceptedAndPosting(store.db, {
      accepted: many.map((id) => ({ id, providerMessageId: `wamid.${id}` })),
      workerId: 'w2',
      ids: more,
      now: now + 2,
      leaseMs: 60_000,
    });
    expect(big.accepted.sort()).toEqual([...many].sort());
    expect(big.posted.sort()).toEqual([...more].sort());
  });

  it('fences results: a retry from a worker that lost the row changes nothing', async () => {
    await insert([row('x', { status: 'sending', locked_by: 'w2', locked_until: T0 + 1_000 })]);
    const err = { errorCode: 131000, errorClass: 'retry_later', errorMessage: 'boom' };
    expect(await markRetry(store.db, 'w1', [{ id: 'x', nextAttemptAt: T0 + 5, ...err }], T0)).toEqual([]);
    expect(await status('x')).toBe('sending');
    expect(await markUnconfirmed(store.db, 'w2', [{ id: 'x', ...err }], T0, 5_000)).toEqual(['x']);
    expect(await status('x')).toBe('unconfirmed');
    // An answer that arrives after the sweep still lands: the poster is known.
    expect(await markRetry(store.db, 'w2', [{ id: 'x', nextAttemptAt: T0 + 5, ...err }], T0)).toEqual(['x']);
    expect(await status('x')).toBe('queued');
  });

  it("keeps a paused campaign's retries held and withdraws an ended campaign's", async () => {
    for (const [id, state] of [
      ['cmp_p', 'paused'],
      ['cmp_c', 'cancelled'],
      ['cmp_r', 'running'],
    ] as const) {
      await store.db.deleteFrom('campaigns').where('id', '=', id).execute();
      await store.db
        .insertInto('campaigns')
        .values({
          id,
          account_id: 'acc',
          name: id,
          state,
          state_reason: null,
          definition: '{}',
          template_name: 't',
          recipients: 1,
          created_at: T0,
          updated_at: T0,
        })
        .execute();
      await store.db.deleteFrom('campaign_recipients').where('campaign_id', '=', id).execute();
      await store.db
        .insertInto('campaign_recipients')
        .values({
          campaign_id: id,
          contact_id: 'ctc',
          state: 'queued',
          message_id: `m_${state}`,
          updated_at: T0,
        })
        .execute();
    }
    const sending = { status: 'sending' as const, locked_by: 'w1', locked_until: T0 + 1_000 };
    await insert([
      row('m_paused', { ...sending, campaign_id: 'cmp_p' }),
      row('m_cancelled', { ...sending, campaign_id: 'cmp_c' }),
      row('m_running', { ...sending, campaign_id: 'cmp_r' }),
      row('one', sending),
    ]);
    const err = { errorCode: 130429, errorClass: 'retry_later', errorMessage: 'slow down' };
    const ids = ['m_paused', 'm_cancelled', 'm_running', 'one'];
    const retried = await markRetry(
      store.db,
      'w1',
      ids.map((id) => ({ id, nextAttemptAt: T0 + 5, ...err })),
      T0,
    );
    expect(retried.sort()).toEqual([...ids].sort());
    const rows = await store.db.selectFrom('messages').selectAll().where('id', 'in', ids).execute();
    const by = new Map(rows.map((r) => [r.id, r]));
    expect(by.get('one')).toMatchObject({ status: 'queued' });
    expect(Number(by.get('one')!.next_attempt_at)).toBe(T0 + 5);
    expect(Number(by.get('m_running')!.next_attempt_at)).toBe(T0 + 5);
    // Held with the rest of the paused campaign: no claim reaches it before a resume.
    expect(Number(by.get('m_paused')!.next_attempt_at)).toBe(HELD_AT);
    expect(by.get('m_cancelled')).toMatchObject({ status: 'failed', error_class: WITHDRAWN });
    const r = await store.db
      .selectFrom('campaign_recipients')
      .selectAll()
      .where('campaign_id', '=', 'cmp_c')
      .executeTakeFirstOrThrow();
    expect(r.state).toBe('cancelled');
  });

  it('marks sends left by a gone worker unconfirmed, counting the grace from now', async () => {
    await insert([
      row('expired', { status: 'sending', locked_by: 'dead', locked_until: T0 - 1, posted_at: T0 - 5_000 }),
      row('alive', { status: 'sending', locked_by: 'other', locked_until: T0 + 60_000, posted_at: T0 - 10 }),
      row('mine-before', {
        status: 'sending',
        locked_by: 'me',
        locked_until: T0 + 60_000,
        posted_at: T0 - 10,
      }),
      row('mine-now', { status: 'sending', locked_by: 'me', locked_until: T0 + 60_000, posted_at: T0 + 5 }),
      row('leased', { locked_by: 'me', locked_until: T0 + 60_000 }),
    ]);
    const stale = await markStaleSendsUnconfirmed(store.db, {
      accountId: 'acc',
      workerId: 'me',
      startedAt: T0,
      now: T0 + 10,
      graceMs: 30_000,
    });
    expect(stale.map((s) => s.id).sort()).toEqual(['expired', 'mine-before']);
    const expired = await store.db
      .selectFrom('messages')
      .selectAll()
      .where('id', '=', 'expired')
      .executeTakeFirstOrThrow();
    expect(expired.doubt_until).toBe(T0 + 10 + 30_000);
    expect(await status('alive')).toBe('sending');
    expect(await status('mine-now')).toBe('sending');
  });

  it('settles expired doubts by the policy', async () => {
    await insert([
      row('r1', { status: 'unconfirmed', doubt_until: T0 }),
      row('r2', { status: 'unconfirmed', doubt_until: T0 + 1_000 }),
    ]);
    const resent = await settleExpiredDoubts(store.db, {
      accountId: 'acc',
      now: T0,
      policy: 'resend',
      limit: 10,
    });
    expect(resent.map((r) => [r.id, r.status])).toEqual([['r1', 'queued']]);
    const held = await settleExpiredDoubts(store.db, {
      accountId: 'acc',
      now: T0 + 1_000,
      policy: 'fail',
      limit: 10,
    });
    expect(held.map((r) => [r.id, r.status])).toEqual([['r2', 'in_doubt']]);
  });
});
