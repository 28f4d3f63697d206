/**
 * The dispatcher's statements on PostgreSQL without the HTTP around them: for every message, its
 * due row read, its `sending` mark and its acceptance, in batches as the dispatcher's group
 * commits make them, written two ways in alternating rounds of the same process:
 *   kysely  the texts Kysely builds, one per batch length (`id IN (…)`, `FROM (VALUES …)`), as a
 *           transaction still runs them;
 *   named   the named statements with array parameters (store/pg-direct.ts, dispatch-repo.ts
 *           PG_SQL) that the store's own connection pool runs, parsed once per connection.
 * Prints CPU per message of this process and of PostgreSQL's server processes (from /proc), and
 * the wall time, per round. Alone: `node --import tsx bench/pg-statements.ts`.
 * Env: BENCH_PG_URL, BENCH_PG_BATCHES (5,20,100: messages per batch), BENCH_PG_ROUNDS (8).
 */
import type { KyselyPlugin } from 'kysely';
import { openStore } from '../src/store/database';
import { markAccepted, markPosting, readDueMessages } from '../src/store/dispatch-repo';
import { migrateToLatest } from '../src/store/migrate';
import { messageRow, T0 } from '../test/support/message-rows';
import { templateSend } from './bare-loop';
import { postgresCpuSeconds } from './procs';
import { freshDatabase } from './recontact-env';

const BATCHES = (process.env.BENCH_PG_BATCHES ?? '5,20,100').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_PG_ROUNDS ?? 8);
const PER_ROUND = 2_000;
const NOW = T0 + 1_000_000;

type Form = 'kysely' | 'named';
interface Round {
  clientUs: number;
  serverUs: number;
  wallUs: number;
}

async function benchBatch(batch: number): Promise<Record<Form, Round[]>> {
  const url = await freshDatabase('postgres', '', 'recontact_bench_pg_statements');
  const store = await openStore({ url });
  try {
    await migrateToLatest(store.db);
    const content = JSON.stringify(templateSend(0, 'pg'));
    const total = ROUNDS * PER_ROUND;
    for (let i = 0; i < total; i += 500) {
      const rows = Array.from({ length: Math.min(500, total - i) }, (_, k) => ({
        ...messageRow(`msg_${String(i + k).padStart(8, '0')}`, {
          account_id: 'acc_1',
          contact_id: `ctc_${(i + k) % 1_000}`,
          kind: 'template',
        }),
        content,
      }));
      await store.db.insertInto('messages').values(rows).execute();
    }
    // Another Kysely instance over the same pool: the repositories take their Kysely forms there.
    const passThrough: KyselyPlugin = {
      transformQuery: ({ node }) => node,
      transformResult: async ({ result }) => result,
    };
    const viaKysely = store.db.withPlugin(passThrough);
    const out: Record<Form, Round[]> = { kysely: [], named: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const form: Form = r % 2 === 0 ? 'kysely' : 'named';
      const db = form === 'kysely' ? viaKysely : store.db;
      const cpu0 = process.cpuUsage();
      const server0 = postgresCpuSeconds();
      const t0 = performance.now();
      let done = 0;
      while (done < PER_ROUND) {
        const due = await readDueMessages(db, {
          accountId: 'acc_1',
          now: NOW,
          limit: batch,
          skip: new Set(),
        });
        if (due.length === 0) throw new Error('the queue ran dry');
        const posted = await markPosting(
          db,
          'bench',
          due.map((m) => m.id),
          NOW,
          60_000,
        );
        await markAccepted(
          db,
          posted.map((id) => ({ id, providerMessageId: `wamid.${id}` })),
          NOW,
        );
        done += posted.length;
      }
      const cpu = process.cpuUsage(cpu0);
      out[form].push({
        clientUs: (cpu.user + cpu.system) / done,
        serverUs: ((postgresCpuSeconds() - server0) * 1e6) / done,
        wallUs: ((performance.now() - t0) * 1000) / done,
      });
    }
    return out;
  } finally {
    await store.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

process.stdout.write(
  `\nThe dispatcher's statements on PostgreSQL (read, mark, accept per message; ${ROUNDS} alternating rounds of ${fmt(PER_ROUND)}, the first of each form warming up; medians of the others, then every round)\n\n`,
);
process.stdout.write(
  '| messages per batch | form | CPU per message: this process | PostgreSQL server | wall time per message | rounds (client / server µs) |\n|---|---|---|---|---|---|\n',
);
for (const batch of BATCHES) {
  const figures = await benchBatch(batch);
  for (const form of ['kysely', 'named'] as const) {
    const rounds = figures[form];
    const warm = rounds.slice(1);
    process.stdout.write(
      `| ${batch} | ${form} | ${fmt(median(warm.map((r) => r.clientUs)))} µs | ${fmt(median(warm.map((r) => r.serverUs)))} µs | ${fmt(median(warm.map((r) => r.wallUs)))} µs | ${rounds.map((r) => `${fmt(r.clientUs)} / ${fmt(r.serverUs)}`).join(', ')} |\n`,
    );
  }
}
