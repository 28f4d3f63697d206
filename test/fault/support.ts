/**
 * Stores for the fault suite: PostgreSQL reached through a TCP proxy the test can cut, and
 * SQLite with a short busy timeout (a lock held elsewhere blocks the event loop that long).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { request } from 'undici';
import { openStore } from '../../src/store/database';
import { migrateToLatest } from '../../src/store/migrate';
import type { Harness } from '../support/harness';
import { inboundTextBody, signedHeaders } from '../support/meta-webhooks';
import { PG_URL, type TestStore } from '../support/stores';
import type { TcpProxy } from './tcp-proxy';

export async function openProxiedPostgres(proxy: TcpProxy): Promise<TestStore> {
  const pgSchema = `t_${randomBytes(6).toString('hex')}`;
  const url = proxy.rewrite(PG_URL);
  const store = await openStore({
    url,
    pgSchema,
    pgPoolSize: 5,
    pgConnectTimeoutMs: 1_000,
    pgStatementTimeoutMs: 5_000,
  });
  await migrateToLatest(store.db, store.schema);
  return {
    ...store,
    url,
    pgSchema,
    destroy: async () => {
      await store.close();
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${pgSchema} CASCADE`);
      await client.end();
    },
  };
}

export async function openShortBusySqlite(busyMs: number): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'recontact-fault-'));
  const url = join(dir, 'recontact.db');
  const store = await openStore({ url, sqliteBusyTimeoutMs: busyMs });
  await migrateToLatest(store.db, store.schema);
  return {
    ...store,
    url,
    destroy: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `probe` is truthy; returns how long that took (ms). */
export async function timeUntil(what: string, probe: () => Promise<boolean> | boolean, ms = 20_000) {
  const t0 = performance.now();
  for (;;) {
    if (await probe()) return Math.round(performance.now() - t0);
    if (performance.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * How far Meta's stand-in is from "every message stored reached it exactly once" (our id
 * travels as biz_opaque_callback_data): ids sent a wrong number of times, and ids it got that
 * we never stored. Both empty when all is well.
 */
export function sendDiscrepancies(h: Harness, ids: readonly string[]) {
  const counts = h.embedded.sandbox.countsByCallbackData();
  const wrong = ids.filter((id) => counts.get(id) !== 1).map((id) => `${id}: ${counts.get(id) ?? 0}`);
  const unknown = [...counts.keys()].filter((id) => !ids.includes(id));
  return { wrong, unknown };
}

/** A text from `from`, as Meta would POST it, signed with the sandbox account's app secret. */
export function signedInbound(from: string, id: string, text: string) {
  const body = inboundTextBody({ from, id, text, name: 'Fault' });
  return { body, headers: signedHeaders(body) };
}

/** POSTs to Recontact without an API key (webhooks, probes); the answer's JSON parsed. */
export async function raw(
  h: Harness,
  method: 'GET' | 'POST',
  path: string,
  init: { body?: string; headers?: Record<string, string> } = {},
) {
  const res = await request(`${h.url}${path}`, { method, ...init });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

/** What has not reached its end yet: messages not read, webhooks not applied, events not delivered. */
export async function unsettled(h: Harness, ids: readonly string[], inboundCount?: number) {
  const db = h.store.db;
  const messages = await db
    .selectFrom('messages')
    .select(['id', 'status', 'attempts', 'locked_by', 'locked_until', 'next_attempt_at'])
    .where('id', 'in', [...ids])
    .where('status', '!=', 'read')
    .execute();
  const webhooks = await db
    .selectFrom('webhook_inbox')
    .select(['id', 'status', 'error'])
    .where('status', '!=', 'processed')
    .execute();
  // An event gets its deliveries when the sequencer reaches it: until then it has none to wait for.
  // Read before the deliveries, as the pipeline runs: an event sequenced between the two reads
  // then has its pending deliveries counted (read the other way round, it would be in neither).
  const unsequenced = [
    ...(await db.selectFrom('events').select('id').where('position', 'is', null).execute()),
    ...(await db.selectFrom('event_backlog').select('id').execute()),
  ];
  const deliveries = await db
    .selectFrom('event_deliveries')
    .select(['id', 'status', 'attempts', 'last_error', 'locked_until', 'lease_token', 'next_attempt_at'])
    .where('status', '!=', 'delivered')
    .execute();
  const inbound = await db.selectFrom('inbound_messages').select('id').execute();
  const out: Record<string, unknown> = {};
  if (unsequenced.length) out.unsequenced_events = unsequenced.length;
  if (messages.length) out.messages = messages;
  if (webhooks.length) out.webhooks = webhooks;
  if (deliveries.length) out.deliveries = deliveries;
  if (inboundCount !== undefined && inbound.length !== inboundCount) out.inbound = inbound.length;
  return out;
}

/**
 * Waits until every message in `ids` was read, every stored webhook applied and every event
 * delivered (and `inboundCount` inbound messages stored); says what was left if that never comes.
 */
export async function settled(h: Harness, ids: readonly string[], inboundCount?: number, ms = 20_000) {
  let left: Record<string, unknown> = {};
  return timeUntil(
    'every message read, every webhook applied, every event delivered',
    async () => {
      left = await unsettled(h, ids, inboundCount);
      return Object.keys(left).length === 0;
    },
    ms,
  ).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; still unsettled: ${JSON.stringify(left)}`);
  });
}
