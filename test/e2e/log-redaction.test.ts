/**
 * A bot URL with credentials (user:password@, ?token=) is never written to the log in full, even
 * on the path that logs it most: a failed event delivery, retried for a day.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdGenerator } from '../../src/domain/ids';
import type { EngineContext } from '../../src/engine/context';
import { DEFAULT_DELIVERER_OPTIONS, EventDeliverer } from '../../src/engine/events/deliverer';
import { EventBus } from '../../src/engine/events/event-bus';
import { newEndpointSecret } from '../../src/engine/events/signing';
import { insertEndpoint } from '../../src/store/events-repo';
import { openTestStore, type TestStore } from '../support/stores';

describe('log redaction', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore('sqlite');
  });
  afterAll(() => store.destroy());

  it('logs a failed delivery without the URL’s password or query values', async () => {
    const now = 1_764_000_000_000;
    // Port 9 (discard) has no listener here: the delivery fails and is logged.
    const url = 'http://recontact:pa55word@127.0.0.1:9/hook?token=t0ps3cret&tenant=acme';
    await insertEndpoint(store.db, { id: 'ep_1', url, secret: newEndpointSecret(), eventTypes: ['*'] }, now);
    const lines: string[] = [];
    const gen = createIdGenerator((n) => randomBytes(n));
    const ctx: EngineContext = {
      store,
      clock: () => now,
      id: (p) => gen(p, now),
      log: pino({ level: 'trace' }, { write: (l: string) => lines.push(l) }),
    };
    await new EventBus(ctx).emit(store.db, [{ type: 'message.status', data: { status: 'sent' } }]);
    const deliverer = new EventDeliverer(ctx, { ...DEFAULT_DELIVERER_OPTIONS, concurrency: 1, pollMs: 50 });
    expect(await deliverer.runOnce()).toBe(1);
    await deliverer.stop();

    // Whatever the deliverer logs about the failure, and at whatever level, the URL is redacted.
    const urls = lines.map((l) => JSON.parse(l).url).filter((u) => u !== undefined);
    expect(urls.length).toBeGreaterThan(0);
    for (const u of urls) expect(u).toBe('http://127.0.0.1:9/hook?token=***&tenant=***');
    const all = lines.join('\n');
    expect(all).not.toContain('pa55word');
    expect(all).not.toContain('t0ps3cret');
  });
});
