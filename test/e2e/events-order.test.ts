/**
 * Events a bot can trust, end to end over HTTP on both databases: after an outage of the bot,
 * one message's statuses arrive sent → delivered → read with consecutive per-contact sequence
 * numbers; the delivery log shows the failed attempts and the success; GET /v1/events lists the
 * same events; a replay re-delivers a range with the same ids, marked as replays; bad inputs
 * are refused with the parameter at fault.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { type Harness, REMINDER, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

interface Envelope {
  id: string;
  type: string;
  position: number;
  ordering_key: string | null;
  contact_id: string | null;
  sequence: number | null;
  replay: boolean;
  data: Record<string, any>;
}

describe.each(DIALECTS)('events a bot can trust on %s', (dialect) => {
  let h: Harness;
  let bot: FastifyInstance;
  let down = true;
  const received: Envelope[] = [];
  let endpointId: string;
  let messageId: string;
  let contactId: string;

  beforeAll(async () => {
    h = await startHarness(dialect);
    bot = Fastify();
    bot.post('/hook', async (req, reply) => {
      if (down) return reply.status(503).send('bot restarting');
      received.push(req.body as Envelope);
      return reply.status(204).send();
    });
    const url = await bot.listen({ port: 0, host: '127.0.0.1' });
    const created = await h.api('POST', '/v1/webhook-endpoints', { url: `${url}/hook`, events: ['*'] });
    expect(created.status).toBe(201);
    endpointId = created.json.id;
  });
  afterAll(async () => {
    await h.close();
    await bot.close();
  });

  it("after an outage of the bot, a message's statuses arrive in order with consecutive sequence numbers", async () => {
    const sent = await h.api('POST', '/v1/messages', { ...REMINDER, to: '+1 650 555 0142' });
    expect(sent.status).toBe(202);
    messageId = sent.json.id;
    contactId = sent.json.contact_id;
    await h.waitFor('the message read (while the bot is down)', async () => {
      const m = await h.api('GET', `/v1/messages/${messageId}`);
      return m.json.status === 'read';
    });
    // The bot stays down until its first event was refused a few times.
    await h.waitFor('failed attempts in the delivery log', async () => {
      const log = await h.api('GET', `/v1/webhook-endpoints/${endpointId}/deliveries?status=pending`);
      return log.json.data.some((d: { attempts: number }) => d.attempts >= 3);
    });
    down = false;
    const statusesOf = () =>
      received
        .filter((e) => e.type === 'message.status' && e.data.id === messageId)
        .map((e) => e.data.status);
    await h.waitFor('the read status at the bot', () => statusesOf().includes('read'), 20_000);

    const order = ['accepted', 'sent', 'delivered', 'read'];
    const statuses = statusesOf();
    expect(statuses).toEqual(expect.arrayContaining(['sent', 'delivered', 'read']));
    expect(statuses).toEqual([...statuses].sort((a, b) => order.indexOf(a) - order.indexOf(b)));
    // Every event about the contact, in the order it arrived: 1, 2, 3… with no gap and no repeat.
    const ofContact = received.filter((e) => e.contact_id === contactId);
    expect(ofContact.length).toBeGreaterThanOrEqual(3);
    expect(ofContact.map((e) => e.sequence)).toEqual(ofContact.map((_, i) => i + 1));
    expect(ofContact.every((e) => e.ordering_key === `contact:${contactId}` && !e.replay)).toBe(true);
    const positions = ofContact.map((e) => e.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it("the delivery log shows each delivery's attempts: the refusals, then the success", async () => {
    const log = await h.api('GET', `/v1/webhook-endpoints/${endpointId}/deliveries?limit=200`);
    expect(log.status).toBe(200);
    const first = received.find((e) => e.contact_id === contactId && e.sequence === 1)!;
    const d = log.json.data.find((x: { event_id: string }) => x.event_id === first.id);
    expect(d).toMatchObject({
      status: 'delivered',
      type: first.type,
      position: first.position,
      replay: false,
    });
    expect(d.attempt_log.length).toBeGreaterThanOrEqual(4);
    const last = d.attempt_log[d.attempt_log.length - 1];
    expect(last).toMatchObject({ status_code: 204, outcome: 'delivered', error: null });
    for (const a of d.attempt_log.slice(0, -1)) {
      expect(a).toMatchObject({ status_code: 503, outcome: 'failed' });
      expect(a.error).toBe('HTTP 503: bot restarting');
      expect(a.duration_ms).toBeGreaterThanOrEqual(0);
    }
    expect(d.attempts).toBe(d.attempt_log.length);
    // Filtered by status; paged with next_before. A delivery is recorded as delivered a moment
    // after the bot answered it: wait until three are.
    await h.waitFor('three deliveries recorded as delivered', async () => {
      const some = await h.api(
        'GET',
        `/v1/webhook-endpoints/${endpointId}/deliveries?status=delivered&limit=3`,
      );
      return some.json.data.length === 3;
    });
    const delivered = await h.api(
      'GET',
      `/v1/webhook-endpoints/${endpointId}/deliveries?status=delivered&limit=2`,
    );
    expect(delivered.json.data).toHaveLength(2);
    expect(delivered.json.data.every((x: { status: string }) => x.status === 'delivered')).toBe(true);
    const older = await h.api(
      'GET',
      `/v1/webhook-endpoints/${endpointId}/deliveries?status=delivered&limit=2&before=${delivered.json.next_before}`,
    );
    expect(older.json.data[0].id < delivered.json.data[1].id).toBe(true);
  });

  it('GET /v1/events lists the same events by position, filtered by contact and type', async () => {
    const page = await h.api('GET', `/v1/events?contact=${contactId}&limit=1000`);
    expect(page.status).toBe(200);
    const listed = page.json.data as Envelope[];
    const got = received.filter((e) => e.contact_id === contactId);
    expect(listed.map((e) => e.id).slice(0, got.length)).toEqual(got.map((e) => e.id));
    expect(listed.map((e) => e.sequence)).toEqual(listed.map((_, i) => i + 1));
    const statuses = await h.api('GET', `/v1/events?type=message.status&after=${listed[0]!.id}`);
    expect(statuses.json.data.every((e: Envelope) => e.type === 'message.status')).toBe(true);
    expect(statuses.json.data.every((e: Envelope) => e.position > listed[0]!.position)).toBe(true);
    // Paging: after = next_after goes on where the page ended.
    const one = await h.api('GET', `/v1/events?contact=${contactId}&limit=1`);
    expect(one.json).toMatchObject({ has_more: true, next_after: listed[0]!.position });
    const two = await h.api('GET', `/v1/events?contact=${contactId}&limit=1&after=${one.json.next_after}`);
    expect(two.json.data[0].id).toBe(listed[1]!.id);
  });

  it('a replay re-delivers a range with the same event ids, marked as replays, in order', async () => {
    const listed = (await h.api('GET', `/v1/events?contact=${contactId}&type=message.status`)).json
      .data as Envelope[];
    const after = listed[0]!.position - 1;
    const until = listed[listed.length - 1]!.position;
    const inRange = (
      await h.api('GET', `/v1/events?after=${after}&type=message.status&limit=1000`)
    ).json.data.filter((e: Envelope) => e.position <= until) as Envelope[];
    const res = await h.api('POST', `/v1/webhook-endpoints/${endpointId}/replay`, {
      after,
      until,
      types: ['message.status'],
    });
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ endpoint_id: endpointId, after, until, replayed: inRange.length });
    await h.waitFor('the replayed events', () => received.filter((e) => e.replay).length >= inRange.length);
    const replays = received.filter((e) => e.replay);
    expect(replays.map((e) => e.id).sort()).toEqual(inRange.map((e) => e.id).sort());
    // Per contact, in position order.
    const mine = replays.filter((e) => e.contact_id === contactId).map((e) => e.position);
    expect(mine).toEqual([...mine].sort((a, b) => a - b));
    // An event id and a time work as cursors too.
    const byId = await h.api('POST', `/v1/webhook-endpoints/${endpointId}/replay`, {
      after: listed[0]!.id,
      until: listed[0]!.id,
    });
    expect(byId.status).toBe(400);
    expect(byId.json.error.details[0].path).toBe('body.until');
    const future = await h.api('POST', `/v1/webhook-endpoints/${endpointId}/replay`, {
      after: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(future.status).toBe(400);
  });

  it('refuses bad inputs, naming the parameter and how to fix it', async () => {
    const bad = await h.api('GET', '/v1/events?after=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'INPUT_INVALID', details: [{ path: 'query.after' }] });
    expect(bad.json.error.hint).toMatch(/position/);
    const gone = await h.api('GET', '/v1/events?after=evt_01ARZ3NDEKTSV4RRFFQ69G5FAV');
    expect(gone.status).toBe(400);
    expect(gone.json.error.message).toMatch(/no event "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV" is kept/);
    const type = await h.api('GET', '/v1/events?type=message.status,message.nope');
    expect(type.status).toBe(400);
    expect(type.json.error.message).toMatch(/"message.nope"/);
    expect(type.json.error.hint).toMatch(/window\.expiring/);
    expect((await h.api('GET', '/v1/events?limit=0')).status).toBe(400);
    const unknown = await h.api('POST', '/v1/webhook-endpoints/ep_nope/replay', { after: 0 });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('WEBHOOK_ENDPOINT_NOT_FOUND');
    expect((await h.api('GET', '/v1/webhook-endpoints/ep_nope/deliveries')).status).toBe(404);
    const range = await h.api('POST', `/v1/webhook-endpoints/${endpointId}/replay`, { after: 10, until: 5 });
    expect(range.status).toBe(400);
    expect(range.json.error.message).toMatch(/until \(5\) is not after after \(10\)/);
    const noAfter = await h.api('POST', `/v1/webhook-endpoints/${endpointId}/replay`, {});
    expect(noAfter.status).toBe(400);
    const narrow = await h.api('POST', '/v1/webhook-endpoints', {
      url: 'http://127.0.0.1:9/narrow',
      events: ['message.reply'],
    });
    const notSubscribed = await h.api('POST', `/v1/webhook-endpoints/${narrow.json.id}/replay`, {
      after: 0,
      types: ['message.status'],
    });
    expect(notSubscribed.status).toBe(400);
    expect(notSubscribed.json.error.details[0].path).toBe('body.types');
    await h.api('DELETE', `/v1/webhook-endpoints/${narrow.json.id}`);
  });
});

describe('EVENT_RETENTION', () => {
  it('defaults to 30 days, takes an ISO 8601 duration, refuses months and less than an hour', () => {
    expect(loadConfig({}).eventRetentionMs).toBe(30 * 86_400_000);
    expect(loadConfig({ EVENT_RETENTION: 'P7D' }).eventRetentionMs).toBe(7 * 86_400_000);
    expect(loadConfig({ EVENT_RETENTION: 'P1DT12H' }).eventRetentionMs).toBe(36 * 3_600_000);
    expect(() => loadConfig({ EVENT_RETENTION: 'P1M' })).toThrow(/Invalid EVENT_RETENTION/);
    try {
      loadConfig({ EVENT_RETENTION: 'PT5M' });
      expect.unreachable();
    } catch (err) {
      expect((err as { details: Array<{ message: string }> }).details[0]!.message).toMatch(
        /at least one hour/,
      );
    }
  });
});
