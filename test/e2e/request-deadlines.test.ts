/**
 * Request deadlines over real sockets: a JSON body that stalls is cut off with 408 after the
 * request timeout, while a CSV upload that keeps moving may take longer than that (its deadline
 * grows with its bytes) and one that stalls is cut off too, leaving no job and no spooled file.
 */
import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

const REQUEST_MS = 1_500;
// Each 4 KiB received buys a second: the upload below (≈ 80 KB in 20 slices) keeps well ahead of
// its deadline even when a busy machine delays the client between slices.
const MIN_UPLOAD_RATE = 4 * 1024;

describe.each(DIALECTS)('request deadlines (%s)', (dialect) => {
  let h: Harness;
  let host: string;
  let port: number;
  beforeAll(async () => {
    h = await startHarness(dialect, {
      app: {
        requestDeadlines: { requestMs: REQUEST_MS, minUploadBytesPerSecond: MIN_UPLOAD_RATE, checkMs: 50 },
      },
    });
    const u = new URL(h.url);
    host = u.hostname;
    port = Number(u.port);
  });
  afterAll(() => h.close());

  /** Opens a socket, sends the head, and collects everything the server answers until it closes. */
  function open(head: string): { socket: Socket; answer: Promise<string> } {
    const socket = connect({ host, port });
    socket.write(head);
    const answer = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d) => {
        text += d.toString();
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(text));
    });
    return { socket, answer };
  }

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  function status(answer: string): number {
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
  }

  function body(answer: string): any {
    return JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
  }

  it('answers 408 REQUEST_TIMEOUT to a JSON body that stops arriving', async () => {
    const started = Date.now();
    const { socket, answer } = open(
      `POST /v1/messages HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${h.key}\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n{"to":`,
    );
    const text = await answer;
    socket.destroy();
    expect(status(text)).toBe(408);
    expect(body(text).error.code).toBe('REQUEST_TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(REQUEST_MS);
  });

  it('lets an upload that keeps moving run past the request timeout, and imports it', async () => {
    const rows = 3_000;
    let csv = 'phone,name\n';
    for (let i = 0; i < rows; i++)
      csv += `+54 9 11 6${String(i).padStart(7, '0')},Paciente ${i}
`;
    const bytes = Buffer.from(csv);
    const { socket, answer } = open(
      `POST /v1/contacts/import?tag=slow HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${h.key}\r\ncontent-type: text/csv\r\ncontent-length: ${bytes.length}\r\nconnection: close\r\n\r\n`,
    );
    // About twice the request timeout, at several times the minimum rate.
    const slices = 20;
    const step = Math.ceil(bytes.length / slices);
    const started = Date.now();
    for (let i = 0; i < slices; i++) {
      socket.write(bytes.subarray(i * step, (i + 1) * step));
      await sleep((REQUEST_MS * 2) / slices);
    }
    const text = await answer;
    expect(Date.now() - started).toBeGreaterThan(REQUEST_MS);
    expect(status(text), text).toBe(202);
    const id = body(text).id as string;
    const done = await h.waitFor(`import ${id}`, async () => {
      const r = await h.api('GET', `/v1/imports/${id}`);
      return r.json.state !== 'running' && r;
    });
    expect(done.json).toMatchObject({ state: 'done', created: rows, rejected: 0 });
  });

  it('cuts off an upload that stalls, and keeps neither a job nor its bytes', async () => {
    const jobs = async () =>
      (await h.app.ctx.store.db.selectFrom('imports').select('id').execute()).map((r) => r.id);
    const before = await jobs();
    const { socket, answer } = open(
      `POST /v1/contacts/import HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${h.key}\r\ncontent-type: text/csv\r\ncontent-length: 100000\r\n\r\nphone,name\n+54 9 11 7999-0001,Stalled\n`,
    );
    const text = await answer;
    socket.destroy();
    expect(status(text)).toBe(408);
    expect(body(text).error.code).toBe('REQUEST_TIMEOUT');
    expect(await jobs()).toEqual(before);
    await h.waitFor('the partial upload removed', async () =>
      readdirSync(h.app.config.imports.spoolDir).every((f) => !f.endsWith('.csv')),
    );
  });
});
