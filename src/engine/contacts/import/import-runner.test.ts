/**
 * The CSV import on both databases, through the job an upload starts: nasty files, every kind of
 * reject with its line and column, idempotence, consent, and a job stopped mid-file and taken
 * over by another runner with exact totals.
 */
import { hostname } from 'node:os';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../../../test/support/stores';
import { appendConsentEvents, consentHistory } from '../../../store/consent-repo';
import { findImportById } from '../../../store/imports-repo';
import type { EngineContext } from '../../context';
import { ImportRunner } from './import-runner';
import { importCsv, queueImport, TEST_TUNING, testContext } from './import-test-support';

describe.each(DIALECTS)('CSV import (%s)', (dialect) => {
  let store: TestStore;
  let ctx: EngineContext;
  let runner: ImportRunner;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    ctx = testContext(store);
    runner = new ImportRunner(ctx, TEST_TUNING);
  });
  afterAll(() => store.destroy());

  const contact = (waId: string) =>
    store.db.selectFrom('contacts').selectAll().where('wa_id', '=', waId).executeTakeFirstOrThrow();

  it('reads a BOM, ";" as delimiter, CRLF and quoted fields with newlines, with the right line numbers', async () => {
    const csv =
      '\uFEFFphone;name;tags;note\r\n' +
      '+54 9 11 4000-0001;"Ana\nMaría";vip|promo;"uno; dos"\r\n' +
      '+54 9 11 4000-0002;Beto;;\r\n' +
      '+54 9 11 4000-0003;"Ca""rla";x;"line1\nline2\nline3"\r\n' +
      'not a phone;Dani;;\r\n';
    const r = await importCsv(ctx, runner, csv);
    expect(r.end).toBe('done');
    expect(r.counts).toEqual({ created: 3, updated: 0, unchanged: 0, rejected: 1 });
    // The bad row is on line 8: Ana's name spans two lines and Carla's note three.
    expect(r.rejects).toEqual([
      {
        line: 8,
        column: 'phone',
        reason: '"not a phone" contains letters; a phone number has only digits and separators',
      },
    ]);
    const ana = await contact('5491140000001');
    expect(ana.name).toBe('Ana\nMaría');
    expect(JSON.parse(ana.tags)).toEqual(['promo', 'vip']);
    expect(JSON.parse(ana.attributes)).toEqual({ note: 'uno; dos' });
    expect(ana.time_zone).toBe('America/Argentina/Buenos_Aires');
    expect(Number(ana.time_zone_inferred)).toBe(1);
    expect((await contact('5491140000003')).name).toBe('Ca"rla');
    const tags = await store.db
      .selectFrom('contact_tags')
      .select(['tag'])
      .where('contact_id', '=', ana.id)
      .orderBy('tag')
      .execute();
    expect(tags.map((t) => t.tag)).toEqual(['promo', 'vip']);
  });

  it('rejects every kind of bad row with its line, column and reason, and writes the good ones', async () => {
    // A contact who said STOP themselves, and one already at the tag limit.
    const stop = await importCsv(ctx, runner, 'phone\n+54 9 11 4100-0001\n+54 9 11 4100-0002\n');
    expect(stop.counts.created).toBe(2);
    const stopped = await contact('5491141000001');
    await store.db.transaction().execute((trx) =>
      appendConsentEvents(
        trx,
        [
          {
            id: ctx.id('cev'),
            accountId: 'acc_default',
            contactId: stopped.id,
            channel: 'whatsapp',
            scope: 'marketing',
            state: 'opted_out',
            source: 'keyword',
            evidence: { keyword: 'STOP' },
            at: Date.UTC(2026, 10, 2),
          },
        ],
        Date.now(),
      ),
    );
    const full = Array.from({ length: 49 }, (_, i) => `t${String(i).padStart(2, '0')}`).join('|');
    expect((await importCsv(ctx, runner, `phone,tags\n+54 9 11 4100-0002,${full}\n`)).counts.updated).toBe(1);

    const long = 'x'.repeat(5_000);
    const csv = [
      'phone,name,language,time_zone,tags,opted_out,since,plan,score', // 1
      '+54 9 11 4200-0001,Good One,es-AR,America/Bogota,vip,false,2026-03-01,gold,7', // 2 good
      ',Empty Phone,,,,,,,', // 3
      '+54 9 11 CALL-NOW,Letters,,,,,,,', // 4
      '+54 9 11 4200#0004,Hash,,,,,,,', // 5
      '+54 9 11 +4200 0005,Plus,,,,,,,', // 6
      '+54 11,Short,,,,,,,', // 7
      '+54 9 11 5555 1234 5678 99,Long number,,,,,,,', // 8
      '+999 1234 5678,Unknown country,,,,,,,', // 9
      '+1 200 555 1234,Unused range,,,,,,,', // 10
      '011 5555-1234,National,,,,,,,', // 11
      '+54 9 11 4200-0001,Duplicate,,,,,,,', // 12
      '+54 9 11 4200-0012,Bell\u0007Name,,,,,,,', // 13
      `+54 9 11 4200-0013,${'n'.repeat(300)},,,,,,,`, // 14
      '+54 9 11 4200-0014,Lang,spanish please,,,,,,', // 15
      '+54 9 11 4200-0015,Zone,,-03:00,,,,,', // 16
      `+54 9 11 4200-0016,Tag,,,${'t'.repeat(70)},,,,`, // 17
      `+54 9 11 4200-0017,Tags,,,${Array.from({ length: 51 }, (_, i) => `k${i}`).join('|')},,,,`, // 18
      '+54 9 11 4200-0018,Consent,,,,maybe,,,', // 19
      '+54 9 11 4200-0019,Bad date,,,,,2026-02-30,,', // 20
      `+54 9 11 4200-0020,Long attribute,,,,,,${'a'.repeat(1_100)},`, // 21
      '+54 9 11 4200-0021,Too few', // 22
      '+54 9 11 4200-0022,Too,many,,,,,,,,', // 23
      '"+54 9 11 4200-0023"x,Stray quote,,,,,,,', // 24
      `+54 9 11 4200-0024,${long},,,,,,,`, // 25
      '+54 9 11 4200-0025,Nul\u0000Name,,,,,,,', // 26
      '+54 9 11 4200-0026,Bad \uFFFD bytes,,,,,,,', // 27
      '+54 9 11 4100-0001,Opt back in,,,,false,,,', // 28
      '+54 9 11 4100-0002,Over the tag limit,,,new1|new2,,,,', // 29
      '+54 9 11 4200-0029,Last Good,,,,true,,,', // 30 good
    ].join('\n');
    const r = await importCsv(ctx, runner, `${csv}\n`);
    expect(r.end).toBe('done');
    expect(r.rejects).toEqual([
      { line: 3, column: 'phone', reason: 'is empty: every row needs a phone number' },
      {
        line: 4,
        column: 'phone',
        reason: '"+54 9 11 CALL-NOW" contains letters; a phone number has only digits and separators',
      },
      {
        line: 5,
        column: 'phone',
        reason: '"+54 9 11 4200#0004" contains "#", which is not part of a phone number',
      },
      { line: 6, column: 'phone', reason: '"+54 9 11 +4200 0005" has a "+" that is not at the start' },
      { line: 7, column: 'phone', reason: '"+54 11" is too short for a number in Argentina (+54)' },
      {
        line: 8,
        column: 'phone',
        reason: '"+54 9 11 5555 1234 5678 99" is too long for a number in Argentina (+54)',
      },
      {
        line: 9,
        column: 'phone',
        reason: '"+999 1234 5678" starts with +999, which is not a known country code',
      },
      {
        line: 10,
        column: 'phone',
        reason: '"+1 200 555 1234" is not a valid number in country code +1: that number range is not in use',
      },
      {
        line: 11,
        column: 'phone',
        reason:
          '"011 5555-1234" starts with 0, a national prefix, and has no country code; no default country was given to read it as a national number',
      },
      {
        line: 12,
        column: 'phone',
        reason: '+5491142000001 already appears on line 2 of this file; the first occurrence was kept',
      },
      { line: 13, column: 'name', reason: 'contains a control character' },
      { line: 14, column: 'name', reason: 'is 300 characters long; the limit is 256' },
      {
        line: 15,
        column: 'language',
        reason: '"spanish please" is not a BCP-47 language tag (e.g. "es", "es-AR", "pt-BR")',
      },
      {
        line: 16,
        column: 'time_zone',
        reason: '"-03:00" is not an IANA time zone; write a name like "America/Bogota" or "UTC"',
      },
      {
        line: 17,
        column: 'tags',
        reason: `tag "${'t'.repeat(40)}…" is 70 characters long; a tag has at most 64`,
      },
      { line: 18, column: 'tags', reason: 'has 51 tags; a contact has at most 50' },
      {
        line: 19,
        column: 'opted_out',
        reason: '"maybe" is not true or false (also accepted: yes/no, 1/0; empty leaves consent as it is)',
      },
      { line: 20, column: 'since', reason: '"2026-02-30" is not a real date' },
      { line: 21, column: 'plan', reason: 'is 1100 characters long; the limit is 1024' },
      {
        line: 22,
        column: null,
        reason: 'has 2 fields where the header has 9 columns (a value with a "," inside must be quoted)',
      },
      {
        line: 23,
        column: null,
        reason: 'has 11 fields where the header has 9 columns (a value with a "," inside must be quoted)',
      },
      { line: 24, column: null, reason: 'the record has text after a closing quote: "x"' },
      {
        line: 25,
        column: null,
        reason: 'the record is longer than 4,096 characters (5,027); it was skipped unread',
      },
      { line: 26, column: 'name', reason: 'contains a NUL character (0x00)' },
      {
        line: 27,
        column: 'name',
        reason: 'contains bytes that are not UTF-8 (shown as �): save the file as "CSV UTF-8"',
      },
      {
        line: 28,
        column: 'opted_out',
        reason:
          '+5491141000001 opted out of marketing themselves (keyword, 2026-11-02); an import cannot opt them back in, only they can (e.g. by writing START)',
      },
      {
        line: 29,
        column: null,
        reason: 'the contact would have 51 tags (49 stored, 2 added); a contact has at most 50',
      },
    ]);
    expect(r.counts).toEqual({ created: 2, updated: 0, unchanged: 0, rejected: 27 });
    const good = await contact('5491142000001');
    expect(good).toMatchObject({ name: 'Good One', language: 'es-AR', time_zone: 'America/Bogota' });
    expect(Number(good.time_zone_inferred)).toBe(0);
    expect(JSON.parse(good.attributes)).toEqual({ plan: 'gold', score: 7, since: '2026-03-01' });
    expect(good.marketing_consent).toBe('opted_in');
    expect((await contact('5491142000029')).marketing_consent).toBe('opted_out');
    // Nothing of a rejected row was written: its number is unknown, the STOP still stands.
    const unknown = await store.db
      .selectFrom('contacts')
      .select('id')
      .where('wa_id', 'in', ['5491142000012', '5491142000018', '5491142000019'])
      .execute();
    expect(unknown).toEqual([]);
    expect((await contact('5491141000001')).marketing_consent).toBe('opted_out');
    expect(JSON.parse((await contact('5491141000002')).tags)).toHaveLength(49);
  });

  it.skipIf(dialect !== 'sqlite')(
    "puts SQLite's page cache back to the store's own size once the last import ends",
    async () => {
      const cacheSize = async () =>
        (await sql<{ cache_size: number }>`pragma cache_size`.execute(store.db)).rows[0]?.cache_size;
      // The store's size, as SQLITE_CACHE_MB would have set it: not SQLite's nor the driver's default.
      await sql`pragma cache_size = -1234`.execute(store.db);
      const r = await importCsv(ctx, runner, 'phone\n+54 9 11 4000-0901\n');
      expect(r.end).toBe('done');
      expect(await cacheSize()).toBe(-1234);
    },
  );

  it('refuses files that are not a usable CSV, and imports a header alone as nothing', async () => {
    const failed = async (csv: string | Uint8Array) => {
      const r = await importCsv(ctx, runner, csv);
      expect(r.end).toBe('failed');
      expect(r.job.error_code).toBe('CSV_INVALID');
      return r.job.error_message;
    };
    expect(await failed('')).toBe(
      'The file is empty (0 bytes): a CSV needs at least a header row naming its columns',
    );
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    expect(await failed(png)).toBe('The file is not a CSV text file: it looks like a PNG image');
    expect(await failed(Uint8Array.from([0x61, 0x2c, 0x62, 0x0a, 0x00, 0x01]))).toBe(
      'The file is not a CSV text file: byte 5 is a NUL (0x00), which text never contains',
    );
    expect(await failed(Buffer.from('phone,name\n+54 9 11 4000 0001,Jos\xe9\n', 'latin1'))).toMatch(
      /^The file is not UTF-8 text/,
    );
    expect(await failed('telefono,name\n+5491140000001,x\n')).toBe(
      'The file cannot be imported: the header has no "phone" column (it has: "telefono", "name"); name the phone column "phone" or pass phone_column= (--phone-column)',
    );
    expect(await failed('phone,name,Name\n')).toBe(
      'The file cannot be imported: column "Name" appears twice in the header (columns 2 and 3): each column needs its own name',
    );
    expect(await failed('phone,first name\n')).toMatch(
      /^The file cannot be imported: column "first name" cannot be an attribute/,
    );
    expect(await failed('\n\n')).toBe(
      'The file has no header row: the first line must name the columns (e.g. phone,name)',
    );
    const header = await importCsv(ctx, runner, 'phone,name\n');
    expect(header.end).toBe('done');
    expect(header.counts).toEqual({ created: 0, updated: 0, unchanged: 0, rejected: 0 });
  });

  it('is idempotent: the same file again changes nothing, not even updated_at or the ledger', async () => {
    const csv =
      'phone,name,tags,opted_out,plan\n+54 9 11 4300-0001,Idem,a|b,true,gold\n+54 9 11 4300-0002,Potent,,,\n';
    const first = await importCsv(ctx, runner, csv, { tags: ['batch'], consent: 'opted-in' });
    expect(first.counts).toEqual({ created: 2, updated: 0, unchanged: 0, rejected: 0 });
    const before = await store.db
      .selectFrom('contacts')
      .selectAll()
      .where('wa_id', 'like', '549114300%')
      .orderBy('wa_id')
      .execute();
    const second = await importCsv(ctx, runner, csv, { tags: ['batch'], consent: 'opted-in' });
    expect(second.counts).toEqual({ created: 0, updated: 0, unchanged: 2, rejected: 0 });
    const after = await store.db
      .selectFrom('contacts')
      .selectAll()
      .where('wa_id', 'like', '549114300%')
      .orderBy('wa_id')
      .execute();
    expect(after).toEqual(before);
    expect(before.map((c) => c.marketing_consent)).toEqual(['opted_out', 'opted_in']);
    for (const c of before) expect(await consentHistory(store.db, c.id)).toHaveLength(1);
    const [history] = await consentHistory(store.db, before[0]!.id);
    expect(history).toMatchObject({ source: 'import', state: 'opted_out', scope: 'marketing' });
    expect(history!.evidence).toEqual({ import_id: first.id, file: 'contacts.csv', line: 2 });
  });

  it('maps columns, adds tags, merges attributes, and fills only what a row gives', async () => {
    const first = await importCsv(
      ctx,
      runner,
      'Telefono,Nombre,Plan,Zona\n+54 9 11 4400-0001,Emilia,gold,America/Argentina/Cordoba\n',
      { phoneColumn: 'Telefono', map: { Nombre: 'name', Plan: 'plan', Zona: 'time_zone' }, tags: ['clinic'] },
    );
    expect(first.counts.created).toBe(1);
    const second = await importCsv(ctx, runner, 'phone,name,visits,tags\n+54 9 11 4400-0001,,3,vip\n', {
      tags: ['spring'],
    });
    expect(second.counts).toEqual({ created: 0, updated: 1, unchanged: 0, rejected: 0 });
    const c = await contact('5491144000001');
    expect(c.name).toBe('Emilia');
    // A name from a file is the business's: WhatsApp's profile name will not replace it.
    expect(Number(c.name_locked)).toBe(1);
    // Written as the runtime spells the zone (its canonical name).
    expect(c.time_zone).toBe('America/Cordoba');
    expect(Number(c.time_zone_inferred)).toBe(0);
    expect(JSON.parse(c.tags)).toEqual(['clinic', 'spring', 'vip']);
    expect(c.attributes).toBe('{"plan":"gold","visits":3}');
    // --consent opted-in: only for contacts whose marketing state is still unknown.
    const consent = await importCsv(ctx, runner, 'phone\n+54 9 11 4400-0001\n', { consent: 'opted-in' });
    expect(consent.counts.updated).toBe(1);
    expect((await contact('5491144000001')).marketing_consent).toBe('opted_in');
    const optOut = await importCsv(ctx, runner, 'phone,opted_out\n+54 9 11 4400-0001,yes\n');
    expect(optOut.counts.updated).toBe(1);
    const again = await importCsv(ctx, runner, 'phone\n+54 9 11 4400-0001\n', { consent: 'opted-in' });
    expect(again.counts.unchanged).toBe(1);
    expect((await contact('5491144000001')).marketing_consent).toBe('opted_out');
    // An opt-out the import itself recorded may be undone by a later file.
    const back = await importCsv(ctx, runner, 'phone,opted_out\n+54 9 11 4400-0001,false\n');
    expect(back.counts.updated).toBe(1);
    expect((await contact('5491144000001')).marketing_consent).toBe('opted_in');
  });

  it('resumes a job stopped mid-file in another runner: exact totals, nothing twice', async () => {
    const rows = 6_000;
    const lines = ['phone,name,tags,opted_out'];
    for (let i = 0; i < rows; i++) {
      const bad = i % 500 === 7;
      lines.push(
        `${bad ? 'nope' : `+5491150${String(i).padStart(6, '0')}`},P${i},t1|t2,${i % 1000 === 3 ? 'true' : ''}`,
      );
    }
    const first = new ImportRunner(
      ctx,
      { ...TEST_TUNING, batchSize: 300 },
      `${hostname()}:${process.pid}:first`,
    );
    const id = await queueImport(ctx, first, `${lines.join('\n')}\n`);
    const run = first.run(id);
    // Stop once some batches are in, long before the end.
    for (;;) {
      const job = await findImportById(store.db, id);
      if (Number(job!.rows_read) >= 900) break;
      await new Promise((r) => setTimeout(r, 1));
    }
    await first.stop();
    expect(await run).toBe('stopped');
    const mid = (await findImportById(store.db, id))!;
    expect(mid.state).toBe('running');
    expect(mid.holder).toBeNull();
    expect(Number(mid.rows_read)).toBeLessThan(rows);

    const second = new ImportRunner(
      ctx,
      { ...TEST_TUNING, batchSize: 300 },
      `${hostname()}:${process.pid}:second`,
    );
    expect(await second.sweep()).toEqual([id]);
    await expect(second.run(id)).resolves.toBe('done');
    const job = (await findImportById(store.db, id))!;
    const bad = Math.ceil((rows - 7) / 500);
    expect(Number(job.rows_read)).toBe(rows);
    expect({
      created: Number(job.created),
      rejected: Number(job.rejected),
      updated: Number(job.updated),
    }).toEqual({
      created: rows - bad,
      rejected: bad,
      updated: 0,
    });
    const contacts = await store.db
      .selectFrom('contacts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('wa_id', 'like', '5491150%')
      .executeTakeFirstOrThrow();
    expect(Number(contacts.n)).toBe(rows - bad);
    const tagRows = await store.db
      .selectFrom('contact_tags')
      .innerJoin('contacts', 'contacts.id', 'contact_tags.contact_id')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('contacts.wa_id', 'like', '5491150%')
      .executeTakeFirstOrThrow();
    expect(Number(tagRows.n)).toBe(2 * (rows - bad));
    const ledger = await store.db
      .selectFrom('consent_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('evidence', 'like', `%${id}%`)
      .executeTakeFirstOrThrow();
    expect(Number(ledger.n)).toBe(rows / 1000);
    const rejects = await store.db
      .selectFrom('import_rejects')
      .select(['line'])
      .where('import_id', '=', id)
      .orderBy('seq')
      .execute();
    expect(rejects.map((r) => Number(r.line))).toEqual(
      Array.from({ length: bad }, (_, k) => 7 + k * 500 + 2),
    );
  });

  it("takes over a dead process's job at once, a live one's only once its heartbeat is stale", async () => {
    let now = Date.now();
    const clocked = testContext(store, () => now);
    const ghost = new ImportRunner(clocked, TEST_TUNING, `${hostname()}:999999999:ghost`);
    const live = new ImportRunner(clocked, TEST_TUNING, 'elsewhere:1:live');
    const dead = await queueImport(clocked, ghost, 'phone\n+54 9 11 4500-0001\n');
    const busy = await queueImport(clocked, live, 'phone\n+54 9 11 4500-0002\n');
    const taker = new ImportRunner(clocked, TEST_TUNING, `${hostname()}:${process.pid}:taker`);
    expect(await taker.sweep()).toEqual([dead]);
    now += TEST_TUNING.staleMs + 1;
    expect(await taker.sweep()).toEqual([busy]);
    await Promise.all([taker.run(dead), taker.run(busy)]);
    expect((await findImportById(store.db, busy))!.state).toBe('done');
  });
});
