/**
 * Exactly once, below the webhook: the same applied reply handed to the router again (a batch
 * reprocessed) routes nothing more, and a second record of one action collides on its key.
 */
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../../test/support/stores';
import type { InboundItem } from '../../channels/channel';
import { contactKey, ensureContacts } from '../../store/contacts-repo';
import { insertMessages } from '../../store/messages-repo';
import { insertReplyActions } from '../../store/reply-routing-repo';
import type { EngineContext } from '../context';
import { inboundView } from '../events/payloads';
import type { AppliedInbound } from './inbound-followers';
import { ReplyRouter } from './reply-router';

describe.each(DIALECTS)('reply router, exactly once, on %s', (dialect) => {
  let store: TestStore;
  let ctx: EngineContext;
  beforeEach(async () => {
    store = await openTestStore(dialect);
    let n = 0;
    ctx = { store, clock: Date.now, id: (p) => `${p}_${++n}`, log: pino({ level: 'silent' }) };
  });
  afterEach(() => store.destroy());

  async function reply(): Promise<AppliedInbound> {
    const now = ctx.clock();
    const contacts = await ensureContacts(
      store.db,
      [{ id: 'ctc_1', accountId: 'acc_1', waId: '5491155550001', phoneE164: '+5491155550001' }],
      now,
    );
    const contact = contacts.get(contactKey('acc_1', '5491155550001'))!;
    const [answered] = await insertMessages(store.db, [
      {
        id: 'msg_out',
        accountId: 'acc_1',
        contactId: contact.id,
        to: contact.wa_id,
        content: { kind: 'template' },
        template: { name: 'appointment_reminder', language: 'es_AR', category: 'UTILITY' },
        metadata: null,
        idempotencyKey: null,
        requestHash: null,
        replyToProviderId: null,
        queuedAt: now,
        routing: {
          on_reply: [
            { match: { payload: ['OTHER'] }, actions: [{ tag: ['never'] }] },
            {
              match: { payload: ['CONFIRM:*'] },
              actions: [{ tag: ['confirmed'] }, { answer: { text: '¡Gracias!' } }],
            },
          ],
        },
      },
    ]);
    const item: InboundItem = {
      kind: 'inbound',
      externalId: 'pn_1',
      providerMessageId: 'wamid.tap-1',
      from: contact.wa_id,
      timestamp: now,
      type: 'button',
      button: { payload: 'CONFIRM:appt-1', text: 'Confirmar' },
      contextProviderId: 'wamid.out-1',
      raw: {},
    };
    const window = { open: true, expiresAt: now + 24 * 3600_000 };
    return {
      accountId: 'acc_1',
      contact,
      inboundId: 'inb_1',
      item,
      reply: inboundView('inb_1', item),
      answered,
      windowBefore: { open: false, expiresAt: null },
      window,
    } as AppliedInbound;
  }

  it('routes a reply handed over twice once, and refuses a second record of an action', async () => {
    const applied = await reply();
    const router = new ReplyRouter(ctx);
    const first = await store.db.transaction().execute((trx) => router.afterInbound(trx, [applied]));
    expect(first.queued).toBe(true);
    expect(first.events.map((e) => e.type)).toEqual(['reply.routed']);
    expect(first.events[0]!.data).toMatchObject({
      rule: { source: 'message', index: 1, match: 'payload:CONFIRM:appt-1' },
      actions: [
        { type: 'tag', outcome: 'applied' },
        { type: 'answer', outcome: 'applied' },
      ],
    });

    const again = await store.db.transaction().execute((trx) => router.afterInbound(trx, [applied]));
    expect(again).toEqual({ events: [] });
    const rows = await store.db.selectFrom('reply_actions').selectAll().execute();
    expect(rows.map((r) => [r.inbound_id, Number(r.action_index), r.type])).toEqual([
      ['inb_1', 0, 'tag'],
      ['inb_1', 1, 'answer'],
    ]);
    const answers = await store.db.selectFrom('messages').select('id').where('kind', '=', 'text').execute();
    expect(answers).toHaveLength(1);

    // The key itself: the same action recorded twice is an error, never a silent second row.
    const record = {
      inboundId: 'inb_1',
      actionIndex: 0,
      accountId: 'acc_1',
      contactId: applied.contact.id,
      messageId: 'msg_out',
      ruleSource: 'message',
      ruleIndex: 1,
      ruleMatch: 'payload:CONFIRM:appt-1',
      type: 'tag',
      outcome: 'applied' as const,
      detail: null,
      ref: null,
    };
    await expect(insertReplyActions(store.db, [record], ctx.clock())).rejects.toThrow();
  });
});
