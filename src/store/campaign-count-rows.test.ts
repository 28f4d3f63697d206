/**
 * The campaign's counts on both databases: queued recipients counted by their messages only,
 * withdrawn messages left out, failures by code, and the runner's cheaper `outcomes` form giving
 * exactly what the whole form gives, but the replies.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { messageRow, T0 } from '../../test/support/message-rows';
import { DIALECTS, openTestStore, type TestStore } from '../../test/support/stores';
import type { StoredRecipientState } from '../domain/campaigns/lifecycle';
import type { MessageStatus } from '../domain/message';
import { type CampaignCountRows, campaignCountRows, WITHDRAWN } from './campaign-recipients-repo';

const CAMPAIGN = 'cmp_1';

/** Rows of either side in one order, so two reads compare whatever order the database gave. */
const sorted = (c: CampaignCountRows) => ({
  stored: [...c.stored].sort((a, b) => `${a.state}/${a.reason}`.localeCompare(`${b.state}/${b.reason}`)),
  messages: [...c.messages].sort((a, b) =>
    `${a.status}/${a.error_code}`.localeCompare(`${b.status}/${b.error_code}`),
  ),
});

describe.each(DIALECTS)('campaign counts (%s)', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.destroy());
  beforeEach(async () => {
    await store.db.deleteFrom('campaign_recipients').execute();
    await store.db.deleteFrom('messages').execute();
  });

  let n = 0;
  /** A recipient in `state`; a queued one gets a message in `status` (with `over`). */
  const recipient = async (
    state: StoredRecipientState,
    reason: string | null = null,
    message?: { status: MessageStatus; error_code?: number; error_class?: string; replied_at?: number },
    campaignId = CAMPAIGN,
  ) => {
    const id = `${++n}`.padStart(4, '0');
    let messageId: string | null = null;
    if (message) {
      messageId = `msg_${id}`;
      await store.db
        .insertInto('messages')
        .values(messageRow(messageId, { campaign_id: campaignId, contact_id: `ctc_${id}`, ...message }))
        .execute();
    }
    await store.db
      .insertInto('campaign_recipients')
      .values({
        campaign_id: campaignId,
        contact_id: `ctc_${id}`,
        state,
        reason,
        variant: null,
        send_at: T0,
        message_id: messageId,
        replied_at: message?.replied_at ?? null,
        reply_payload: null,
        updated_at: T0,
      })
      .execute();
  };

  it('counts every stored state but queued, and the messages of the queued ones', async () => {
    await recipient('pending');
    await recipient('pending');
    await recipient('excluded', 'opted_out');
    await recipient('excluded', 'frequency_cap');
    await recipient('failed', 'missing_value');
    await recipient('opted_out');
    await recipient('expired');
    await recipient('cancelled');
    await recipient('queued', null, { status: 'queued' });
    await recipient('queued', null, { status: 'sending' });
    await recipient('queued', null, { status: 'accepted' });
    await recipient('queued', null, { status: 'delivered', replied_at: T0 + 5 });
    await recipient('queued', null, { status: 'read', replied_at: T0 + 6 });
    await recipient('queued', null, { status: 'failed', error_code: 131049, error_class: 'retry_later' });
    await recipient('queued', null, { status: 'failed', error_code: 131049, error_class: 'retry_later' });
    await recipient('queued', null, { status: 'failed', error_code: 131026, error_class: 'recipient' });
    // Withdrawn by a cancel before it left: counted by its recipient, not as a failure.
    await recipient('cancelled', null, { status: 'failed', error_class: WITHDRAWN });
    // Another campaign's rows count for nothing here.
    await recipient('pending', null, undefined, 'cmp_2');
    await recipient(
      'queued',
      null,
      { status: 'failed', error_code: 131026, error_class: 'recipient' },
      'cmp_2',
    );

    const all = sorted(await campaignCountRows(store.db, CAMPAIGN));
    expect(all.stored).toEqual([
      { state: 'cancelled', reason: null, n: 2 },
      { state: 'excluded', reason: 'frequency_cap', n: 1 },
      { state: 'excluded', reason: 'opted_out', n: 1 },
      { state: 'expired', reason: null, n: 1 },
      { state: 'failed', reason: 'missing_value', n: 1 },
      { state: 'opted_out', reason: null, n: 1 },
      { state: 'pending', reason: null, n: 2 },
    ]);
    expect(all.messages).toEqual([
      { status: 'accepted', error_code: null, n: 1, replied: 0 },
      { status: 'delivered', error_code: null, n: 1, replied: 1 },
      { status: 'failed', error_code: 131026, n: 1, replied: 0 },
      { status: 'failed', error_code: 131049, n: 2, replied: 0 },
      { status: 'queued', error_code: null, n: 1, replied: 0 },
      { status: 'read', error_code: null, n: 1, replied: 1 },
      { status: 'sending', error_code: null, n: 1, replied: 0 },
    ]);
  });

  it('reads nothing for a campaign without recipients', async () => {
    expect(await campaignCountRows(store.db, 'cmp_none')).toEqual({ stored: [], messages: [] });
  });
});
