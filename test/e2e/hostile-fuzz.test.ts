/**
 * Generated hostile input, end to end over real HTTP, on both databases (fast-check). Thousands
 * of API bodies, paths, query strings, headers and signed Meta webhooks, each one checked:
 *  - no answer is a 5xx, and the server still answers /healthz after every batch;
 *  - every error answer is in the documented shape {"error": {"code", "message", ...}};
 *  - nothing is stored from a refused request (no message row after a 4xx send, no endpoint
 *    after a refused subscription, no inbox row for a refused webhook body);
 *  - every webhook answered 200 is applied once the processor has drained: none parked or failed.
 * A failure prints fast-check's seed and the shrunk input; rerun with that seed to reproduce.
 * The run counts keep the file well under 40 s per database on a busy 2-core machine.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import fc from 'fast-check';
import { type Dispatcher, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { SANDBOX_ACCOUNT } from '../../src/embedded-sandbox';
import { EMILIA, type Harness, REMINDER, startHarness } from '../support/harness';
import { messagesValue, metaEnvelope, metaSignature } from '../support/meta-webhooks';
import { DIALECTS } from '../support/stores';

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** C0 controls: refused by the API's input guard; Meta's webhooks carry them as they are. */
const CONTROLS = ['\u0000', '\u0000', '\u0001', '\u0008', '\u001b', '\u001f'];
/** Other characters that have broken parsers, databases and loggers before (space-separated). */
const SPECIALS = [
  ' ',
  ...'\u007f \u0085 \u00a0 \u200b \u200d \u202e \u2028 \ufeff \uffff \ufffd \ud800 \udfff \ud83d\ude00 \u{10ffff} é ı ß'.split(
    ' ',
  ),
  ...'% %00 " \' \\ / .. {{1}} {{ }} $ <script> & \r\n \t __proto__ constructor'.split(' '),
];

const unitOf = (controls: number) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    { weight: 2, arbitrary: fc.constantFrom(...SPECIALS) },
    { weight: controls, arbitrary: fc.constantFrom(...CONTROLS) },
  );
const metaUnit = unitOf(2);

/** Short strings of anything, now and then a long one. */
const stringsOf = (unit: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 30, arbitrary: fc.string({ unit, maxLength: 24 }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('x', 'é', '\u0000', '😀', '{{1}}'), fc.integer({ min: 100, max: 5_000 }))
        .map(([c, n]) => c.repeat(n)),
    },
  );
/** Strings in Meta's content: anything, NUL and lone surrogates included. */
const metaString = stringsOf(metaUnit);
/** Strings in API bodies: mostly without C0 controls (refused before anything else is looked at). */
const apiString = fc.oneof(
  { weight: 12, arbitrary: stringsOf(unitOf(0)) },
  { weight: 1, arbitrary: metaString },
);

const ODD_VALUES: Json[] = [
  0,
  -1,
  1.5,
  2 ** 53 + 2,
  -(2 ** 63),
  1e308,
  -1e-308,
  true,
  false,
  null,
  [],
  {},
  '',
];
const valuesOf = (unit: fc.Arbitrary<string>, string: fc.Arbitrary<string>): fc.Arbitrary<Json> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3, stringUnit: unit }) as fc.Arbitrary<Json> },
    { weight: 2, arbitrary: string },
    { weight: 1, arbitrary: fc.constantFrom(...ODD_VALUES) },
  );
const metaValue = valuesOf(metaUnit, metaString);
const apiValue = valuesOf(unitOf(0), apiString);

/** A good value most of the time, a value of any type now and then. */
const orWrongWith =
  (wrong: fc.Arbitrary<Json>) =>
  <T extends Json>(good: fc.Arbitrary<T>): fc.Arbitrary<Json> =>
    fc.oneof({ weight: 12, arbitrary: good as fc.Arbitrary<Json> }, { weight: 1, arbitrary: wrong });
const apiOr = orWrongWith(apiValue);
const metaOr = orWrongWith(metaValue);

/**
 * Some edits of a valid document at random places: a string for a string, any value for any
 * value, a key deleted or added, a value wrapped in an array or object, an element duplicated.
 */
interface Mutation {
  at: number;
  kind: 'string' | 'replace' | 'delete' | 'add' | 'wrap' | 'dup';
  key: string;
  string: string;
  value: Json;
}
const mutationOf = (string: fc.Arbitrary<string>, value: fc.Arbitrary<Json>): fc.Arbitrary<Mutation> =>
  fc.record({
    at: fc.nat(),
    kind: fc.constantFrom('string', 'string', 'string', 'replace', 'delete', 'add', 'wrap', 'dup'),
    key: string,
    string,
    value,
  });

function allPaths(v: Json, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []) {
  out.push(prefix);
  if (Array.isArray(v)) for (let i = 0; i < v.length; i++) allPaths(v[i]!, [...prefix, i], out);
  else if (v !== null && typeof v === 'object')
    for (const [k, c] of Object.entries(v)) allPaths(c, [...prefix, k], out);
  return out;
}

function applyMutations(base: Json, ms: Mutation[]): Json {
  let root = structuredClone(base);
  for (const m of ms) {
    const paths = allPaths(root);
    const path = paths[m.at % paths.length]!;
    const parent = path.slice(0, -1).reduce<any>((v, k) => v[k], root);
    const key = path.at(-1);
    const current: Json = key === undefined ? root : parent[key];
    let next: Json | undefined = current;
    if (m.kind === 'string') next = typeof current === 'string' ? m.string : current;
    else if (m.kind === 'replace') next = m.value;
    else if (m.kind === 'delete') next = undefined;
    else if (m.kind === 'wrap') next = m.at % 2 ? [current] : { [m.key]: current };
    else if (Array.isArray(current)) {
      if (m.kind === 'dup' && current.length) current.push(structuredClone(current[m.at % current.length]!));
      else current.push(m.value);
    } else if (current !== null && typeof current === 'object') current[m.key] = m.value;
    else next = m.value;
    if (key === undefined) root = next ?? null;
    else if (next === undefined) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    } else parent[key] = next;
  }
  return root;
}

const mutatedWith = (m: fc.Arbitrary<Mutation>) => (base: Json) =>
  fc.array(m, { maxLength: 3 }).map((ms) => applyMutations(base, ms));
const apiMutated = mutatedWith(mutationOf(apiString, apiValue));
const metaMutated = mutatedWith(mutationOf(metaString, metaValue));

/** JSON text nested `depth` deep (written by hand: JSON.stringify recurses). */
const deepText = (depth: number, open: '[' | '{"a":' = '[') =>
  `${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`;

/** JSON text whose `"__DEEP__"` string is replaced by a structure nested 1,000–60,000 deep. */
const withDeepNesting = (text: fc.Arbitrary<string>) =>
  fc
    .tuple(text, fc.integer({ min: 1_000, max: 60_000 }), fc.constantFrom<'[' | '{"a":'>('[', '{"a":'))
    .map(([t, depth, open]) => t.replace('"__DEEP__"', deepText(depth, open)));

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

interface Answer {
  status: number;
  text: string;
}

function describeInput(
  method: string,
  path: string,
  headers: Record<string, unknown>,
  body?: string | Buffer,
) {
  const b = body === undefined ? '' : String(body).slice(0, 400);
  return `${method} ${path.slice(0, 300)} ${JSON.stringify(headers).slice(0, 300)} ${JSON.stringify(b)}`;
}

/** What is wrong with an answer, if anything: a 5xx, or an error not in the documented shape. */
function problem(res: Answer): string | undefined {
  if (res.status >= 500) return `answered ${res.status}`;
  if (res.status < 400) return undefined;
  let json: any;
  try {
    json = JSON.parse(res.text);
  } catch {
    return `error answer ${res.status} is not JSON`;
  }
  const e = json?.error;
  if (typeof e?.code !== 'string' || !/^[A-Z][A-Z0-9_]+$/.test(e.code) || typeof e.message !== 'string')
    return `error answer ${res.status} is not {"error": {"code", "message"}}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------

const TEMPLATES_YAML = readFileSync(
  new URL('../../examples/saludcenter.templates.yaml', import.meta.url),
  'utf8',
);
const TEMPLATES_DOC = parseYaml(TEMPLATES_YAML) as Json;
const NOW_S = Math.floor(Date.now() / 1000);
const WA_IDS = ['5491155550001', '5491155550002', '5491155550003', EMILIA.waId];

describe.each(DIALECTS)('generated hostile input on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    // Refusals are the point here: no budget may turn them into 429s halfway through.
    h = await startHarness(dialect, {
      env: { RATE_LIMIT_PER_KEY: '0', RATE_LIMIT_PER_IP: '0', RATE_LIMIT_AUTH_FAILURES_PER_IP: '0' },
    });
  }, 60_000);
  afterAll(() => h?.close());

  // No crash: whatever the batch did, the server still answers.
  afterEach(async () => {
    const res = await request(`${h.url}/healthz`);
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ ok: true });
  });

  async function call(
    method: string,
    path: string,
    opts: { body?: string | Buffer; headers?: Record<string, string | string[]>; auth?: boolean } = {},
  ): Promise<Answer> {
    const headers: Record<string, string | string[]> = {
      ...(opts.auth === false ? {} : { authorization: `Bearer ${h.key}` }),
      ...opts.headers,
    };
    const input = describeInput(method, path, headers, opts.body);
    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${h.url}${path}`, {
        method: method as 'GET',
        headers,
        ...(opts.body === undefined ? {} : { body: opts.body }),
        headersTimeout: 20_000,
        bodyTimeout: 20_000,
      });
    } catch (err) {
      throw new Error(`no answer (${String(err)}) to ${input}`);
    }
    const answer = { status: res.statusCode, text: await res.body.text() };
    const p = problem(answer);
    if (p) throw new Error(`${p} to ${input}: ${answer.text.slice(0, 500)}`);
    return answer;
  }

  const count = async (table: 'messages' | 'event_endpoints' | 'webhook_inbox') =>
    Number(
      (
        await h.store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  // ---- paths and query strings on the GET routes ----

  /** One path segment: percent-encoded anything, raw URL characters, invalid escapes, long runs. */
  const segment = fc.oneof(
    {
      weight: 4,
      arbitrary: apiString.map((s) =>
        [...Buffer.from(s, 'utf8')]
          .map((b) =>
            /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b))
              ? String.fromCharCode(b)
              : `%${b.toString(16).padStart(2, '0')}`,
          )
          .join(''),
      ),
    },
    {
      weight: 2,
      arbitrary: fc.string({ unit: fc.constantFrom(..."azAZ09-._~!$&'()*+,;=:@é"), maxLength: 20 }),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '%00',
        '%ff',
        '%c3%28',
        '%ed%a0%80',
        '%',
        '%zz',
        '%2f',
        '%2e%2e',
        '%5c',
        '..',
        '.',
        '',
        'msg_',
        'ctc_x',
        'appointment_reminder',
        'es_AR',
        '+5491155551234',
        EMILIA.waId,
      ),
    },
    { weight: 1, arbitrary: fc.integer({ min: 60, max: 20_000 }).map((n) => 'x'.repeat(n)) },
  );
  const queryKey = fc.oneof(
    fc.constantFrom(
      'status',
      'to',
      'template',
      'account_id',
      'cursor',
      'limit',
      'hub.mode',
      'hub.verify_token',
      'hub.challenge',
      'status[]',
      '__proto__',
      'constructor[prototype]',
    ),
    segment,
  );
  const queryValue = fc.oneof(
    segment,
    fc.constantFrom(
      '-1',
      '0',
      '1e3',
      'NaN',
      '99999999999999999999999',
      '0x10',
      'queued,sent',
      'bogus',
      ',,,',
      'subscribe',
      SANDBOX_ACCOUNT.verifyToken,
      'read,failed,in_doubt',
    ),
  );
  const query = fc.oneof(
    { weight: 1, arbitrary: fc.constant('') },
    {
      weight: 4,
      arbitrary: fc
        .array(
          fc.oneof(
            fc.tuple(queryKey, queryValue).map(([k, v]) => `${k}=${v}`),
            queryKey,
          ),
          {
            minLength: 1,
            maxLength: 6,
          },
        )
        .map((pairs) => `?${pairs.join('&')}`),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('?', '?&&&', '?=', '?a=1&a=2&a=3', '?limit=1&limit=2', '?%00=%00'),
    },
  );
  const getPath = fc.oneof(
    fc.constantFrom(
      '/v1/messages',
      '/v1/templates',
      '/v1/webhook-endpoints',
      '/v1/api-keys',
      '/webhooks/whatsapp',
      '/healthz',
      '/readyz',
      '/v1/messages/',
      '//v1//messages',
    ),
    segment.map((s) => `/v1/messages/${s}`),
    segment.map((s) => `/v1/contacts/${s}/window`),
    fc.tuple(segment, segment).map(([a, b]) => `/v1/templates/${a}/${b}`),
    segment.map((s) => `/v1/webhook-endpoints/${s}`),
    segment.map((s) => `/v1/${s}`),
    fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`),
  );

  it('paths and query strings on the GET routes: no 5xx, errors in shape', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        getPath,
        query,
        fc.oneof(fc.constant(true), fc.constant(true), fc.constant(false)),
        async (path, q, auth) => {
          await call('GET', `${path}${q}`, { auth });
        },
      ),
      { numRuns: 500 },
    );
  });

  /**
   * Bytes no HTTP client library sends (raw NUL, controls, spaces, Latin-1, bare CR or LF) in the
   * request target, written on a socket. The answer is a status line, never a 5xx, and an error
   * in the documented shape; or the server closes the connection after refusing a request line
   * so broken that it cannot answer (it must not hang).
   */
  function rawExchange(target: Buffer): Promise<{ status: number; body: string } | 'closed'> {
    const { hostname, port } = new URL(h.url);
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = connect(Number(port), hostname, () =>
        socket.write(
          Buffer.concat([
            Buffer.from('GET '),
            target,
            Buffer.from(
              ` HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.key}\r\nConnection: close\r\n\r\n`,
            ),
          ]),
        ),
      );
      socket.setTimeout(20_000, () => {
        socket.destroy();
        reject(new Error(`no answer within 20 s to ${JSON.stringify(target.toString('latin1'))}`));
      });
      socket.on('data', (c) => chunks.push(c));
      socket.on('error', () => {}); // the server may reset after answering
      socket.on('close', () => {
        const all = Buffer.concat(chunks).toString('utf8');
        if (all === '') return resolve('closed');
        const at = all.indexOf('\r\n\r\n');
        const head = all.slice(0, at);
        let body = all.slice(at + 4);
        if (/\r\ntransfer-encoding: chunked/i.test(head)) {
          let out = '';
          for (let rest = body; ; ) {
            const eol = rest.indexOf('\r\n');
            const size = Number.parseInt(rest.slice(0, eol), 16);
            if (!size) break;
            out += rest.slice(eol + 2, eol + 2 + size);
            rest = rest.slice(eol + 2 + size + 2);
          }
          body = out;
        }
        resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), body });
      });
    });
  }

  it('raw bytes in the request target, sent on a socket: no 5xx, errors in shape, no hang', {
    timeout: 120_000,
  }, async () => {
    const byte = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...Buffer.from('/v1/messages/contacts/window?=&%')) },
      { weight: 2, arbitrary: fc.integer({ min: 0x21, max: 0x7e }) },
      { weight: 1, arbitrary: fc.constantFrom(0x00, 0x01, 0x09, 0x0a, 0x0d, 0x20, 0x7f, 0x80, 0xc3, 0xff) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(byte, { maxLength: 60 }), async (bytes) => {
        const target = Buffer.from([0x2f, ...bytes]);
        const res = await rawExchange(target);
        if (res === 'closed') return;
        const input = JSON.stringify(target.toString('latin1'));
        expect(res.status, `no status line for ${input}`).toBeGreaterThanOrEqual(200);
        const p = problem({ status: res.status, text: res.body });
        if (p) throw new Error(`${p} to GET ${input}: ${res.body.slice(0, 300)}`);
      }),
      { numRuns: 150 },
    );
  });

  // ---- POST /v1/webhook-endpoints ----

  const endpointBody = fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .record(
          {
            url: apiOr(
              fc.oneof(
                fc.webUrl({ withQueryParameters: true, withFragments: true }),
                apiString.map((s) => `https://${s}`),
                fc.constantFrom(
                  'http://[::1',
                  'http://x:99999/',
                  'http://%00/',
                  'http://127.0.0.1:1/e',
                  'https://bot.example/\u0000',
                  'https://bot.example/%ff',
                  'http://0x7f.1/',
                  'javascript:alert(1)',
                  'https://user:pw@bot.example/',
                  'https://bot.example:0/',
                  `https://${'a'.repeat(300)}.example/`,
                ),
              ),
            ),
            events: apiOr(
              fc.array(
                fc.oneof(
                  fc.constantFrom(
                    '*',
                    'message.status',
                    'message.received',
                    'window.opened',
                    'message.reply',
                  ),
                  apiString,
                ),
                { maxLength: 5 },
              ),
            ),
          },
          { requiredKeys: ['url'] },
        )
        .map((b) => JSON.stringify(b)),
    },
    {
      weight: 2,
      arbitrary: apiMutated({ url: 'https://bot.example/events', events: ['*'] }).map((b) =>
        JSON.stringify(b),
      ),
    },
    { weight: 1, arbitrary: apiValue.map((b) => JSON.stringify(b)) },
    { weight: 1, arbitrary: fc.string({ unit: metaUnit, maxLength: 60 }) },
  );

  it('POST /v1/webhook-endpoints: no 5xx, errors in shape, nothing stored when refused', {
    timeout: 120_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(endpointBody, async (body) => {
        const before = await count('event_endpoints');
        const res = await call('POST', '/v1/webhook-endpoints', {
          body,
          headers: { 'content-type': 'application/json' },
        });
        const after = await count('event_endpoints');
        if (res.status === 201) {
          // Subscribed: removed at once, so no event is ever posted to a generated address.
          expect(after).toBe(before + 1);
          const { id } = JSON.parse(res.text);
          expect((await call('DELETE', `/v1/webhook-endpoints/${id}`)).status).toBe(204);
        } else {
          expect(res.status, res.text).toBeGreaterThanOrEqual(400);
          expect(after, `stored after ${res.status}: ${body.slice(0, 300)}`).toBe(before);
        }
      }),
      { numRuns: 400 },
    );
  });

  // ---- POST /v1/templates/diff (JSON and YAML text, or template objects) ----

  const templateLike = fc.record(
    {
      name: apiOr(
        fc.oneof(fc.constantFrom('appointment_reminder', 'resume_conversation', 'new_one'), apiString),
      ),
      language: apiOr(fc.oneof(fc.constantFrom('es_AR', 'en_US', 'pt_BR'), apiString)),
      category: apiOr(fc.oneof(fc.constantFrom('UTILITY', 'MARKETING', 'AUTHENTICATION'), apiString)),
      parameter_format: apiOr(fc.constantFrom('POSITIONAL', 'NAMED')),
      components: apiOr(
        fc.array(
          fc.record(
            {
              type: apiOr(fc.constantFrom('BODY', 'HEADER', 'FOOTER', 'BUTTONS', 'body')),
              format: apiOr(fc.constantFrom('TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION')),
              text: apiOr(
                fc
                  .array(
                    fc.oneof(apiString, fc.constantFrom('{{1}}', '{{2}}', '{{name}}', '{{ 1 }}', '{{}}')),
                    {
                      maxLength: 6,
                    },
                  )
                  .map((p) => p.join('')),
              ),
              buttons: apiOr(
                fc.array(
                  fc.record(
                    {
                      type: apiOr(fc.constantFrom('QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'COPY_CODE', 'OTP')),
                      text: apiOr(apiString),
                      url: apiOr(fc.oneof(fc.webUrl(), apiString)),
                    },
                    { requiredKeys: ['type'] },
                  ),
                  { maxLength: 4 },
                ),
              ),
              example: apiValue,
            },
            { requiredKeys: ['type'] },
          ),
          { maxLength: 4 },
        ),
      ),
    },
    { requiredKeys: ['name', 'language'] },
  );
  const templatesDoc: fc.Arbitrary<Json> = fc.oneof(
    { weight: 3, arbitrary: apiMutated(TEMPLATES_DOC) },
    { weight: 3, arbitrary: fc.array(templateLike, { maxLength: 4 }).map((templates) => ({ templates })) },
    { weight: 1, arbitrary: fc.array(templateLike, { maxLength: 3 }).map((data) => ({ data })) },
    { weight: 1, arbitrary: templateLike },
    { weight: 1, arbitrary: apiValue },
  );
  /** YAML that a serialiser would not write: anchors, aliases, tags, merges, documents, tabs. */
  const oddYaml = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          'templates:',
          '  - name: &n appointment_reminder',
          '  - *n',
          '  - <<: *n',
          '    language: es_AR',
          '---',
          '...',
          '!!binary aGVsbG8=',
          '!!js/function "x"',
          '!<tag:yaml.org,2002:str> 1',
          '\t- tab',
          '? complex key',
          ': value',
          '[[[[[[',
          '{a: {b: {c:',
          '%YAML 1.1',
          '%TAG ! tag:x,2000:',
          '&a [*a]',
          'key: |',
          '  block',
          'key: >-',
          "'unterminated",
          '"\\u0000"',
          '- 0o777',
          '- .nan',
          '- 1e999',
          '- ~',
        ),
        apiString,
      ),
      { maxLength: 12 },
    )
    .map((lines) => lines.join('\n'));
  const diffFile = fc.oneof(
    { weight: 3, arbitrary: templatesDoc.map((d) => toYaml(d)) },
    { weight: 2, arbitrary: templatesDoc.map((d) => JSON.stringify(d)) },
    { weight: 2, arbitrary: oddYaml },
    { weight: 1, arbitrary: fc.constant(TEMPLATES_YAML) },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 20_000 }).map((n) => `templates: ${'['.repeat(n)}`) },
  );
  const diffBody = fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .record(
          {
            file: diffFile,
            file_name: apiOr(
              fc.oneof(fc.constantFrom('t.yaml', 't.yml', 't.json', 't.txt', 'T.YAML'), apiString),
            ),
            format_hint: apiOr(fc.constantFrom('yaml', 'json')),
          },
          { requiredKeys: ['file'] },
        )
        .map((b) => JSON.stringify(b)),
    },
    {
      weight: 2,
      arbitrary: fc
        .record(
          {
            templates: apiOr(fc.array(fc.oneof(templateLike, apiValue), { maxLength: 4 })),
            file: diffFile,
          },
          { requiredKeys: [] },
        )
        .map((b) => JSON.stringify(b)),
    },
    { weight: 1, arbitrary: apiValue.map((b) => JSON.stringify(b)) },
  );

  it('POST /v1/templates/diff with JSON, YAML and objects: no 5xx, errors in shape', {
    timeout: 120_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(diffBody, async (body) => {
        await call('POST', '/v1/templates/diff', { body, headers: { 'content-type': 'application/json' } });
      }),
      { numRuns: 400 },
    );
  });

  // ---- signed webhooks ----

  const providerId = fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .string({ unit: fc.constantFrom(...'ABCDEF0123456789'), minLength: 1, maxLength: 12 })
        .map((s) => `wamid.${s}`),
    },
    { weight: 1, arbitrary: metaString },
  );
  const waId = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...WA_IDS) },
    { weight: 1, arbitrary: fc.integer({ min: 1e10, max: 1e13 - 1 }).map(String) },
    { weight: 1, arbitrary: metaString },
  );
  const timestamp = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: -90_000, max: 600 }).map((d) => String(NOW_S + d)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Json>(
        '0',
        '99999999999',
        '999999999999',
        '-1',
        '1e9',
        '',
        '1.5',
        0,
        2 ** 53,
        -5,
      ),
    },
    { weight: 1, arbitrary: metaValue },
  );
  const errorEntry = fc.record(
    {
      code: metaOr(fc.integer({ min: 0, max: 200_000 })),
      title: metaOr(metaString),
      message: metaOr(metaString),
      error_data: metaOr(fc.record({ details: metaOr(metaString) })),
    },
    { requiredKeys: ['code', 'title'] },
  );
  const contact = fc.record(
    {
      profile: metaOr(fc.record({ name: metaOr(metaString) })),
      wa_id: metaOr(waId),
      user_id: metaOr(metaString),
    },
    { requiredKeys: ['profile', 'wa_id'] },
  );
  const reply = fc.record(
    { id: metaOr(metaString), title: metaOr(metaString), description: metaOr(metaString) },
    { requiredKeys: ['id', 'title'] },
  );
  const inboundMessage = fc.record(
    {
      from: metaOr(waId),
      id: metaOr(providerId),
      timestamp,
      type: metaOr(fc.constantFrom('text', 'button', 'interactive', 'image', 'reaction', 'unsupported')),
      text: metaOr(fc.record({ body: metaOr(metaString) })),
      button: metaOr(
        fc.record({ text: metaOr(metaString), payload: metaOr(metaString) }, { requiredKeys: ['text'] }),
      ),
      interactive: metaOr(
        fc.record(
          {
            type: metaOr(fc.constantFrom('button_reply', 'list_reply', 'nfm_reply')),
            button_reply: metaOr(reply),
            list_reply: metaOr(reply),
          },
          { requiredKeys: ['type'] },
        ),
      ),
      context: metaOr(fc.record({ from: metaOr(waId), id: metaOr(providerId) }, { requiredKeys: [] })),
      from_user_id: metaOr(metaString),
      extra: metaValue,
    },
    { requiredKeys: ['from', 'id', 'timestamp', 'type'] },
  );
  const status = (ours: fc.Arbitrary<string>) =>
    fc.record(
      {
        id: metaOr(providerId),
        status: metaOr(
          fc.oneof(
            fc.constantFrom('sent', 'delivered', 'read', 'played', 'failed', 'deleted', 'warning'),
            metaString,
          ),
        ),
        timestamp,
        recipient_id: metaOr(waId),
        biz_opaque_callback_data: metaOr(fc.oneof(ours, metaString)),
        errors: metaOr(fc.array(errorEntry, { maxLength: 2 })),
        pricing: metaOr(
          fc.record(
            {
              billable: metaOr(fc.boolean()),
              pricing_model: metaOr(metaString),
              category: metaOr(metaString),
              type: metaOr(metaString),
            },
            { requiredKeys: [] },
          ),
        ),
        conversation: metaValue,
      },
      { requiredKeys: ['id', 'status', 'timestamp'] },
    );
  const templateId = fc.oneof(
    fc.integer({ min: 1 }),
    fc.bigInt({ min: 2n ** 53n, max: 10n ** 20n }).map(String),
    metaString,
  );
  const templateFields = {
    message_template_id: metaOr(templateId),
    message_template_name: metaOr(
      fc.oneof(fc.constantFrom('appointment_reminder', 'resume_conversation', 'unknown_one'), metaString),
    ),
    message_template_language: metaOr(fc.oneof(fc.constantFrom('es_AR', 'en_US'), metaString)),
  };
  const templateRequired = [
    'message_template_id',
    'message_template_name',
    'message_template_language',
  ] as const;

  function envelope(ours: fc.Arbitrary<string>): fc.Arbitrary<Json> {
    const messagesValue = fc.record(
      {
        messaging_product: metaOr(fc.constant('whatsapp')),
        metadata: metaOr(
          fc.record({
            display_phone_number: metaOr(metaString),
            phone_number_id: metaOr(
              fc.oneof(
                { weight: 5, arbitrary: fc.constant(SANDBOX_ACCOUNT.phoneNumberId) },
                { weight: 1, arbitrary: metaString },
              ),
            ),
          }),
        ),
        contacts: metaOr(fc.array(contact, { maxLength: 3 })),
        messages: metaOr(fc.array(inboundMessage, { maxLength: 4 })),
        statuses: metaOr(fc.array(status(ours), { maxLength: 4 })),
        errors: metaOr(fc.array(errorEntry, { maxLength: 2 })),
      },
      { requiredKeys: ['messaging_product', 'metadata'] },
    );
    const change = fc.oneof(
      { weight: 6, arbitrary: fc.record({ field: fc.constant('messages'), value: metaOr(messagesValue) }) },
      {
        weight: 1,
        arbitrary: fc.record({
          field: fc.constant('message_template_status_update'),
          value: metaOr(
            fc.record(
              {
                event: metaOr(
                  fc.oneof(
                    fc.constantFrom(
                      'APPROVED',
                      'REJECTED',
                      'PENDING',
                      'DISABLED',
                      'PAUSED',
                      'FLAGGED',
                      'REINSTATED',
                      'PENDING_DELETION',
                    ),
                    metaString,
                  ),
                ),
                ...templateFields,
                reason: metaOr(metaString),
                rejection_info: metaOr(
                  fc.record({ reason: metaOr(metaString), recommendation: metaOr(metaString) }),
                ),
                other_info: metaOr(fc.record({ title: metaOr(metaString), description: metaOr(metaString) })),
                disable_info: metaOr(fc.record({ disable_date: metaOr(fc.oneof(fc.integer(), metaString)) })),
              },
              { requiredKeys: ['event', ...templateRequired] },
            ),
          ),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          field: fc.constant('message_template_quality_update'),
          value: metaOr(
            fc.record(
              {
                ...templateFields,
                new_quality_score: metaOr(
                  fc.oneof(fc.constantFrom('GREEN', 'YELLOW', 'RED', 'UNKNOWN'), metaString),
                ),
                previous_quality_score: metaOr(metaString),
              },
              { requiredKeys: ['new_quality_score', ...templateRequired] },
            ),
          ),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          field: fc.constant('template_category_update'),
          value: metaOr(
            fc.record(
              {
                ...templateFields,
                new_category: metaOr(fc.oneof(fc.constantFrom('UTILITY', 'MARKETING'), metaString)),
                previous_category: metaOr(metaString),
              },
              { requiredKeys: ['new_category', ...templateRequired] },
            ),
          ),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          field: metaOr(fc.oneof(fc.constantFrom('account_update', 'user_preferences'), metaString)),
          value: metaValue,
        }),
      },
    );
    const entry = fc.record({
      id: metaOr(
        fc.oneof(
          { weight: 4, arbitrary: fc.constant(SANDBOX_ACCOUNT.wabaId) },
          { weight: 1, arbitrary: templateId },
        ),
      ),
      time: metaOr(fc.integer()),
      changes: metaOr(fc.array(change, { minLength: 1, maxLength: 3 })),
    });
    return fc.record({
      object: fc.oneof(
        { weight: 12, arbitrary: fc.constant('whatsapp_business_account') },
        { weight: 1, arbitrary: metaValue },
      ),
      entry: metaOr(fc.array(entry, { minLength: 1, maxLength: 3 })),
    });
  }

  /** A valid inbound text and a valid status, as Meta sends them: the bases the mutations edit. */
  const baseEnvelope = (ours: string): Json =>
    metaEnvelope(
      messagesValue({
        contacts: [{ profile: { name: 'Emilia' }, wa_id: WA_IDS[0]! }],
        messages: [
          {
            from: WA_IDS[0]!,
            id: 'wamid.BASE',
            timestamp: String(NOW_S),
            type: 'text',
            text: { body: 'hola' },
            extra: '__DEEP__',
          },
        ],
        statuses: [
          {
            id: 'wamid.OURS',
            status: 'delivered',
            timestamp: String(NOW_S),
            recipient_id: EMILIA.waId,
            biz_opaque_callback_data: ours,
          },
        ],
      }),
    ) as Json;

  const sign = (body: Buffer, secret?: string) => metaSignature(body, secret);

  type Signing =
    | 'good'
    | 'upper'
    | 'wrong_secret'
    | 'other_body'
    | 'missing'
    | 'sha1'
    | 'short'
    | 'twice_good_first'
    | 'twice_bad_first';
  const signing = fc.oneof(
    { weight: 12, arbitrary: fc.constant<Signing>('good') },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Signing>(
        'upper',
        'wrong_secret',
        'other_body',
        'missing',
        'sha1',
        'short',
        'twice_good_first',
        'twice_bad_first',
      ),
    },
  );
  const webhookContentType = fc.oneof(
    { weight: 6, arbitrary: fc.constant('application/json') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/json; charset=latin1',
        'multipart/form-data; boundary=x',
        '',
      ),
    },
  );

  function signatureHeaders(kind: Signing, body: Buffer): Record<string, string | string[]> {
    const good = sign(body);
    switch (kind) {
      case 'good':
        return { 'x-hub-signature-256': good };
      case 'upper':
        return { 'x-hub-signature-256': `sha256=${good.slice(7).toUpperCase()}` };
      case 'wrong_secret':
        return { 'x-hub-signature-256': sign(body, 'not-the-secret') };
      case 'other_body':
        return { 'x-hub-signature-256': sign(Buffer.concat([body, Buffer.from(' ')])) };
      case 'missing':
        return {};
      case 'sha1':
        return {
          'x-hub-signature-256': `sha1=${createHmac('sha1', SANDBOX_ACCOUNT.appSecret).update(body).digest('hex')}`,
        };
      case 'short':
        return { 'x-hub-signature-256': good.slice(0, -1) };
      case 'twice_good_first':
        return { 'x-hub-signature-256': [good, sign(body, 'x')] };
      case 'twice_bad_first':
        return { 'x-hub-signature-256': [sign(body, 'x'), good] };
    }
  }

  /** Posts one webhook; checks that a refused body left no inbox row, an accepted one exactly one. */
  async function postWebhook(text: string | Buffer, kind: Signing, contentType: string): Promise<Answer> {
    const body = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
    // The inbox stores the body as UTF-8 text; other processes (Meta's stand-in delivering
    // statuses) may add rows meanwhile, so rows are counted by body.
    const stored = body.toString('utf8');
    // PostgreSQL text cannot even be compared with a NUL byte: such a row cannot exist there.
    const unstorable = dialect === 'postgres' && stored.includes('\u0000');
    const rows = async () =>
      unstorable
        ? 0
        : Number(
            (
              await h.store.db
                .selectFrom('webhook_inbox')
                .select((eb) => eb.fn.countAll().as('n'))
                .where('body', '=', stored)
                .executeTakeFirstOrThrow()
            ).n,
          );
    const before = await rows();
    const res = await call('POST', '/webhooks/whatsapp', {
      auth: false,
      body,
      headers: { ...signatureHeaders(kind, body), ...(contentType ? { 'content-type': contentType } : {}) },
    });
    const after = await rows();
    const input = `${kind} ${JSON.stringify(stored.slice(0, 600))}`;
    if (res.status === 200) expect(after, `not stored once though acknowledged: ${input}`).toBe(before + 1);
    else {
      expect(res.status, `${res.text} for ${input}`).toBeGreaterThanOrEqual(400);
      expect(after, `stored though refused (${res.status}): ${input}`).toBe(before);
    }
    if (kind !== 'good' && kind !== 'upper' && kind !== 'twice_good_first') {
      expect(res.status, `accepted with signature ${kind}: ${input}`).not.toBe(200);
    }
    return res;
  }

  /** Every acknowledged body applied: drained, and no row pending, retried or parked. */
  async function expectAllApplied(): Promise<void> {
    await h.app.ingest.drain();
    const bad = await h.store.db
      .selectFrom('webhook_inbox')
      .select(['id', 'status', 'attempts', 'error', 'body'])
      .where((eb) => eb.or([eb('status', '!=', 'processed'), eb('attempts', '>', 0)]))
      .execute();
    expect(
      bad.map((r) => ({ ...r, body: r.body.slice(0, 600) })),
      'acknowledged webhooks not applied',
    ).toEqual([]);
  }

  /** A few real messages, so that statuses can name them (biz_opaque_callback_data). */
  const ours: string[] = [];
  async function ourMessages(): Promise<fc.Arbitrary<string>> {
    while (ours.length < 3) {
      const res = await h.api('POST', '/v1/messages', { ...REMINDER, metadata: { i: ours.length } });
      expect(res.status).toBe(202);
      ours.push(res.json.id);
    }
    return fc.constantFrom(...ours);
  }

  it('signed Meta-shaped webhooks of anything: no 5xx, errors in shape, refused ones not stored, accepted ones applied', {
    timeout: 120_000,
  }, async () => {
    const oursArb = await ourMessages();
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 6, arbitrary: envelope(oursArb).map((e) => JSON.stringify(e)) },
          {
            weight: 3,
            arbitrary: oursArb
              .chain((o) => metaMutated(baseEnvelope(o)))
              .map((e) => JSON.stringify(e).replace('"__DEEP__"', '1')),
          },
          {
            weight: 1,
            arbitrary: withDeepNesting(
              oursArb.chain((o) => metaMutated(baseEnvelope(o))).map((e) => JSON.stringify(e)),
            ),
          },
          { weight: 1, arbitrary: fc.string({ unit: metaUnit, maxLength: 80 }) },
          { weight: 1, arbitrary: fc.uint8Array({ maxLength: 80 }).map((a) => Buffer.from(a)) },
          { weight: 1, arbitrary: metaValue.map((v) => JSON.stringify(v)) },
        ),
        signing,
        webhookContentType,
        async (body, kind, contentType) => {
          const res = await postWebhook(body, kind, contentType);
          if (res.status === 200) accepted++;
        },
      ),
      { numRuns: 600 },
    );
    await expectAllApplied();
    // The generators reach the processor, not only the parser's refusals.
    expect(accepted).toBeGreaterThan(50);
  });

  it('signed webhooks with huge arrays: applied, never a 5xx', { timeout: 120_000 }, async () => {
    const oursArb = await ourMessages();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 500, max: 6_000 }),
        fc.constantFrom('messages', 'statuses', 'contacts', 'entry', 'changes'),
        oursArb,
        async (n, what, o) => {
          const base = baseEnvelope(o) as any;
          const value = base.entry[0].changes[0].value;
          const list = Array.from({ length: n }, (_, i) => i);
          if (what === 'messages')
            value.messages = list.map((i) => ({
              ...value.messages[0],
              id: `wamid.HUGE-${n}-${i}`,
              from: WA_IDS[i % WA_IDS.length],
              extra: i,
            }));
          else if (what === 'statuses') value.statuses = list.map(() => value.statuses[0]);
          else if (what === 'contacts')
            value.contacts = list.map((i) => ({ profile: { name: `n${i}` }, wa_id: String(i) }));
          else if (what === 'entry')
            base.entry = list.map(() => ({ id: 'x', changes: [{ field: 'account_update', value: {} }] }));
          else base.entry[0].changes = list.map(() => ({ field: 'account_update', value: { i: [1, 2, 3] } }));
          const text = JSON.stringify(base).replace('"__DEEP__"', 'null');
          const res = await postWebhook(text, 'good', 'application/json');
          // Valid bodies under Meta's 3 MB: all acknowledged, then all applied.
          expect(res.status, `${what} × ${n}`).toBe(200);
        },
      ),
      { numRuns: 10 },
    );
    await expectAllApplied();
  });

  // ---- headers ----

  /** Header values undici will send: visible ASCII, space, tab and Latin-1. */
  const headerChars = fc.string({
    unit: fc.oneof(
      {
        weight: 8,
        arbitrary: fc
          .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 })
          .filter((c) => c >= ' ' && c <= '~'),
      },
      { weight: 1, arbitrary: fc.constantFrom('\t', 'é', '\u00ff', '\u0080') },
    ),
    maxLength: 40,
  });
  const headerValue = fc.oneof(
    { weight: 20, arbitrary: headerChars },
    { weight: 1, arbitrary: fc.integer({ min: 200, max: 4_000 }).map((n) => 'a'.repeat(n)) },
  );
  const contentType = fc.oneof(
    fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'APPLICATION/JSON',
      'application/json;;;',
      'application/jsonx',
      'application/vnd.api+json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=----x',
      'text/plain',
      'text/yaml',
      'application/xml',
      '*/*',
      '',
    ),
    headerValue,
  );
  const authorization = fc.oneof(
    fc.constantFrom(
      'good',
      'none',
      'Bearer ',
      'Bearer',
      'bearer GOOD',
      'Basic dXNlcjpwdw==',
      'Bearer rk_nope',
      'Bearer GOOD GOOD',
      'Bearer  GOOD',
      'GOOD',
      'Bearer GOODx',
    ),
    headerValue.map((v) => `Bearer ${v}`),
    headerValue,
  );
  const routes = fc.constantFrom(
    ['POST', '/v1/messages'],
    ['POST', '/v1/webhook-endpoints'],
    ['POST', '/v1/templates/diff'],
    ['POST', '/v1/templates/preview'],
    ['GET', '/v1/messages'],
    ['GET', '/v1/templates'],
    ['POST', '/webhooks/whatsapp'],
    ['DELETE', '/v1/webhook-endpoints/ep_nope'],
  );
  const bodyFor = (path: string) => {
    if (path === '/v1/messages') return JSON.stringify({ ...REMINDER, to: '+5491100001111' });
    if (path === '/v1/webhook-endpoints') return JSON.stringify({ url: 'not a url' });
    if (path === '/v1/templates/diff') return JSON.stringify({ file: TEMPLATES_YAML, file_name: 't.yaml' });
    if (path === '/v1/templates/preview')
      return JSON.stringify({ name: 'appointment_reminder', language: 'es_AR' });
    return JSON.stringify(baseEnvelope('msg_x')).replace('"__DEEP__"', '1');
  };

  it('odd content types, huge values and bad Authorization headers: no 5xx, errors in shape', {
    timeout: 120_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        routes,
        authorization,
        fc.option(contentType, { nil: undefined }),
        fc.record(
          {
            accept: headerValue,
            'idempotency-key': headerValue,
            'content-encoding': fc.oneof(
              fc.constantFrom('gzip', 'br', 'deflate', 'identity', 'x'),
              headerValue,
            ),
            'x-hub-signature-256': headerValue,
            'x-request-id': headerValue,
            'x-forwarded-for': headerValue,
            'accept-charset': headerValue,
            cookie: headerValue,
            'x-odd': headerValue,
          },
          { requiredKeys: [] },
        ),
        fc.boolean(),
        // Now and then one header far over the 16 KB limit, or just under it.
        fc.oneof(
          { weight: 6, arbitrary: fc.constant(undefined) },
          {
            weight: 1,
            arbitrary: fc.tuple(
              fc.constantFrom('authorization', 'content-type', 'x-odd', 'cookie'),
              fc.integer({ min: 8_000, max: 40_000 }),
            ),
          },
        ),
        async ([method, path], auth, type, extra, withBody, huge) => {
          const headers: Record<string, string> = { ...extra };
          if (type !== undefined) headers['content-type'] = type;
          if (auth !== 'none')
            headers.authorization = auth === 'good' ? `Bearer ${h.key}` : auth.replaceAll('GOOD', h.key);
          if (huge) headers[huge[0]] = 'a'.repeat(huge[1]);
          const before = await count('messages');
          const res = await call(method!, path!, {
            auth: false,
            headers,
            ...(withBody && method !== 'GET' ? { body: bodyFor(path!) } : {}),
          });
          const after = await count('messages');
          expect(after, `messages stored by a ${res.status}`).toBe(
            before + (res.status === 202 && path === '/v1/messages' ? 1 : 0),
          );
        },
      ),
      { numRuns: 400 },
    );
  });

  // ---- POST /v1/messages ----

  const mediaLink = fc.oneof(
    fc.webUrl(),
    apiString,
    fc.constantFrom('https://cdn.example/a.jpg', 'http://127.0.0.1/x', 'ftp://x/y'),
  );
  const sendBases: Json[] = [
    REMINDER as unknown as Json,
    {
      to: EMILIA.phone,
      template: {
        name: 'resume_conversation',
        language: 'es_AR',
        body: { first_name: 'Emilia', topic: 'tu turno' },
      },
    },
    {
      to: EMILIA.phone,
      template: {
        name: 'taxi_discount',
        language: 'es_AR',
        header: { image: { link: 'https://cdn.example/taxi.jpg' } },
        body: ['Emilia', '10%'],
      },
    },
    { to: EMILIA.phone, text: { body: 'hola' } },
    { to: EMILIA.phone, interactive: { body: '¿Seguimos?', buttons: [{ id: 'yes', title: 'Sí' }] } },
  ];
  const structuredSend = fc
    .record(
      {
        to: apiOr(
          fc.oneof(
            fc.constantFrom(
              EMILIA.phone,
              '+5491155550001',
              '+1 650 555 1234',
              '+00',
              '+999999999999999999',
              '011541155551234',
            ),
            apiString,
          ),
        ),
        account_id: apiOr(apiString),
        template: apiOr(
          fc.record(
            {
              name: apiOr(
                fc.oneof(
                  fc.constantFrom('appointment_reminder', 'resume_conversation', 'taxi_discount', 'nope'),
                  apiString,
                ),
              ),
              language: apiOr(fc.oneof(fc.constantFrom('es_AR', 'en_US', 'es'), apiString)),
              header: apiOr(
                fc.record(
                  {
                    text: apiOr(apiString),
                    image: apiOr(
                      fc.record({ link: apiOr(mediaLink), id: apiOr(apiString) }, { requiredKeys: [] }),
                    ),
                  },
                  { requiredKeys: [] },
                ),
              ),
              body: apiOr(
                fc.oneof(
                  fc.array(apiOr(apiString), { maxLength: 5 }),
                  fc.dictionary(apiString, apiOr(apiString), { maxKeys: 4 }),
                ),
              ),
              buttons: apiOr(
                fc.array(
                  fc.option(
                    fc.record(
                      {
                        payload: apiOr(apiString),
                        url_suffix: apiOr(apiString),
                        coupon_code: apiOr(apiString),
                      },
                      { requiredKeys: [] },
                    ),
                    { nil: null },
                  ),
                  { maxLength: 12 },
                ),
              ),
            },
            { requiredKeys: ['name', 'language'] },
          ),
        ),
        text: apiOr(
          fc.record({ body: apiOr(apiString), preview_url: apiOr(fc.boolean()) }, { requiredKeys: ['body'] }),
        ),
        reply_to: apiOr(apiString),
        metadata: apiOr(fc.dictionary(apiString, apiValue, { maxKeys: 6 })),
      },
      { requiredKeys: ['to'] },
    )
    .map((b) => JSON.stringify(b));
  const sendBody = fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .constantFrom(...sendBases)
        .chain(apiMutated)
        .map((b) => JSON.stringify(b)),
    },
    { weight: 4, arbitrary: structuredSend },
    { weight: 1, arbitrary: apiValue.map((b) => JSON.stringify(b)) },
    { weight: 1, arbitrary: fc.string({ unit: metaUnit, maxLength: 80 }) },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 20, max: 20_000 })
        .map((n) =>
          JSON.stringify({ ...REMINDER, metadata: { x: '__DEEP__' } }).replace('"__DEEP__"', deepText(n)),
        ),
    },
  );

  it('POST /v1/messages with generated bodies: no 5xx, errors in shape, nothing stored after a 4xx', {
    timeout: 120_000,
  }, async () => {
    let queued = 0;
    await fc.assert(
      fc.asyncProperty(sendBody, fc.option(headerChars, { nil: undefined }), async (body, idempotencyKey) => {
        const before = await count('messages');
        const res = await call('POST', '/v1/messages', {
          body,
          headers: {
            'content-type': 'application/json',
            ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
          },
        });
        const after = await count('messages');
        if (res.status === 202) queued++;
        expect(after, `${res.status} ${res.text.slice(0, 300)} for ${body.slice(0, 300)}`).toBe(
          before + (res.status === 202 ? 1 : 0),
        );
      }),
      { numRuns: 600 },
    );
    // Some generated sends are valid, so the path past validation is exercised too.
    expect(queued).toBeGreaterThan(10);
  });
});
