/**
 * One round of the three figures against one database, each Recontact role in its own process as
 * in production: (1) API intake of n template sends by `serve --no-dispatch`, each durable
 * before its 202; (2) their dispatch by a `worker` process, timed by the database from the first
 * acceptance to the last; (3) GET /v1/contacts/{phone}/window for existing contacts at a fixed
 * concurrency, after a warm-up, while nothing else runs.
 */
import { Pool } from 'undici';
import { createIdGenerator } from '../../src/domain/ids';
import { openStore } from '../../src/store/database';
import { drive } from '../bare-loop';
import { nothingLeft } from '../phases-core';
import { type Proc, startProcess } from '../procs';
import { API_KEY, recontactEnv } from '../recontact-env';

export interface RoundFigures {
  intake: number;
  dispatch: number;
  windowP50: number;
  windowP99: number;
}

export interface RoundPlan {
  databaseUrl: string;
  sandboxUrl: string;
  concurrency: number;
  /** Template sends; they go to to(i), a number per request (repeats allowed). */
  messages: number;
  to: (i: number) => string;
  /** Window look-ups: lookups(i) is the number asked about by request i. */
  lookups: number;
  lookup: (i: number) => string;
  windowConcurrency: number;
  log: (s: string) => void;
}

/** The window route is compiled and optimised by V8 before its latency counts. */
const WARM_UP = 2_000;

export async function measureRound(plan: RoundPlan): Promise<RoundFigures> {
  const env = recontactEnv(plan.sandboxUrl, plan.databaseUrl, plan.concurrency);
  const procs: Proc[] = [];
  const store = await openStore({ url: plan.databaseUrl, pgPoolSize: 2, pgStatementTimeoutMs: 600_000 });
  try {
    const api = await startProcess(
      ['src/cli/main.ts', 'serve', '--no-dispatch'],
      env,
      /listening on (http:\/\/\S+)/,
    );
    procs.push(api);
    // What this round queues is told apart from the stored history by its time-ordered ids.
    const since = createIdGenerator((k) => new Uint8Array(k))('msg', Date.now());
    const t = performance.now();
    await postMessages(api.url, plan.messages, plan.to);
    const intake = plan.messages / ((performance.now() - t) / 1000);
    plan.log(`intake ${fmt(intake)} msg/s`);

    const worker = await startProcess(['src/cli/main.ts', 'worker'], env, /(worker) running/);
    procs.push(worker);
    await waitUntil(() => nothingLeft(store, 'dispatch'), 'dispatch');
    const span = await store.db
      .selectFrom('messages')
      .select((eb) => [
        eb.fn.min('accepted_at').as('first'),
        eb.fn.max('accepted_at').as('last'),
        eb.fn.countAll<number>().as('n'),
      ])
      .where('id', '>=', since)
      .where('status', 'in', ['accepted', 'sent', 'delivered', 'read'])
      .executeTakeFirstOrThrow();
    if (Number(span.n) !== plan.messages)
      throw new Error(`expected ${plan.messages} messages accepted, found ${span.n}`);
    const dispatch = (plan.messages - 1) / ((Number(span.last) - Number(span.first)) / 1000);
    plan.log(`dispatch ${fmt(dispatch)} msg/s`);
    await worker.stop();

    const lookups = new Pool(api.url, { connections: plan.windowConcurrency });
    const ask = (nth: (i: number) => string) => async (i: number) => {
      const res = await lookups.request({
        method: 'GET',
        path: `/v1/contacts/${encodeURIComponent(`+${nth(i)}`)}/window`,
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      const body = (await res.body.json()) as { known?: boolean };
      if (res.statusCode !== 200)
        throw new Error(`window answered ${res.statusCode}: ${JSON.stringify(body)}`);
      if (!body.known) throw new Error(`window look-up of +${nth(i)} found no contact`);
    };
    // The route compiled and the pool's sockets open; the warm-up asks about other contacts.
    await drive(
      WARM_UP,
      plan.windowConcurrency,
      ask((i) => plan.lookup(plan.lookups + i)),
    );
    const lat = await drive(plan.lookups, plan.windowConcurrency, ask(plan.lookup));
    await lookups.close();
    lat.sort((a, b) => a - b);
    const windowP50 = lat[Math.floor(lat.length * 0.5)]!;
    const windowP99 = lat[Math.floor(lat.length * 0.99)]!;
    plan.log(`window p50 ${windowP50.toFixed(2)} ms, p99 ${windowP99.toFixed(2)} ms`);
    return { intake, dispatch, windowP50, windowP99 };
  } finally {
    for (const p of procs) await p.stop();
    await store.close();
  }
}

/** Posts n template sends with 64 in flight, as `npm run bench` does; resolves on the last 202. */
async function postMessages(url: string, n: number, to: (i: number) => string): Promise<void> {
  const api = new Pool(url, { connections: 64 });
  const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
  await drive(n, 64, async (i) => {
    const res = await api.request({
      method: 'POST',
      path: '/v1/messages',
      headers,
      body: JSON.stringify({
        to: `+${to(i)}`,
        template: {
          name: 'appointment_reminder',
          language: 'es_AR',
          body: ['Emilia', 'la Dra. Gómez', 'lunes 3 de marzo a las 10:00'],
          buttons: [{ payload: `CONFIRM:${i}` }, { payload: `CANCEL:${i}` }],
        },
        metadata: { i },
      }),
    });
    if (res.statusCode !== 202) throw new Error(`API answered ${res.statusCode}: ${await res.body.text()}`);
    await res.body.dump();
  });
  await api.close();
}

/** Every 100 ms: the figures are timed by the database, and each poll is a query on the database measured. */
async function waitUntil(probe: () => Promise<boolean>, what: string, ms = 600_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
