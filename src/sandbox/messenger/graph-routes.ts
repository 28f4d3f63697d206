/**
 * The Graph endpoints of a page (reference §2.4, §3, §4.2), on the same paths as WhatsApp's
 * (`/{v}/{id}/messages`, `/{v}/{id}/message_templates`, `/{v}/{id}`): one hook, before the
 * WhatsApp handlers run, answers when the id is a page (or `me` with a page token), a PSID or a
 * page template, and lets everything else through untouched.
 *
 * Auth: the page access token, as `Authorization: Bearer`, `access_token` in the query, or in a
 * form body. None → 190; one that no page or number has → 190; another page's or a WhatsApp
 * token → 100/33 (Graph's "does not exist, cannot be loaded due to missing permissions").
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { MetaError } from '../errors';
import { accessToken, checkVersion } from '../graph';
import { param, tokenInvalid, tokenMissing, unknownObject } from './errors';
import { type SendApiDeps, sendMessage } from './send-api';
import type { MessengerState, PageState, PageTemplate } from './state';
import { parseTemplateInput } from './template-rules';
import type { PageTemplates } from './templates';

export interface GraphRoutesDeps extends SendApiDeps {
  templates: PageTemplates;
  /** Whether a token belongs to the WhatsApp side (so it is known, just not a page's). */
  whatsappToken: (token: string) => boolean;
}

type Obj = Record<string, unknown>;
type Answer = Obj | undefined;

const TEMPLATE_FIELDS = new Set([
  'id',
  'name',
  'language',
  'status',
  'category',
  'components',
  'parameter_format',
  'rejected_reason',
]);
const DEFAULT_FIELDS = ['name', 'parameter_format', 'components', 'language', 'status', 'category', 'id'];
const USER_FIELDS = new Set([
  'id',
  'first_name',
  'last_name',
  'name',
  'profile_pic',
  'locale',
  'timezone',
  'gender',
]);

function str(v: unknown): string | undefined {
  if (Array.isArray(v)) return str(v[0]);
  return typeof v === 'string' ? v : undefined;
}

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function tokenOf(req: FastifyRequest): string | null {
  const t = accessToken(req);
  if (t) return t;
  const b = req.body;
  return isObj(b) && typeof b.access_token === 'string' && b.access_token !== '' ? b.access_token : null;
}

export function registerGraphRoutes(app: FastifyInstance, d: GraphRoutesDeps): void {
  const { state } = d;

  /** The page `id` names, checked against the request's token; undefined: not a page. */
  const pageFor = (id: string, req: FastifyRequest): PageState | undefined => {
    const token = tokenOf(req);
    if (id === 'me') return token ? state.tokens.get(token) : undefined;
    const page = state.pages.get(id);
    if (!page) return undefined;
    if (!token) throw tokenMissing();
    if (token === page.token) return page;
    if (!state.tokens.has(token) && !d.whatsappToken(token)) throw tokenInvalid();
    throw unknownObject(id, req.method);
  };

  const handlers: Record<string, (req: FastifyRequest, id: string) => Answer> = {
    'POST /:version/:phoneNumberId/messages': (req, id) => {
      const page = pageFor(id, req);
      return page && sendMessage(d, page, req.body);
    },
    'GET /:version/:wabaId/message_templates': (req, id) => {
      const page = pageFor(id, req);
      return page && listTemplates(state, req, page);
    },
    'POST /:version/:wabaId/message_templates': (req, id) => {
      const page = pageFor(id, req);
      if (!page) return undefined;
      const t = d.templates.create(page, parseTemplateInput(req.body));
      return { id: t.id, status: t.status, category: t.category };
    },
    'DELETE /:version/:wabaId/message_templates': (req, id) => {
      const page = pageFor(id, req);
      if (!page) return undefined;
      const q = { ...(isObj(req.body) ? req.body : {}), ...((req.query as Obj) ?? {}) };
      const name = str(q.name);
      if (!name) throw param('The parameter name is required');
      const hsmId = str(q.hsm_id);
      const targets = (state.templates.get(page.id) ?? []).filter(
        (t) => t.name === name && (!hsmId || t.id === hsmId),
      );
      if (targets.length === 0)
        throw param(`No message template named ${name}${hsmId ? ` with id ${hsmId}` : ''}`);
      for (const t of targets) d.templates.delete(t);
      return { success: true };
    },
    'GET /:version/:nodeId': (req, id) => readNode(req, id),
  };

  const readNode = (req: FastifyRequest, id: string): Answer => {
    const q = (req.query as Obj) ?? {};
    const t = state.templatesById.get(id);
    if (t) {
      pageFor(t.pageId, req);
      return templateFields(t, parseFields(q.fields));
    }
    const user = state.users.get(id);
    if (user) {
      // The User Profile API: what a page may read about someone who wrote to it.
      const page = pageFor(user.pageId, req);
      if (!page) return undefined;
      const wanted = (str(q.fields) ?? 'first_name,last_name,profile_pic').split(',').map((f) => f.trim());
      const out: Obj = {};
      for (const f of wanted) {
        if (!USER_FIELDS.has(f)) throw param(`Tried accessing nonexisting field (${f}) on node type (User)`);
        if (f === 'first_name') out.first_name = user.firstName;
        if (f === 'last_name') out.last_name = user.lastName;
        if (f === 'name') out.name = `${user.firstName} ${user.lastName}`.trim();
        if (f === 'profile_pic') out.profile_pic = `https://sandbox.invalid/profile/${user.psid}.jpg`;
      }
      out.id = user.psid;
      return out;
    }
    const page = pageFor(id, req);
    return page && { name: page.name, id: page.id };
  };

  /** Whether the id can be the Messenger side's; WhatsApp's requests pass at the cost of a lookup. */
  const mine = (id: string) =>
    id === 'me' || state.pages.has(id) || state.users.has(id) || state.templatesById.has(id);

  app.addHook('preHandler', (req, reply, done) => {
    const route = req.routeOptions.url;
    const handler = route === undefined ? undefined : handlers[`${req.method} ${route}`];
    if (!handler) return done();
    const params = req.params as Record<string, string>;
    const id = params.phoneNumberId ?? params.wabaId ?? params.nodeId ?? '';
    if (!mine(id)) return done();
    let answer: Answer;
    try {
      checkVersion(params.version ?? '', req.url);
      answer = handler(req, id);
    } catch (err) {
      return done(err as MetaError);
    }
    if (answer === undefined) return done();
    reply.send(answer);
  });

  // Subscribing the app to the page's webhooks (§4.2): the sandbox sends to the page's URL anyway.
  app.post<{ Params: { version: string; pageId: string } }>('/:version/:pageId/subscribed_apps', (req) => {
    checkVersion(req.params.version, req.url);
    const page = pageFor(req.params.pageId, req);
    if (!page) throw unknownObject(req.params.pageId, 'post');
    return { success: true };
  });
}

function parseFields(raw: unknown): string[] {
  const s = str(raw);
  if (!s) return DEFAULT_FIELDS;
  const fields = s
    .split(',')
    .map((f) => f.replace(/\{.*$/, '').trim())
    .filter(Boolean);
  for (const f of fields)
    if (!TEMPLATE_FIELDS.has(f))
      throw param(`Tried accessing nonexisting field (${f}) on node type (MessengerBusinessTemplate)`);
  if (!fields.includes('id')) fields.push('id');
  return fields;
}

function templateFields(t: PageTemplate, fields: string[]): Obj {
  const all: Obj = {
    id: t.id,
    name: t.name,
    language: t.language,
    status: t.status,
    category: t.category,
    components: t.components,
    parameter_format: t.parameterFormat,
    rejected_reason: t.rejectedReason ?? 'NONE',
  };
  const out: Obj = {};
  for (const f of fields) out[f] = all[f];
  return out;
}

const cursor = (id: string) => Buffer.from(id).toString('base64url');

function uncursor(c: string): string {
  const id = Buffer.from(c, 'base64url').toString('utf8');
  if (!/^\d+$/.test(id)) throw param('Param after/before is not a valid cursor');
  return id;
}

/** Newest first, filters `name` (substring), `status`, `language`, `category`; cursor paging. */
function listTemplates(state: MessengerState, req: FastifyRequest, page: PageState): Obj {
  const q = (req.query as Obj) ?? {};
  const fields = parseFields(q.fields);
  const listOf = (k: string) => {
    const v = str(q[k]);
    if (!v) return null;
    const s = v.trim();
    let items: string[] = s.split(',');
    if (s.startsWith('[')) {
      try {
        items = (JSON.parse(s) as unknown[]).map(String);
      } catch {
        throw param(`Param ${k} must be a list such as A,B or ["A","B"]`);
      }
    }
    return items.map((x) => x.trim().toUpperCase());
  };
  const name = str(q.name);
  const statuses = listOf('status');
  const categories = listOf('category');
  const languages = str(q.language)
    ?.split(',')
    .map((x) => x.trim());
  const all = [...(state.templates.get(page.id) ?? [])]
    .reverse()
    .filter(
      (t) =>
        (!name || t.name.includes(name)) &&
        (!statuses || statuses.includes(t.status)) &&
        (!categories || categories.includes(t.category)) &&
        (!languages || languages.includes(t.language)),
    );
  const limitRaw = str(q.limit);
  const limit = limitRaw === undefined ? 25 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1) throw param('Param limit must be a positive integer');
  const size = Math.min(limit, 1000);
  let start = 0;
  const after = str(q.after);
  const before = str(q.before);
  if (after) {
    const id = uncursor(after);
    const i = all.findIndex((t) => t.id === id);
    start = i < 0 ? all.length : i + 1;
  } else if (before) {
    const id = uncursor(before);
    const i = all.findIndex((t) => t.id === id);
    start = Math.max(0, (i < 0 ? all.length : i) - size);
  }
  const slice = all.slice(start, start + size);
  const out: Obj = { data: slice.map((t) => templateFields(t, fields)) };
  const first = slice[0];
  const last = slice[slice.length - 1];
  if (first && last) {
    const base = `http://${req.headers.host ?? '127.0.0.1'}${req.url.split('?')[0]}`;
    const link = (extra: Record<string, string>) => {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(q))
        if (k !== 'after' && k !== 'before' && typeof v === 'string') p.set(k, v);
      for (const [k, v] of Object.entries(extra)) p.set(k, v);
      return `${base}?${p.toString()}`;
    };
    const paging: Obj = { cursors: { before: cursor(first.id), after: cursor(last.id) } };
    if (start + size < all.length) paging.next = link({ limit: String(size), after: cursor(last.id) });
    if (start > 0) paging.previous = link({ limit: String(size), before: cursor(first.id) });
    out.paging = paging;
  }
  return out;
}
