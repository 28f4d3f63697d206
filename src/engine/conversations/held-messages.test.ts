/**
 * The race between choosing the path and holding, on both databases: a request decides the
 * window is closed, then the contact's message is committed before the hold is. Nothing would
 * release the held message until the contact wrote again, so the hold's own transaction sees
 * the open window and releases it at once; on a closed window it stays held.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newMessage } from '../../../test/support/message-rows';
import { DIALECTS, openTestStore, type TestStore } from '../../../test/support/stores';
import { createIdGenerator } from '../../domain/ids';
import { ensureContacts, moveWindows } from '../../store/contacts-repo';
import { insertInbound } from '../../store/inbound-repo';
import type { NewMessage } from '../../store/messages-repo';
import type { EngineContext } from '../context';
import { queueTemplateAndHold } from './held-messages';

const HOUR = 3600_000;

describe.each(DIALECTS)('holding a message on %s', (dialect) => {
  let store: TestStore;
  let ctx: EngineContext;
  const now = 1_764_000_000_000;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    const gen = createIdGenerator((n) => randomBytes(n));
    ctx = { store, clock: () => now, id: (p) => gen(p, now), log: pino({ level: 'silent' }) };
  });
  afterAll(() => store.destroy());

  async function contactWhoWrote(
    waId: string,
    agoMs: number,
  ): Promise<{ contactId: string; inboundId: string }> {
    const contacts = await ensureContacts(
      store.db,
      [{ id: ctx.id('ctc'), accountId: 'acc_1', waId, phoneE164: `+${waId}` }],
      now,
    );
    const contactId = [...contacts.values()][0]!.id;
    const inboundId = ctx.id('inb');
    await insertInbound(
      store.db,
      [
        {
          id: inboundId,
          accountId: 'acc_1',
          contactId,
          providerMessageId: `wamid.${waId}`,
          type: 'text',
          text: 'Hola',
          payload: null,
          contextProviderId: null,
          receivedAt: now - agoMs,
        },
      ],
      now,
    );
    await moveWindows(store.db, [{ contactId, at: now - agoMs }], now);
    return { contactId, inboundId };
  }

  const request = (contactId: string, waId: string) => {
    const base = newMessage(ctx.id('msg'), { contactId, to: waId, queuedAt: now });
    const template: NewMessage = {
      ...base,
      id: ctx.id('msg'),
      content: { kind: 'template' },
      template: { name: 'resume', language: 'es', category: 'UTILITY' },
    };
    return { held: base, template, holdMs: 7 * 24 * HOUR, marketing: false };
  };

  it('releases at once when the contact wrote between the choice and the hold', async () => {
    const { contactId, inboundId } = await contactWhoWrote('5491155550001', 1000);
    const { held, template } = await queueTemplateAndHold(ctx, request(contactId, '5491155550001'));
    expect(held).toMatchObject({ status: 'held', released_by: inboundId, fallback_message_id: template.id });
  });

  it('stays held while the window is closed', async () => {
    const { contactId } = await contactWhoWrote('5491155550002', 25 * HOUR);
    const { held } = await queueTemplateAndHold(ctx, request(contactId, '5491155550002'));
    expect(held).toMatchObject({ status: 'held', released_by: null, hold_until: now + 7 * 24 * HOUR });
  });
});
