/**
 * Template management, Graph style (reference §3.1): list with fields, filters and cursor
 * paging; create; read and edit one template by id; delete by name (optionally one hsm_id);
 * unpause. Also answers GET on a phone-number id or WABA id with a few fields.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { paramError, templateError, unknownObjectError } from './errors';
import { checkVersion, requireToken } from './graph';
import type { AccountState, SandboxState, StoredTemplate } from './state';
import type { TemplateManager } from './template-manager';
import { parseCategory, parseComponents, parseTemplateInput, type TemplateInput } from './template-review';

export interface TemplatesRouteDeps {
  state: SandboxState;
  manager: TemplateManager;
}

type Query = Record<string, unknown>;
type Obj = Record<string, unknown>;

const TEMPLATE_FIELDS = new Set([
  'id',
  'name',
  'status',
  'category',
  'language',
  'components',
  'parameter_format',
  'quality_score',
  'rejected_reason',
  'previous_category',
  'correct_category',
  'message_send_ttl_seconds',
  // Real fields the sandbox keeps no value for: accepted, never returned.
  'sub_category',
  'library_template_name',
  'cta_url_link_tracking_opted_out',
]);
const DEFAULT_FIELDS = ['name', 'parameter_format', 'components', 'language', 'status', 'category', 'id'];
const MAX_LIMIT = 1000;

function str(v: unknown): string | undefined {
  if (Array.isArray(v)) return str(v[0]);
  return typeof v === 'string' ? v : undefined;
}

/** Top-level names of a Graph `fields` list (`components{type,text}` → `components`). */
function parseFields(raw: unknown): string[] {
  const s = str(raw);
  if (!s) return DEFAULT_FIELDS;
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '{') depth++;
    else if (ch === '}') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    if (depth === 0 && ch !== '}') cur += ch;
  }
  out.push(cur);
  const fields = out.map((f) => f.replace(/\.limit\(\d+\)/, '').trim()).filter(Boolean);
  for (const f of fields) {
    if (!TEMPLATE_FIELDS.has(f)) {
      throw paramError(`Tried accessing nonexisting field (${f}) on node type (WhatsAppMessageTemplate)`);
    }
  }
  if (!fields.includes('id')) fields.push('id');
  return fields;
}

function fieldValue(t: StoredTemplate, f: string): unknown {
  switch (f) {
    case 'id':
      return t.id;
    case 'name':
      return t.name;
    case 'status':
      return t.status;
    case 'category':
      return t.category;
    case 'language':
      return t.language;
    case 'components':
      return t.components;
    case 'parameter_format':
      return t.parameterFormat;
    case 'quality_score':
      return { score: t.qualityScore, date: Math.floor(t.createdAt / 1000) };
    case 'rejected_reason':
      return t.rejectedReason ?? 'NONE';
    case 'previous_category':
      return t.previousCategory ?? undefined;
    case 'message_send_ttl_seconds':
      return t.messageSendTtlSeconds ?? (t.category === 'AUTHENTICATION' ? 600 : 2_592_000);
    default:
      return undefined;
  }
}

function templateFields(t: StoredTemplate, fields: string[]): Obj {
  const o: Obj = {};
  for (const f of fields) {
    const v = fieldValue(t, f);
    if (v !== undefined) o[f] = v;
  }
  return o;
}

/** `A,B` or `["A","B"]`, as Graph accepts list parameters. */
function parseList(raw: unknown): string[] | null {
  const s = str(raw);
  if (s === undefined || s === '') return null;
  if (s.trim().startsWith('[')) {
    try {
      const arr = JSON.parse(s);
      if (Array.isArray(arr)) return arr.map(String);
    } catch {
      throw paramError(`Invalid list parameter: ${s}`);
    }
  }
  return s.split(',').map((x) => x.trim());
}

const encodeCursor = (id: string) => Buffer.from(id).toString('base64url');
function decodeCursor(c: string, which: string): number {
  const n = Number(Buffer.from(c, 'base64url').toString());
  if (!Number.isSafeInteger(n)) throw paramError(`Invalid ${which} cursor`);
  return n;
}

function bodyText(t: StoredTemplate): string {
  const b = t.components.find((c) => c.type === 'BODY');
  return b && b.type === 'BODY' ? b.text.toLowerCase() : '';
}

function filterTemplates(list: StoredTemplate[], q: Query): StoredTemplate[] {
  const name = str(q.name)?.toLowerCase();
  const content = str(q.content)?.toLowerCase();
  const nameOrContent = str(q.name_or_content)?.toLowerCase();
  const status = parseList(q.status)?.map((s) => s.toUpperCase());
  const category = parseList(q.category)?.map((s) => s.toUpperCase());
  const language = parseList(q.language);
  const quality = parseList(q.quality_score)?.map((s) => s.toUpperCase());
  return list.filter(
    (t) =>
      (!name || t.name.includes(name)) &&
      (!content || bodyText(t).includes(content)) &&
      (!nameOrContent || t.name.includes(nameOrContent) || bodyText(t).includes(nameOrContent)) &&
      (!status || status.includes(t.status)) &&
      (!category || category.includes(t.category)) &&
      (!language || language.includes(t.language)) &&
      (!quality || quality.includes(t.qualityScore)),
  );
}

function wabaAccess(
  state: SandboxState,
  req: FastifyRequest,
  wabaId: string,
  method: string,
): AccountState[] {
  const token = requireToken(state, req);
  const accounts = state.wabas.get(wabaId);
  if (!accounts?.some((a) => a.accessToken === token)) throw unknownObjectError(wabaId, method);
  return accounts;
}

function pageUrl(req: FastifyRequest, path: string, q: Query, set: Record<string, string>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (k === 'after' || k === 'before' || k in set) continue;
    const s = str(v);
    if (s !== undefined) params.set(k, s);
  }
  for (const [k, v] of Object.entries(set)) params.set(k, v);
  return `http://${req.headers.host ?? '127.0.0.1'}${path}?${params.toString()}`;
}

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function registerTemplateRoutes(app: FastifyInstance, d: TemplatesRouteDeps): void {
  const { state, manager } = d;

  app.get<{ Params: { version: string; wabaId: string }; Querystring: Query }>(
    '/:version/:wabaId/message_templates',
    (req) => {
      const { version, wabaId } = req.params;
      checkVersion(version, req.url);
      wabaAccess(state, req, wabaId, 'get');
      const q = req.query ?? {};
      const fields = parseFields(q.fields);
      const all = filterTemplates(state.listTemplates(wabaId), q);
      const limitRaw = str(q.limit);
      const limit = limitRaw === undefined ? 25 : Number(limitRaw);
      if (!Number.isInteger(limit) || limit < 1) throw paramError('Param limit must be a positive integer');
      const size = Math.min(limit, MAX_LIMIT);
      let start = 0;
      const after = str(q.after);
      const before = str(q.before);
      if (after) {
        const id = decodeCursor(after, 'after');
        start = all.findIndex((t) => Number(t.id) < id);
        if (start === -1) start = all.length;
      } else if (before) {
        const id = decodeCursor(before, 'before');
        let end = all.findIndex((t) => Number(t.id) <= id);
        if (end === -1) end = all.length;
        start = Math.max(0, end - size);
      }
      const page = all.slice(start, start + size);
      const out: Obj = { data: page.map((t) => templateFields(t, fields)) };
      const first = page[0];
      const last = page[page.length - 1];
      if (first && last) {
        const path = `/${version}/${wabaId}/message_templates`;
        const paging: Obj = { cursors: { before: encodeCursor(first.id), after: encodeCursor(last.id) } };
        if (start + size < all.length) {
          paging.next = pageUrl(req, path, q, { limit: String(size), after: encodeCursor(last.id) });
        }
        if (start > 0) {
          paging.previous = pageUrl(req, path, q, { limit: String(size), before: encodeCursor(first.id) });
        }
        out.paging = paging;
      }
      if (str(q.summary)) {
        const names = new Set(state.listTemplates(wabaId).map((t) => t.name));
        out.summary = {
          total_count: all.length,
          message_template_count: names.size,
          message_template_limit: 250,
        };
      }
      return out;
    },
  );

  app.post<{ Params: { version: string; wabaId: string } }>('/:version/:wabaId/message_templates', (req) => {
    const { version, wabaId } = req.params;
    checkVersion(version, req.url);
    wabaAccess(state, req, wabaId, 'post');
    const input = parseTemplateInput(req.body);
    const t = manager.create(wabaId, input);
    return { id: t.id, status: t.status, category: t.category };
  });

  app.delete<{ Params: { version: string; wabaId: string }; Querystring: Query }>(
    '/:version/:wabaId/message_templates',
    (req) => {
      const { version, wabaId } = req.params;
      checkVersion(version, req.url);
      wabaAccess(state, req, wabaId, 'delete');
      const q = { ...(isObj(req.body) ? req.body : {}), ...(req.query ?? {}) };
      const name = str(q.name);
      if (!name) throw paramError('The parameter name is required');
      const hsmId = str(q.hsm_id);
      const langs = state.templates.get(wabaId)?.get(name);
      const targets = [...(langs?.values() ?? [])].filter((t) => !hsmId || t.id === hsmId);
      if (targets.length === 0) {
        throw templateError(
          undefined,
          'Message template not found',
          hsmId ? `No template ${name} with id ${hsmId}.` : `No template named ${name}.`,
        );
      }
      for (const t of targets) manager.delete(t);
      return { success: true };
    },
  );

  app.get<{ Params: { version: string; nodeId: string }; Querystring: Query }>('/:version/:nodeId', (req) => {
    const { version, nodeId } = req.params;
    checkVersion(version, req.url);
    const token = requireToken(state, req);
    const q = req.query ?? {};
    const t = state.templatesById.get(nodeId);
    if (t) {
      if (!state.wabas.get(t.wabaId)?.some((a) => a.accessToken === token))
        throw unknownObjectError(nodeId, 'get');
      return templateFields(t, parseFields(q.fields));
    }
    const a = state.accounts.get(nodeId);
    if (a && a.accessToken === token) {
      return {
        verified_name: 'Recontact Sandbox',
        code_verification_status: 'VERIFIED',
        display_phone_number: a.displayPhoneNumber,
        quality_rating: 'GREEN',
        platform_type: 'CLOUD_API',
        throughput: { level: a.throughputMps === 0 || a.throughputMps > 80 ? 'HIGH' : 'STANDARD' },
        id: a.phoneNumberId,
      };
    }
    if (state.wabas.get(nodeId)?.some((x) => x.accessToken === token)) {
      return { id: nodeId, name: `Sandbox WABA ${nodeId}`, currency: 'USD', timezone_id: '1' };
    }
    throw unknownObjectError(nodeId, 'get');
  });

  app.post<{ Params: { version: string; nodeId: string } }>('/:version/:nodeId', (req) => {
    const { version, nodeId } = req.params;
    checkVersion(version, req.url);
    const token = requireToken(state, req);
    const t = state.templatesById.get(nodeId);
    if (!t || !state.wabas.get(t.wabaId)?.some((a) => a.accessToken === token)) {
      throw unknownObjectError(nodeId, 'post');
    }
    const body = isObj(req.body) ? req.body : {};
    for (const key of ['name', 'language'] as const) {
      if (body[key] !== undefined && body[key] !== t[key]) throw paramError(`Param ${key} cannot be edited`);
    }
    const changes: Partial<Pick<TemplateInput, 'components' | 'category' | 'message_send_ttl_seconds'>> = {};
    if (body.components !== undefined) changes.components = parseComponents(body.components);
    if (body.category !== undefined) changes.category = parseCategory(body.category);
    if (body.message_send_ttl_seconds !== undefined) {
      const ttl = Number(body.message_send_ttl_seconds);
      if (!Number.isInteger(ttl)) throw paramError('Param message_send_ttl_seconds must be an integer');
      changes.message_send_ttl_seconds = ttl;
    }
    if (Object.keys(changes).length === 0) {
      throw paramError('At least one of components, category or message_send_ttl_seconds is required');
    }
    manager.edit(t, changes);
    return { success: true };
  });

  app.post<{ Params: { version: string; nodeId: string } }>('/:version/:nodeId/unpause', (req) => {
    const { version, nodeId } = req.params;
    checkVersion(version, req.url);
    const token = requireToken(state, req);
    const t = state.templatesById.get(nodeId);
    if (!t || !state.wabas.get(t.wabaId)?.some((a) => a.accessToken === token)) {
      throw unknownObjectError(nodeId, 'post');
    }
    if (t.status !== 'PAUSED') {
      throw templateError(
        undefined,
        'Template is not paused',
        `Template ${t.name} is ${t.status}, not PAUSED.`,
      );
    }
    manager.setStatus(t, 'APPROVED');
    return { success: true };
  });
}
