/**
 * Checks that apply to every API input, once, instead of in each route's schema:
 *  - control characters: NUL makes PostgreSQL refuse a text value (a 500 deep in a repository),
 *    and the other C0 controls have no business in ids, names, phone numbers or metadata;
 *  - JSON nesting depth, scanned on the raw text before JSON.parse, so a body of 100,000 opening
 *    brackets never reaches a recursive validator, serialiser or walker.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RecontactError } from '../domain/errors';
import { jsonDepthExceeded } from '../domain/json-depth';

/** Deep enough for every request body we take (a Meta template listing nests about 8 levels). */
export const MAX_JSON_DEPTH = 32;

/** C0 controls except tab, line feed and carriage return. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters refused
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

export interface ControlCharFinding {
  path: string;
  /** e.g. "U+0000" */
  char: string;
  index: number;
  /** Whether it is in an object key rather than a value. */
  inKey: boolean;
}

const unicodeName = (c: string) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
const keyPath = (base: string, k: string) =>
  /^[A-Za-z_$][\w$]*$/.test(k) ? `${base}.${k}` : `${base}[${JSON.stringify(k)}]`;

/** The first refused control character in any string of `value` (keys included), iteratively. */
export function findControlCharacter(value: unknown, root: string): ControlCharFinding | undefined {
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      const m = CONTROL.exec(v);
      if (m) return { path, char: unicodeName(m[0]), index: m.index, inKey: false };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}[${i}]`]);
    } else if (typeof v === 'object' && v !== null && !Buffer.isBuffer(v)) {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, child] = entries[i]!;
        const m = CONTROL.exec(k);
        if (m)
          return {
            path: keyPath(path, k.replace(CONTROL, '?')),
            char: unicodeName(m[0]),
            index: m.index,
            inKey: true,
          };
        stack.push([child, keyPath(path, k)]);
      }
    }
  }
  return undefined;
}

/** Throws INPUT_INVALID naming the field when params, query or the parsed body hold a control character. */
export function assertNoControlCharacters(req: Pick<FastifyRequest, 'params' | 'query' | 'body'>): void {
  for (const [part, value] of [
    ['params', req.params],
    ['query', req.query],
    ['body', req.body],
  ] as const) {
    const f = findControlCharacter(value, part);
    if (!f) continue;
    throw new RecontactError(
      'INPUT_INVALID',
      `${f.path} contains the control character ${f.char}${f.inKey ? ' in a key' : ` at position ${f.index}`}`,
      {
        details: [
          {
            path: f.path,
            message: `contains ${f.char}; control characters other than tab, line feed and carriage return are not accepted`,
          },
        ],
        hint: 'Remove the control character (often a stray NUL from C strings or a bad copy and paste).',
      },
    );
  }
}

/**
 * The API reads JSON only (text/plain is dropped, so it answers 415 rather than a confusing
 * schema error). The JSON parser first checks the nesting depth of the raw text, then parses
 * with Fastify's own, prototype-poisoning-safe, parser.
 */
export function installJsonParser(app: FastifyInstance, maxDepth = MAX_JSON_DEPTH): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    const at = jsonDepthExceeded(text, maxDepth);
    if (at >= 0) {
      done(
        new RecontactError(
          'PAYLOAD_TOO_DEEP',
          `The JSON body nests deeper than ${maxDepth} levels (at character ${at})`,
          {
            details: [{ path: 'body', message: `objects and arrays may nest at most ${maxDepth} levels` }],
            hint: 'Flatten the data; metadata in particular may nest at most 8 levels.',
          },
        ),
        undefined,
      );
      return;
    }
    parse(req, text, (err, value) => {
      // Fastify's parser keeps only "Body is not valid JSON": say where, and why.
      if ((err as { code?: string } | null)?.code === 'FST_ERR_CTP_INVALID_JSON_BODY')
        done(invalidJson(text), undefined);
      else done(err, value);
    });
  });
}

/** What is wrong with a body Fastify's parser refused: the syntax error and its position, or a poisoning key. */
function invalidJson(text: string): RecontactError {
  try {
    JSON.parse(text);
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).slice(0, 300);
    return new RecontactError('INPUT_INVALID', `The body is not valid JSON: ${why}`, {
      details: [{ path: 'body', message: why }],
      hint: 'Check quoting and commas; the body must be one JSON object.',
    });
  }
  // Valid JSON all the same: the parser refuses keys that could poison prototypes.
  return new RecontactError(
    'INPUT_INVALID',
    'The body has a "__proto__" or "constructor.prototype" key, which is refused',
    {
      details: [
        { path: 'body', message: 'keys named __proto__, or constructor holding prototype, are not accepted' },
      ],
      hint: "Rename the key; none of the API's fields has that name.",
    },
  );
}
