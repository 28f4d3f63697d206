/**
 * Campaign rows on both databases: a draft stored and read back as written, replaced only while
 * a draft, listed newest first by page, and moved only along the lifecycle's table — including
 * two processes racing for the same move, where exactly one wins.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../test/support/stores';
import { getCampaign, insertCampaign, listCampaigns, moveCampaign, replaceDraft } from './campaigns-repo';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const ACCOUNT = 'acc_test';
const definition = {
  name: 'Taxi 10%',
  template: { name: 'taxi_discount', language: 'es_AR' },
  audience: { all: true },
};

describe.each(DIALECTS)('campaigns repository (%s)', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.destroy());

  let n = 0;
  const newCampaign = () =>
    insertCampaign(
      store.db,
      {
        id: `cmp_01JD0000000000000000000${String(++n).padStart(3, '0')}`,
        accountId: ACCOUNT,
        name: `Campaign ${n}`,
        definition,
        templateName: 'taxi_discount',
      },
      NOW + n,
    );

  it('stores a draft and reads back the definition exactly as written', async () => {
    const c = await newCampaign();
    expect(c).toMatchObject({ state: 'draft', stateReason: null, recipients: 0, launchedAt: null });
    const read = await getCampaign(store.db, ACCOUNT, c.id);
    expect(read).toEqual(c);
    expect(read!.definition).toEqual(definition);
    expect(await getCampaign(store.db, 'acc_other', c.id)).toBeUndefined();
  });

  it('replaces a draft, and refuses once it is launched', async () => {
    const c = await newCampaign();
    const changed = { ...definition, name: 'Taxi 15%' };
    const r = await replaceDraft(
      store.db,
      ACCOUNT,
      c.id,
      { name: 'Taxi 15%', definition: changed, templateName: 'taxi_discount' },
      NOW + 100,
    );
    expect(r).toMatchObject({ name: 'Taxi 15%', definition: changed, updatedAt: NOW + 100 });
    await moveCampaign(store.db, c.id, 'running', { now: NOW + 200 });
    expect(
      await replaceDraft(store.db, ACCOUNT, c.id, { name: 'x', definition, templateName: 't' }, NOW + 300),
    ).toBe('not_draft');
    expect(
      await replaceDraft(store.db, ACCOUNT, 'cmp_missing', { name: 'x', definition, templateName: 't' }, NOW),
    ).toBe('missing');
  });

  it('moves only along the lifecycle, stamping launch and finish times', async () => {
    const c = await newCampaign();
    expect(await moveCampaign(store.db, c.id, 'paused', { now: NOW })).toBeUndefined();
    expect(await moveCampaign(store.db, c.id, 'completed', { now: NOW })).toBeUndefined();
    const scheduled = await moveCampaign(store.db, c.id, 'scheduled', { now: NOW + 1 });
    expect(scheduled).toMatchObject({ state: 'scheduled', launchedAt: NOW + 1, finishedAt: null });
    const running = await moveCampaign(store.db, c.id, 'running', { now: NOW + 2 });
    // Launched when it was first scheduled, not when it started running.
    expect(running).toMatchObject({ state: 'running', launchedAt: NOW + 1 });
    const paused = await moveCampaign(store.db, c.id, 'paused', {
      now: NOW + 3,
      reason: 'failure rate 25% over the last 200 sends',
    });
    expect(paused).toMatchObject({
      state: 'paused',
      stateReason: 'failure rate 25% over the last 200 sends',
    });
    // `from` narrows the move: a resume must not complete a campaign that is not paused.
    expect(
      await moveCampaign(store.db, c.id, 'completed', { now: NOW + 4, from: ['running'] }),
    ).toBeUndefined();
    const done = await moveCampaign(store.db, c.id, 'completed', { now: NOW + 5 });
    expect(done).toMatchObject({ state: 'completed', stateReason: null, finishedAt: NOW + 5 });
    expect(await moveCampaign(store.db, c.id, 'running', { now: NOW + 6 })).toBeUndefined();
  });

  it('lets exactly one of two racing moves win', async () => {
    const c = await newCampaign();
    await moveCampaign(store.db, c.id, 'running', { now: NOW });
    const [pause, cancel] = await Promise.all([
      moveCampaign(store.db, c.id, 'paused', { now: NOW + 1, from: ['running'] }),
      moveCampaign(store.db, c.id, 'cancelled', { now: NOW + 1, from: ['running'] }),
    ]);
    expect([pause, cancel].filter(Boolean)).toHaveLength(1);
  });

  it('lists newest first, by page and by state', async () => {
    const all = await listCampaigns(store.db, ACCOUNT, { limit: 100 });
    expect(all.map((c) => c.id)).toEqual([...all.map((c) => c.id)].sort().reverse());
    const first = await listCampaigns(store.db, ACCOUNT, { limit: 2 });
    const second = await listCampaigns(store.db, ACCOUNT, { limit: 2, beforeId: first.at(-1)!.id });
    expect([...first, ...second].map((c) => c.id)).toEqual(all.slice(0, 4).map((c) => c.id));
    const drafts = await listCampaigns(store.db, ACCOUNT, { limit: 100, states: ['draft'] });
    expect(drafts.every((c) => c.state === 'draft')).toBe(true);
    expect(drafts.length).toBeLessThan(all.length);
  });
});
