/**
 * POST /v1/contacts/import and GET /v1/imports/{id} over real HTTP, on both databases: the
 * upload answered 202 and read back, rejects paged and as CSV, whole-file refusals answered at
 * once (422, 413, 415), and every answer validated against the published OpenAPI document.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness';
import { expectDocumented } from '../support/openapi';
import { DIALECTS } from '../support/stores';

const CSV = { 'content-type': 'text/csv' };
const LIMIT = 200_000;

describe.each(DIALECTS)('contact import API (%s)', (dialect) => {
  let h: Harness;
  let doc: any;
  beforeAll(async () => {
    h = await startHarness(dialect, { env: { IMPORT_MAX_BYTES: String(LIMIT) } });
    doc = await (await request(`${h.url}/docs/json`)).body.json();
  });
  afterAll(() => h.close());

  const finished = (id: string) =>
    h.waitFor(`import ${id}`, async () => {
      const r = await h.api('GET', `/v1/imports/${id}`);
      return r.json.state !== 'running' && r;
    });

  it('imports a posted CSV: 202 with an id, then state, counts and rejects by GET', async () => {
    const csv =
      'phone,name,tags,opted_out,plan\n+54 9 11 6000-0001,Emilia,vip,false,gold\n+54 9 11 6000-0002,Bruno,,,\nnope,X,,,\n';
    const posted = await h.api('POST', '/v1/contacts/import?tag=spring&filename=clinic.csv', csv, CSV);
    expect(posted.status).toBe(202);
    expect(posted.json).toEqual({ id: expect.stringMatching(/^imp_/) });
    expectDocumented(doc, 'post /v1/contacts/import', posted);
    // The reference says the body is the CSV itself, and the rejects come as CSV too.
    expect(Object.keys(doc.paths['/v1/contacts/import'].post.requestBody.content)).toEqual(['text/csv']);
    expect(Object.keys(doc.paths['/v1/imports/{id}/rejects.csv'].get.responses['200'].content)).toEqual([
      'text/csv',
    ]);
    const done = await finished(posted.json.id);
    expectDocumented(doc, 'get /v1/imports/{id}', done);
    expect(done.json).toMatchObject({
      id: posted.json.id,
      state: 'done',
      file: 'clinic.csv',
      created: 2,
      updated: 0,
      unchanged: 0,
      rejected: 1,
      rows_read: 3,
      progress: 1,
      error: null,
      rejects: [
        {
          line: 4,
          column: 'phone',
          reason: '"nope" contains letters; a phone number has only digits and separators',
          value: 'nope',
        },
      ],
      rejects_next: null,
    });
    const again = await finished(
      (await h.api('POST', '/v1/contacts/import?tag=spring&filename=clinic.csv', csv, CSV)).json.id,
    );
    expect(again.json).toMatchObject({ created: 0, updated: 0, unchanged: 2, rejected: 1 });
    // The contact is there for everything else: its window, and a send.
    const window = await h.api('GET', `/v1/contacts/${encodeURIComponent('+54 9 11 6000-0001')}/window`);
    expect(window.json.known).toBe(true);
  });

  it('pages the rejects and serves them as CSV', async () => {
    const lines = ['phone,name'];
    for (let i = 0; i < 150; i++)
      lines.push(`+54 9 11 6100-${String(i).padStart(4, '0')},=HYPERLINK("x")\u0007`);
    const posted = await h.api('POST', '/v1/contacts/import', `${lines.join('\n')}\n`, CSV);
    const done = await finished(posted.json.id);
    expect(done.json.rejected).toBe(150);
    expect(done.json.rejects).toHaveLength(100);
    expect(done.json.rejects[0]).toEqual({
      line: 2,
      column: 'name',
      reason: 'contains a control character',
      value: '=HYPERLINK("x")\u0007',
    });
    const page = await h.api(
      'GET',
      `/v1/imports/${posted.json.id}/rejects?after=${done.json.rejects_next}&limit=40`,
    );
    expectDocumented(doc, 'get /v1/imports/{id}/rejects', page);
    expect(page.json.rejects.map((r: { line: number }) => r.line)).toEqual(
      Array.from({ length: 40 }, (_, k) => 102 + k),
    );
    const last = await h.api('GET', `/v1/imports/${posted.json.id}/rejects?after=${page.json.next}`);
    expect(last.json.rejects).toHaveLength(10);
    expect(last.json.next).toBeNull();

    const res = await request(`${h.url}/v1/imports/${posted.json.id}/rejects.csv`, {
      headers: { authorization: `Bearer ${h.key}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const text = await res.body.text();
    const rows = text.trimEnd().split('\n');
    expect(rows).toHaveLength(151);
    expect(rows[0]).toBe('line,column,reason,value');
    // A value that a spreadsheet would run as a formula is defused.
    expect(rows[1]).toBe('2,name,contains a control character,"\'=HYPERLINK(""x"")\u0007"');
  });

  it('refuses a file that cannot be imported at once, naming why', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48]);
    // Bytes as they are (the harness's api() would send them as JSON).
    const raw = await request(`${h.url}/v1/contacts/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.key}`, ...CSV },
      body: png,
    });
    const binary = { status: raw.statusCode, json: (await raw.body.json()) as any };
    expect(binary.status).toBe(422);
    expectDocumented(doc, 'post /v1/contacts/import', binary);
    expect(binary.json.error).toMatchObject({
      code: 'CSV_INVALID',
      message: 'The file is not a CSV text file: it looks like a PNG image',
    });
    const noPhone = await h.api('POST', '/v1/contacts/import', 'mobile,name\n+5491169990001,x\n', CSV);
    expect(noPhone.status).toBe(422);
    expect(noPhone.json.error.message).toContain(
      'the header has no "phone" column (it has: "mobile", "name")',
    );
    const mapped = await h.api(
      'POST',
      '/v1/contacts/import?phone_column=mobile',
      'mobile,name\n+5491160000009,x\n',
      CSV,
    );
    expect(mapped.status).toBe(202);
    expect((await finished(mapped.json.id)).json.created).toBe(1);
    const empty = await h.api('POST', '/v1/contacts/import', '', CSV);
    expect(empty.status).toBe(422);
    expect(empty.json.error.message).toBe(
      'The file is empty (0 bytes): a CSV needs at least a header row naming its columns',
    );
    const big = await h.api(
      'POST',
      '/v1/contacts/import',
      `phone\n${'+5491169990001\n'.repeat(15_000)}`,
      CSV,
    );
    expect(big.status).toBe(413);
    expectDocumented(doc, 'post /v1/contacts/import', big);
    expect(big.json.error).toMatchObject({
      code: 'BODY_TOO_LARGE',
      message: `The CSV is larger than the import limit of 195.31 KiB (${LIMIT} bytes)`,
    });
    const json = await h.api('POST', '/v1/contacts/import', { phone: '+5491169990001' });
    expect(json.status).toBe(415);
    expect(json.json.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const badMap = await h.api('POST', '/v1/contacts/import?map=oops', 'phone\n', CSV);
    expect(badMap.status).toBe(400);
    expect(badMap.json.error.message).toBe('map "oops" is not column=attribute');
    const missing = await h.api('GET', '/v1/imports/imp_nope');
    expect(missing.status).toBe(404);
    expectDocumented(doc, 'get /v1/imports/{id}', missing);
    expect(missing.json.error.code).toBe('IMPORT_NOT_FOUND');
    // Nothing of the refused files was written.
    const written = await h.store.db
      .selectFrom('contacts')
      .select('wa_id')
      .where('wa_id', '=', '5491169990001')
      .execute();
    expect(written).toEqual([]);
  });

  it('needs a sender key to import, a viewer key to read', async () => {
    const viewer = (await h.app.apiKeys.create('viewer', 'viewer')).key;
    const post = await request(`${h.url}/v1/contacts/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${viewer}`, 'content-type': 'text/csv' },
      body: 'phone\n+5491160000002\n',
    });
    expect(post.statusCode).toBe(403);
    await post.body.dump();
  });
});
