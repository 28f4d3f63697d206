/**
 * Reading messages back: the list (newest first, filtered, paged by cursor), one message's
 * timeline in lifecycle order with the clock of each time, and a template read that names a
 * template that does not exist (404, the same code a send answers 422 with).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMILIA, type Harness, REMINDER, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

describe.each(DIALECTS)('reading messages on %s', (dialect) => {
  let h: Harness;
  const sent: string[] = [];
  const OTHER = '+1 650 555 0142';

  beforeAll(async () => {
    h = await startHarness(dialect);
    for (let i = 0; i < 5; i++) {
      const r = await h.api('POST', '/v1/messages', { ...REMINDER, to: i % 2 ? OTHER : EMILIA.phone });
      expect(r.status).toBe(202);
      sent.push(r.json.id);
    }
    await h.waitFor('all read', async () => {
      const res = await h.api('GET', '/v1/messages?status=read');
      return res.json.data.length === sent.length;
    });
  });
  afterAll(() => h.close());

  it('lists newest first, page by page, until next_cursor is null', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await h.api('GET', `/v1/messages?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.json.data.map((m: { id: string }) => m.id));
      cursor = res.json.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...sent].reverse());
  });

  it('filters by recipient (phone, wa_id or contact id), status and template', async () => {
    const emilia = [sent[4], sent[2], sent[0]];
    const byPhone = await h.api('GET', `/v1/messages?to=${encodeURIComponent(EMILIA.phone)}`);
    expect(byPhone.json.data.map((m: { id: string }) => m.id)).toEqual(emilia);
    const byWaId = await h.api('GET', `/v1/messages?to=${EMILIA.waId}&status=read,failed`);
    expect(byWaId.json.data.map((m: { id: string }) => m.id)).toEqual(emilia);
    const contactId = byPhone.json.data[0].contact_id;
    const byContact = await h.api('GET', `/v1/messages?to=${contactId}&template=appointment_reminder`);
    expect(byContact.json.data.map((m: { id: string }) => m.id)).toEqual(emilia);
    expect((await h.api('GET', '/v1/messages?template=taxi_discount')).json).toEqual({
      data: [],
      next_cursor: null,
    });
    expect((await h.api('GET', '/v1/messages?status=failed')).json.data).toEqual([]);
  });

  it('refuses a bad filter, naming the parameter and the way to fix it', async () => {
    const status = await h.api('GET', '/v1/messages?status=read,sentt');
    expect(status.status).toBe(400);
    expect(status.json.error.details).toEqual([
      {
        path: 'querystring.status',
        message: expect.stringContaining('"sentt" is not a message status; use one or more of queued'),
      },
    ]);
    const cursor = await h.api('GET', '/v1/messages?cursor=not-a-cursor');
    expect(cursor.status).toBe(400);
    expect(cursor.json.error.details[0].path).toBe('querystring.cursor');
    expect(cursor.json.error.details[0].message).toMatch(/next_cursor/);
    const limit = await h.api('GET', '/v1/messages?limit=0');
    expect(limit.status).toBe(400);
    expect(limit.json.error.details[0].path).toBe('querystring.limit');
    const unknown = await h.api('GET', '/v1/messages?stauts=read');
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.json.error.details)).toContain('stauts');
    const phone = await h.api('GET', '/v1/messages?to=%2B12');
    expect(phone.status).toBe(422);
    expect(phone.json.error.code).toBe('PHONE_INVALID');
    expect(phone.json.error.details[0].path).toBe('query.to');
  });

  it('orders a timeline by the lifecycle and says whose clock each time comes from', async () => {
    const m = await h.api('GET', `/v1/messages/${sent[0]}`);
    expect(m.status).toBe(200);
    const steps = m.json.timeline.map((t: { status: string; clock: string }) => `${t.status}/${t.clock}`);
    // 'accepted' is absent when Meta's 'sent' webhook overtook the dispatcher's record.
    expect(steps.filter((s: string) => !s.startsWith('accepted'))).toEqual([
      'queued/recontact',
      'sent/meta',
      'delivered/meta',
      'read/meta',
    ]);
    if (steps.includes('accepted/recontact')) expect(steps[1]).toBe('accepted/recontact');
    const metaTimes = m.json.timeline.filter((t: { clock: string }) => t.clock === 'meta');
    for (const t of metaTimes) expect(t.at).toMatch(/\.000Z$/);
  });

  it('answers 404 TEMPLATE_NOT_FOUND for a template read, and 422 for a send of it', async () => {
    const read = await h.api('GET', '/v1/templates/appointment_reminder/es_MX');
    expect(read.status).toBe(404);
    expect(read.json.error.code).toBe('TEMPLATE_NOT_FOUND');
    expect(read.json.error.details[0].message).toContain('es_AR');
    const send = await h.api('POST', '/v1/messages', {
      ...REMINDER,
      template: { ...REMINDER.template, language: 'es_MX' },
    });
    expect(send.status).toBe(422);
    expect(send.json.error.code).toBe('TEMPLATE_NOT_FOUND');
  });
});
