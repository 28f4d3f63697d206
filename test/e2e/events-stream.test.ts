/**
 * GET /v1/events/stream, end to end on both databases: live events as Server-Sent Events;
 * after a disconnect, a reconnect with Last-Event-ID receives exactly the events missed, in
 * position order; a type filter; the viewer role suffices and a key is required; a bad cursor
 * is a JSON 400; stopping Recontact ends an open stream.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, REMINDER, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

interface Frame {
  id?: string;
  event?: string;
  data?: any;
  comment?: string;
}

/** An open stream: frames as they come, and a way to wait for one. */
async function openStream(h: Harness, path: string, headers: Record<string, string> = {}, key = h.key) {
  const res = await request(`${h.url}${path}`, {
    headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream', ...headers },
  });
  const frames: Frame[] = [];
  let ended = false;
  let buffer = '';
  const reading = (async () => {
    try {
      for await (const chunk of res.body) {
        buffer += chunk.toString('utf8');
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const frame: Frame = {};
          for (const line of buffer.slice(0, cut).split('\n')) {
            if (line.startsWith(':')) frame.comment = line.slice(1).trim();
            else if (line.startsWith('id: ')) frame.id = line.slice(4);
            else if (line.startsWith('event: ')) frame.event = line.slice(7);
            else if (line.startsWith('data: ')) frame.data = JSON.parse(line.slice(6));
          }
          frames.push(frame);
          buffer = buffer.slice(cut + 2);
          cut = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // Destroyed by the test.
    } finally {
      ended = true;
    }
  })();
  return {
    status: res.statusCode,
    headers: res.headers,
    frames,
    events: () => frames.filter((f) => f.event !== undefined),
    ended: () => ended,
    close: async () => {
      res.body.destroy();
      await reading;
    },
    reading,
  };
}

describe.each(DIALECTS)('event stream on %s', (dialect) => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness(dialect);
  });
  let closed = false;
  afterAll(async () => {
    if (!closed) await h.close();
  });

  const readMessage = async (phone: string) => {
    const sent = await h.api('POST', '/v1/messages', { ...REMINDER, to: phone });
    expect(sent.status).toBe(202);
    await h.waitFor('the message read', async () => {
      const m = await h.api('GET', `/v1/messages/${sent.json.id}`);
      return m.json.status === 'read';
    });
    return sent.json as { id: string; contact_id: string };
  };

  it('streams live events, and a reconnect with Last-Event-ID gets exactly the ones missed', async () => {
    const viewer = (await h.app.apiKeys.create('dashboard', 'viewer')).key;
    const live = await openStream(h, '/v1/events/stream', {}, viewer);
    expect(live.status).toBe(200);
    expect(live.headers['content-type']).toMatch(/^text\/event-stream/);
    await h.waitFor('the opening comment', () => live.frames.length > 0);
    expect(live.frames[0]!.comment).toMatch(/^events after position \d+$/);

    const first = await readMessage('+1 650 555 0201');
    await h.waitFor('the read status on the stream', () =>
      live.events().some((f) => f.data.data.id === first.id && f.data.data.status === 'read'),
    );
    for (const f of live.events()) {
      expect(f.id).toBe(String(f.data.position));
      expect(f.event).toBe(f.data.type);
    }
    const positions = live.events().map((f) => f.data.position as number);
    expect(positions).toEqual(positions.map((_, i) => positions[0]! + i)); // every event, none skipped
    await live.close();
    const lastSeen = positions[positions.length - 1]!;

    // Missed while disconnected.
    const second = await readMessage('+1 650 555 0202');
    const missed = (await h.api('GET', `/v1/events?after=${lastSeen}&limit=1000`)).json.data as Array<{
      position: number;
      id: string;
    }>;
    expect(missed.some((e) => e.id !== undefined)).toBe(true);
    const resumed = await openStream(h, '/v1/events/stream', { 'last-event-id': String(lastSeen) });
    await h.waitFor('the missed events', () => resumed.events().length >= missed.length);
    const got = resumed.events().map((f) => f.data.position as number);
    expect(got.slice(0, missed.length)).toEqual(missed.map((e) => e.position));
    expect(got[0]).toBe(lastSeen + 1);
    // The read status is committed before its event is numbered, so the stream may bring it a
    // moment after the message reads as read.
    await h.waitFor('the second read status on the resumed stream', () =>
      resumed.events().some((f) => f.data.data.id === second.id && f.data.data.status === 'read'),
    );
    await resumed.close();

    // ?after= resumes the same way; a type filter keeps only that type.
    const statuses = await openStream(h, `/v1/events/stream?after=${lastSeen}&type=message.status`);
    const expected = missed.filter((e) => (e as { type?: string }).type === 'message.status').length;
    await h.waitFor('the status events', () => statuses.events().length >= expected);
    expect(statuses.events().every((f) => f.event === 'message.status')).toBe(true);
    await statuses.close();
  });

  it('refuses a bad cursor and a missing key before streaming', async () => {
    const bad = await request(`${h.url}/v1/events/stream`, {
      headers: { authorization: `Bearer ${h.key}`, 'last-event-id': 'abc' },
    });
    expect(bad.statusCode).toBe(400);
    const body = (await bad.body.json()) as { error: { code: string; details: Array<{ path: string }> } };
    expect(body.error.code).toBe('INPUT_INVALID');
    expect(body.error.details[0]!.path).toBe('header Last-Event-ID');
    const anonymous = await request(`${h.url}/v1/events/stream`);
    expect(anonymous.statusCode).toBe(401);
    await anonymous.body.dump();
    const type = await request(`${h.url}/v1/events/stream?type=nope`, {
      headers: { authorization: `Bearer ${h.key}` },
    });
    expect(type.statusCode).toBe(400);
    await type.body.dump();
  });

  it('stopping Recontact ends an open stream', async () => {
    const open = await openStream(h, '/v1/events/stream');
    await h.waitFor('the opening comment', () => open.frames.length > 0);
    // The whole stop (the harness's close) would hang on the open connection if the stream stayed.
    await h.close();
    closed = true;
    await h.waitFor('the stream ended', () => open.ended(), 5_000);
  });
});

describe.each(DIALECTS)('event stream limits on %s', (dialect) => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness(dialect, { app: { eventStream: { maxStreams: 1, keepAliveMs: 100 } } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('keeps an idle stream open with comments, and refuses a stream beyond the cap until one ends', async () => {
    const first = await openStream(h, '/v1/events/stream');
    expect(first.status).toBe(200);
    await h.waitFor(
      'keep-alive comments',
      () => first.frames.filter((f) => f.comment === 'keep-alive').length >= 2,
    );
    const second = await request(`${h.url}/v1/events/stream`, {
      headers: { authorization: `Bearer ${h.key}` },
    });
    expect(second.statusCode).toBe(429);
    expect(second.headers['retry-after']).toBe('5');
    const body = (await second.body.json()) as { error: { code: string; hint: string } };
    expect(body.error.code).toBe('RATE_LIMITED');
    expect(body.error.hint).toMatch(/At most 1 streams/);
    await first.close();
    await h.waitFor('the slot given back', async () => {
      const again = await request(`${h.url}/v1/events/stream`, {
        headers: { authorization: `Bearer ${h.key}` },
      });
      if (again.statusCode !== 200) {
        await again.body.dump();
        return false;
      }
      again.body.destroy();
      return true;
    });
  });
});
