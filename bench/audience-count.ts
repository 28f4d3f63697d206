/**
 * Audience counts on a large contact book: BENCH_AUDIENCE_CONTACTS (1,000,000) generated
 * contacts of one account, tags in contact_tags, attributes as JSON, 3% opted out of marketing,
 * 5% sent marketing within the day, 40% who wrote in the last week. Then, each timed as the
 * median of 5 runs of the whole preview query (count, every exclusion, a sample of 10):
 *   (1) everyone; (2) one tag; (3) a tag and an attribute, needing the name, window closed;
 *   (4) an attribute alone, without then with an index on its expression (EXPLAIN shown);
 *   (5) the first page of the contact list filtered by a tag.
 * Prints figures, asserts nothing. `node --import tsx bench/audience-count.ts` runs it alone;
 * `npm run bench` runs it after the messaging bench. Env: BENCH_AUDIENCE_CONTACTS,
 * BENCH_AUDIENCE_DIALECTS (postgres,sqlite), BENCH_PG_URL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { type AudienceFilter, emptyFilter } from '../src/domain/contacts/audience';
import { createIdGenerator } from '../src/domain/ids';
import {
  type AudienceScan,
  attributeIndexSql,
  countAudience,
  explainAudienceCount,
} from '../src/store/audience-query';
import { type BulkContact, bulkInsertContacts, listContactPage } from '../src/store/contact-book-repo';
import { openStore, type Store } from '../src/store/database';
import { migrateToLatest } from '../src/store/migrate';

const HOUR = 3_600_000;
const ACCOUNT = 'acc_bench';
const CITIES = [
  'Rosario',
  'Córdoba',
  'Buenos Aires',
  'Mendoza',
  'La Plata',
  'Salta',
  'Neuquén',
  'Tucumán',
  'Mar del Plata',
  'Santa Fe',
];
const PLANS = ['free', 'free', 'free', 'silver', 'gold'];

export interface AudienceBenchRow {
  dialect: string;
  contacts: number;
  loadSeconds: number;
  all: Timed;
  tag: Timed;
  tagAttribute: Timed;
  attributeNoIndex: Timed;
  attributeIndexed: Timed;
  listPageMs: number;
  plan: string;
}

interface Timed {
  ms: number;
  count: number;
  excluded: Record<string, number>;
}

/** A small deterministic generator, so both databases hold the same book. */
function mulberry32(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function* generate(n: number, now: number): Generator<BulkContact[]> {
  const random = mulberry32(8);
  const newId = createIdGenerator((k) => randomBytes(k));
  const start = now - 400 * 24 * HOUR;
  let batch: BulkContact[] = [];
  for (let i = 0; i < n; i++) {
    const tags: string[] = [];
    if (random() < 0.1) tags.push('vip');
    if (random() < 0.3) tags.push('promo');
    if (random() < 0.2) tags.push('rosario');
    if (random() < 0.5) tags.push('newsletter');
    const digits = `549341${String(1_000_000 + i).padStart(7, '0')}`;
    batch.push({
      id: newId('ctc', start + i),
      accountId: ACCOUNT,
      waId: digits,
      phoneE164: `+${digits}`,
      name: random() < 0.02 ? null : `Contact ${i}`,
      tags,
      attributes: {
        city: CITIES[Math.floor(random() * CITIES.length)]!,
        age: 18 + Math.floor(random() * 62),
        plan: PLANS[Math.floor(random() * PLANS.length)]!,
        since: new Date(start + Math.floor(random() * 400) * 24 * HOUR).toISOString().slice(0, 10),
      },
      lastInboundAt: random() < 0.4 ? now - Math.floor(random() * 7 * 24 * HOUR) : null,
      lastMarketingAt: random() < 0.05 ? now - Math.floor(random() * 20 * HOUR) : null,
      marketingConsent: random() < 0.03 ? 'opted_out' : 'unknown',
      createdAt: start + i,
    });
    if (batch.length === 10_000) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

async function timed(
  run: () => Promise<{ count: number; excluded: Record<string, number> }>,
): Promise<Timed> {
  await run(); // warm the cache: a book this size is read often
  const times: number[] = [];
  let last = { count: 0, excluded: {} as Record<string, number> };
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    last = await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { ms: times[2]!, ...last };
}

async function openBenchStore(
  dialect: string,
  pgUrl: string,
): Promise<{ store: Store; cleanup: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'recontact-audience-bench-'));
    const store = await openStore({ url: join(dir, 'bench.db') });
    await migrateToLatest(store.db, store.schema);
    return {
      store,
      cleanup: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `bench_aud_${randomBytes(4).toString('hex')}`;
  const store = await openStore({
    url: pgUrl,
    pgSchema: schema,
    pgPoolSize: 2,
    pgStatementTimeoutMs: 600_000,
  });
  await migrateToLatest(store.db, store.schema);
  return {
    store,
    cleanup: async () => {
      await store.close();
      const client = new pg.Client({ connectionString: pgUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

export async function benchAudienceCount(
  dialect: string,
  n: number,
  pgUrl: string,
): Promise<AudienceBenchRow> {
  const { store, cleanup } = await openBenchStore(dialect, pgUrl);
  const db = store.db;
  const isPg = dialect === 'postgres';
  try {
    const now = Date.now();
    const t0 = performance.now();
    let loaded = 0;
    for (const batch of generate(n, now)) {
      await bulkInsertContacts(db, batch);
      loaded += batch.length;
      if (loaded % 200_000 === 0)
        process.stderr.write(`  ${dialect}: ${loaded.toLocaleString('en-US')} contacts loaded\n`);
    }
    const loadSeconds = (performance.now() - t0) / 1000;
    // Statistics, as a database that has been running would have them.
    await sql`ANALYZE`.execute(db);

    const scan = (filter: AudienceFilter | undefined, over: Partial<AudienceScan> = {}): AudienceScan => ({
      accountId: ACCOUNT,
      match: filter ? { kind: 'filter', filter } : { kind: 'all' },
      purpose: 'marketing',
      needs: [],
      frequencyCapMs: 24 * HOUR,
      now,
      sampleSize: 10,
      ...over,
    });
    const f = (over: Partial<AudienceFilter>): AudienceFilter => ({ ...emptyFilter(), ...over });
    const count = (s: AudienceScan) => async () => {
      const r = await countAudience(db, s);
      return { count: r.count, excluded: r.excluded as Record<string, number> };
    };
    const all = await timed(count(scan(undefined)));
    const tag = await timed(count(scan(f({ tags: { all: ['vip'], any: [], none: [] } }))));
    const tagAttribute = await timed(
      count(
        scan(
          f({
            tags: { all: ['promo'], any: [], none: ['vip'] },
            attributes: [{ name: 'city', op: '=', value: 'Rosario' }],
            window: 'closed',
          }),
          { needs: [{ field: 'name' }] },
        ),
      ),
    );
    const byPlan = scan(f({ attributes: [{ name: 'plan', op: '=', value: 'gold' }] }));
    const attributeNoIndex = await timed(count(byPlan));
    await sql.raw(attributeIndexSql(isPg, 'plan')).execute(db);
    await sql`ANALYZE`.execute(db);
    const attributeIndexed = await timed(count(byPlan));
    const plan = await explainAudienceCount(db, byPlan);
    const l0 = performance.now();
    const page = await listContactPage(db, {
      accountId: ACCOUNT,
      filter: f({ tags: { all: ['vip'], any: [], none: [] } }),
      limit: 51,
      now,
    });
    const listPageMs = performance.now() - l0;
    if (page.length !== 51) throw new Error(`list page had ${page.length} rows`);
    return {
      dialect,
      contacts: n,
      loadSeconds,
      all,
      tag,
      tagAttribute,
      attributeNoIndex,
      attributeIndexed,
      listPageMs,
      plan,
    };
  } finally {
    await cleanup();
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (t: Timed) => `${t.ms.toFixed(0)} ms (${fmt(t.count)})`;

export function printAudienceTable(rows: AudienceBenchRow[]): void {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    `\nAudience counts — machine: ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; median of 5, count in brackets\n\n`,
  );
  process.stdout.write(
    '| database | contacts | load | (1) everyone | (2) tag | (3) tag + attribute + window, needs name | (4) attribute, no index → indexed | (5) list page, tag filter |\n|---|---|---|---|---|---|---|---|\n',
  );
  for (const r of rows) {
    process.stdout.write(
      `| ${r.dialect} | ${fmt(r.contacts)} | ${r.loadSeconds.toFixed(0)} s | ${ms(r.all)} | ${ms(r.tag)} | ${ms(r.tagAttribute)} | ${r.attributeNoIndex.ms.toFixed(0)} → ${ms(r.attributeIndexed)} | ${r.listPageMs.toFixed(1)} ms |\n`,
    );
  }
  for (const r of rows) {
    process.stdout.write(`\n${r.dialect} exclusions for (1): ${JSON.stringify(r.all.excluded)}\n`);
    process.stdout.write(`${r.dialect} plan for (4) with the index:\n${r.plan.replace(/^/gm, '    ')}\n`);
  }
}

export async function runAudienceBench(): Promise<void> {
  const n = Number(process.env.BENCH_AUDIENCE_CONTACTS ?? 1_000_000);
  const dialects = (process.env.BENCH_AUDIENCE_DIALECTS ?? 'postgres,sqlite').split(',');
  const pgUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const rows: AudienceBenchRow[] = [];
  for (const d of dialects) {
    process.stdout.write(`audience counts on ${d} with ${fmt(n)} contacts…\n`);
    rows.push(await benchAudienceCount(d, n, pgUrl));
  }
  printAudienceTable(rows);
}

if (import.meta.url === `file://${process.argv[1]}`) await runAudienceBench();
