/**
 * Simulated users with usernames, through the sandbox's HTTP surface as a client sees it: the
 * webhooks a username-only user produces, sends by `recipient`, and the system messages of a
 * number or BSUID change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  type GraphError,
  type Harness,
  PHONE_ID,
  type SendOk,
  send,
  startHarness,
  text,
} from './test-support';
import { bsuidFor } from './usernames';

describe('sandbox usernames', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const control = (path: string, body: Record<string, unknown>) =>
    call<Record<string, any>>(h.base, 'POST', path, { phone_number_id: PHONE_ID, ...body }, null);

  it('a username-only user: webhooks name them by BSUID alone, in messages, contacts and statuses', async () => {
    const waId = '5491155558001';
    const named = await control(`/_sandbox/users/${waId}/username`, { username_only: true });
    expect(named.status).toBe(200);
    const bsuid = named.json.bsuid as string;
    expect(bsuid).toBe(bsuidFor(waId));
    expect(bsuid).toMatch(/^AR\.\d{20}$/);
    await control(`/_sandbox/users/${waId}/messages`, { text: 'hola' });
    await h.sandbox.drainWebhooks();
    const msg = h.receiver
      .messages()
      .find((m) => (m as unknown as Record<string, unknown>).from_user_id === bsuid);
    expect(msg).toBeDefined();
    expect(msg).not.toHaveProperty('from');
    const value = h.receiver.changes('messages').find((v) => v.messages?.includes(msg!));
    expect(value?.contacts).toEqual([{ profile: { name: expect.any(String) }, user_id: bsuid }]);

    const ok = await send(h.base, { ...text('', 'hola Sofía'), to: undefined, recipient: bsuid });
    expect(ok.status).toBe(200);
    expect((ok.json as SendOk).contacts).toEqual([{ input: bsuid, user_id: bsuid }]);
    await h.sandbox.drainWebhooks();
    const statuses = h.receiver.statuses().filter((s) => s.id === (ok.json as SendOk).messages[0]!.id);
    expect(statuses.length).toBeGreaterThan(0);
    for (const s of statuses) {
      expect(s).toMatchObject({ recipient_user_id: bsuid });
      expect(s).not.toHaveProperty('recipient_id');
    }
    expect(h.sandbox.users.inbox(waId).map((m) => m.text)).toContain('hola Sofía');
  });

  it('`to` wins over `recipient`; an unknown or malformed BSUID is refused with 131009', async () => {
    const waId = '5491155558002';
    const { json } = await control(`/_sandbox/users/${waId}/username`, {});
    const both = await send(h.base, { ...text('5491155558003', 'x'), recipient: json.bsuid });
    expect((both.json as SendOk).contacts).toEqual([{ input: '5491155558003', wa_id: '5491155558003' }]);
    for (const recipient of ['AR.404', 'ar.1', 42]) {
      const r = await send(h.base, { ...text('', 'x'), to: undefined, recipient });
      expect(r.status).toBe(400);
      expect((r.json as GraphError).error.code).toBe(131009);
    }
  });

  it('a phone-visible user with a BSUID: both addresses in webhooks', async () => {
    const waId = '5491155558004';
    const { json } = await control(`/_sandbox/users/${waId}/username`, { bsuid: 'AR.4444' });
    expect(json).toEqual({ wa_id: waId, bsuid: 'AR.4444', username_only: false });
    await control(`/_sandbox/users/${waId}/messages`, { text: 'hola' });
    await h.sandbox.drainWebhooks();
    expect(
      h.receiver.messages().find((m) => (m as unknown as Record<string, unknown>).from_user_id === 'AR.4444'),
    ).toMatchObject({ from: waId });
    const taken = await control('/_sandbox/users/5491155558005/username', { bsuid: 'AR.4444' });
    expect(taken.status).toBe(400);
    expect(taken.json.error.message).toBe(`bsuid AR.4444 already belongs to ${waId}`);
    const bad = await control('/_sandbox/users/5491155558005/username', { bsuid: 'AR-1' });
    expect(bad.status).toBe(400);
  });

  it('number and BSUID changes go out as system messages, and the user moves', async () => {
    const waId = '5491155558006';
    await control(`/_sandbox/users/${waId}/username`, { bsuid: 'AR.6000' });
    await control(`/_sandbox/users/${waId}/messages`, { text: 'hola' });
    const moved = await control(`/_sandbox/users/${waId}/number`, { new_wa_id: '5491155558007' });
    expect(moved.status).toBe(200);
    const changed = await control('/_sandbox/users/5491155558007/user-id', { bsuid: 'AR.6001' });
    expect(changed.status).toBe(200);
    await h.sandbox.drainWebhooks();
    const system = h.receiver.messages().filter((m) => m.type === 'system');
    expect(system.map((m) => (m as Record<string, any>).system)).toEqual([
      {
        body: expect.stringContaining(`changed from ${waId} to 5491155558007`),
        new_wa_id: '5491155558007',
        type: 'user_changed_number',
        user_id: 'AR.6000',
      },
      {
        body: "User's business-scoped user ID changed",
        type: 'user_changed_user_id',
        previous_user_id: 'AR.6000',
        user_id: 'AR.6001',
      },
    ]);
    expect(system[0]).toMatchObject({ from: waId, from_user_id: 'AR.6000' });
    // The window moved with the user: a free-form text to the new number is accepted in it.
    expect(h.sandbox.users.isWindowOpen(PHONE_ID, '5491155558007')).toBe(true);
    // Another simulated person already has that number.
    const taken = await control('/_sandbox/users/5491155558007/number', { new_wa_id: '5491155558004' });
    expect(taken.status).toBe(400);
    expect(taken.json.error.message).toBe('5491155558004 is already another sandbox user');
  });
});
