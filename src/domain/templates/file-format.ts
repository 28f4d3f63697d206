/**
 * Template files, parsed without I/O. Three shapes are accepted, in YAML or JSON:
 *  - recontact:   our own `{ templates: [ … ] }` or a bare array, one entry per name + language;
 *  - meta-create: the body of Meta's POST /{waba-id}/message_templates (one template object);
 *  - meta-list:   a GET /{waba-id}/message_templates answer, `{ "data": [ … ], "paging": … }`.
 * Syntax errors throw RecontactError('TEMPLATE_INVALID') with the line and column. Entries are
 * NOT validated here: a malformed entry is passed through as written so that the linter
 * (lintTemplates) reports it as findings. Lint before trusting `templates`.
 */

import { Lexer, parseDocument } from 'yaml';
import { RecontactError } from '../errors';
import { isRecord } from '../input-words';
import { jsonDepthExceeded } from '../json-depth';
import type { TemplateDefinition } from './model';

export type TemplateFileSource = 'recontact' | 'meta-create' | 'meta-list';

/** Meta's review state for a template read from a listing (or a pulled file), kept aside. */
export interface TemplateMetaInfo {
  id?: string;
  status?: string;
  quality_score?: unknown;
  rejected_reason?: string;
  previous_category?: string;
  correct_category?: string;
}

export interface ParsedTemplate extends TemplateDefinition {
  /** Present when the entry carried Meta's review fields (id, status, quality_score…). */
  meta?: TemplateMetaInfo;
  /**
   * Recontact's own key: what replies mean (quick replies that opt out…), checked by
   * checkRouting (templates/routing.ts), stored in templates.routing, never sent to Meta.
   */
  routing?: unknown;
}

export interface ParsedTemplateFile {
  source: TemplateFileSource;
  /** As written, minus Meta's review fields: run lintTemplates before trusting the shape. */
  templates: ParsedTemplate[];
}

/** Fields of a GET listing that describe Meta's review, not the template: moved to `meta`. */
export const META_FIELDS = [
  'id',
  'status',
  'quality_score',
  'rejected_reason',
  'previous_category',
  'correct_category',
] as const;

function lineCol(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}

function invalid(
  fileName: string,
  message: string,
  hint: string,
  at?: { line: number; column: number },
  cause?: unknown,
): RecontactError {
  const where = at ? `${fileName}:${at.line}:${at.column}` : fileName;
  return new RecontactError('TEMPLATE_INVALID', `${where}: ${message}`, {
    details: [{ path: where, message }],
    hint,
    data: { file: fileName, ...(at ? { line: at.line, column: at.column } : {}) },
    cause,
  });
}

function looksLikeJson(text: string, fileName: string): boolean {
  if (/\.json$/i.test(fileName)) return true;
  if (/\.ya?ml$/i.test(fileName)) return false;
  return /^\s*[[{]/.test(text);
}

/**
 * Templates nest about 6 levels; far deeper text is refused before parsing, which would recurse
 * (or, for YAML flow collections, take seconds per hundred kilobytes).
 */
const MAX_FILE_DEPTH = 64;

function tooDeep(fileName: string, text: string, offset: number): RecontactError {
  return invalid(
    fileName,
    `the file nests lists and mappings more than ${MAX_FILE_DEPTH} levels deep`,
    'templates nest a few levels only; check for unbalanced [ or {',
    lineCol(text, offset),
  );
}

/** Where YAML flow collections ([ or {) open level MAX_FILE_DEPTH + 1, by the lexer's tokens. */
function yamlFlowDepthExceeded(text: string): number {
  let depth = 0;
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') {
      if (++depth > MAX_FILE_DEPTH) return offset;
    } else if (token === ']' || token === '}') depth--;
    offset += token.length;
  }
  return -1;
}

function parseJson(text: string, fileName: string): unknown {
  const deep = jsonDepthExceeded(text, MAX_FILE_DEPTH);
  if (deep >= 0) throw tooDeep(fileName, text, deep);
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const lc = /line (\d+) column (\d+)/.exec(msg);
    const pos = /position (\d+)/.exec(msg);
    const at = lc
      ? { line: Number(lc[1]), column: Number(lc[2]) }
      : pos
        ? lineCol(text, Number(pos[1]))
        : /end of JSON input/i.test(msg)
          ? lineCol(text, text.length)
          : undefined;
    throw invalid(
      fileName,
      `invalid JSON: ${msg.replace(/ in JSON at position \d+.*$/s, '')}`,
      `check for a missing or trailing comma, an unquoted key or an unclosed bracket${at ? ` near line ${at.line}` : ''}`,
      at,
      e,
    );
  }
}

function parseYaml(text: string, fileName: string): unknown {
  const deep = yamlFlowDepthExceeded(text);
  if (deep >= 0) throw tooDeep(fileName, text, deep);
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    const at = pos ? { line: pos.line, column: pos.col } : lineCol(text, err.pos[0]);
    const first = err.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? err.message;
    throw invalid(
      fileName,
      `invalid YAML: ${first}`,
      err.code === 'DUPLICATE_KEY'
        ? `a key appears twice in the same mapping near line ${at.line}`
        : /:\s*\{\{/.test(text.split('\n')[at.line - 1] ?? '')
          ? `quote the text on line ${at.line}: an unquoted value starting with {{ is read as a YAML mapping (text: "{{1}}, …")`
          : `YAML is indentation-sensitive: check the indentation near line ${at.line}, and quote texts that contain ": " or start with "{{", "*", "&" or "!"`,
      at,
      err,
    );
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // The yaml package refuses to expand aliases past maxAliasCount ("billion laughs").
    const alias = e instanceof Error && /alias/i.test(e.message);
    throw invalid(
      fileName,
      alias ? 'invalid YAML: aliases (*name) expand to too much data' : `invalid YAML: ${String(e)}`,
      alias
        ? 'write repeated parts out instead of nesting anchors (&name) and aliases (*name)'
        : 'simplify the file: it cannot be converted to data',
      undefined,
      e,
    );
  }
}

/** Moves Meta's review fields to `meta` and turns `language: { code }` into a string. */
function normaliseEntry(entry: unknown): ParsedTemplate {
  if (!isRecord(entry)) return entry as ParsedTemplate;
  const out: Record<string, unknown> = {};
  const meta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry)) {
    if ((META_FIELDS as readonly string[]).includes(k)) meta[k] = v;
    else out[k] = v;
  }
  if (isRecord(out.language) && typeof out.language.code === 'string') out.language = out.language.code;
  if (Object.keys(meta).length > 0) out.meta = meta;
  return out as unknown as ParsedTemplate;
}

const SHAPES_HINT =
  'a template file holds { templates: [ … ] }, a list of templates, one Meta create body ({ name, language, category, components }) or a Meta listing ({ "data": [ … ] })';

/**
 * Parses a template file's text. `fileName` picks the syntax (.json → JSON, .yaml/.yml → YAML,
 * otherwise JSON when the text starts with { or [) and names the file in errors.
 */
export function parseTemplateFile(text: string, fileName: string): ParsedTemplateFile {
  if (text.trim() === '') throw invalid(fileName, 'the file is empty', SHAPES_HINT);
  const data = looksLikeJson(text, fileName) ? parseJson(text, fileName) : parseYaml(text, fileName);

  if (Array.isArray(data)) return { source: 'recontact', templates: data.map(normaliseEntry) };
  if (!isRecord(data))
    throw invalid(
      fileName,
      `the file holds ${data === null ? 'nothing' : `a ${typeof data}`}, not templates`,
      SHAPES_HINT,
    );
  if ('templates' in data) {
    if (!Array.isArray(data.templates))
      throw invalid(
        fileName,
        'templates is not a list',
        'write templates: followed by a list of templates (- name: …)',
      );
    return { source: 'recontact', templates: data.templates.map(normaliseEntry) };
  }
  if ('data' in data) {
    if (!Array.isArray(data.data))
      throw invalid(
        fileName,
        'data is not a list',
        'a Meta listing is { "data": [ …templates… ], "paging": … }',
      );
    return { source: 'meta-list', templates: data.data.map(normaliseEntry) };
  }
  if ('name' in data || 'components' in data || 'language' in data || 'category' in data)
    return { source: 'meta-create', templates: [normaliseEntry(data)] };
  throw invalid(
    fileName,
    `no templates found (top-level keys: ${Object.keys(data).join(', ') || 'none'})`,
    SHAPES_HINT,
  );
}
