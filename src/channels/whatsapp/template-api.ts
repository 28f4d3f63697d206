/**
 * TemplateProvider over the WhatsApp Business Management API:
 *   create  POST /{v}/{waba-id}/message_templates → { id, status, category }
 *   list    GET  /{v}/{waba-id}/message_templates?fields=…&limit=100, following paging.next
 *   edit    POST /{v}/{template-id} { components, category? } → { success }
 * Graph errors keep error_user_title as the title and error_user_msg (+ error_subcode) as details.
 */
import type {
  ChannelAccount,
  ProviderErrorInfo,
  ProviderResult,
  ProviderTemplate,
  TemplateProvider,
} from '../channel';
import {
  type GraphHttp,
  type GraphResponse,
  localError,
  responseError,
  snippet,
  tryParseJson,
} from '../graph/http';

export const TEMPLATE_LIST_FIELDS =
  'id,name,status,category,language,components,parameter_format,quality_score,rejected_reason';
export const TEMPLATE_PAGE_SIZE = 100;
/** Safety stop for a server whose paging never ends (100 × 1,000 templates is far above Meta's cap). */
export const MAX_TEMPLATE_PAGES = 1_000;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A 2xx answer whose body is not what the API documents. */
function unexpected(res: GraphResponse, problem: string): { ok: false; error: ProviderErrorInfo } {
  return {
    ok: false,
    error: {
      code: null,
      httpStatus: res.status,
      title: 'Unexpected response from Graph API',
      details: `${problem}; body: ${snippet(res.text)}`,
    },
  };
}

/** The JSON body of a 2xx answer that is not a Graph error, or the error to return. */
function successJson(res: GraphResponse): { ok: true; json: Obj } | { ok: false; error: ProviderErrorInfo } {
  const json = tryParseJson(res.text);
  if (res.status < 200 || res.status > 299 || (isObj(json) && json.error !== undefined)) {
    return { ok: false, error: responseError(res, json) };
  }
  if (!isObj(json)) return unexpected(res, 'body is not a JSON object');
  return { ok: true, json };
}

function idOf(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return undefined;
}

function seg(s: string): string {
  return encodeURIComponent(s);
}

function toProviderTemplate(t: unknown, path: string): ProviderTemplate | string {
  if (!isObj(t)) return `${path} is not an object`;
  const id = idOf(t.id);
  if (id === undefined) return `${path}.id is missing`;
  for (const key of ['name', 'language', 'status', 'category'] as const) {
    if (typeof t[key] !== 'string') return `${path}.${key} is missing`;
  }
  if (t.components !== undefined && !Array.isArray(t.components)) return `${path}.components is not an array`;
  const out: ProviderTemplate = {
    providerTemplateId: id,
    name: t.name as string,
    language: t.language as string,
    status: t.status as string,
    category: t.category as string,
    components: (t.components as Array<Record<string, unknown>> | undefined) ?? [],
  };
  if (typeof t.parameter_format === 'string') out.parameter_format = t.parameter_format;
  // Meta answers "NONE" for templates that were never rejected: that is no reason.
  if (typeof t.rejected_reason === 'string' && t.rejected_reason !== 'NONE')
    out.rejectedReason = t.rejected_reason;
  const q = t.quality_score;
  if (isObj(q) && typeof q.score === 'string') out.qualityScore = q.score;
  else if (typeof q === 'string') out.qualityScore = q;
  return out;
}

export interface TemplateApiOptions {
  /** The `fields` asked for when listing: a page's templates have no quality_score. */
  listFields?: string;
}

export function createTemplateApi(http: GraphHttp, opts: TemplateApiOptions = {}): TemplateProvider {
  const listFields = opts.listFields ?? TEMPLATE_LIST_FIELDS;
  return {
    async createTemplate(account: ChannelAccount, definition: Record<string, unknown>) {
      const res = await http.request(
        account.baseUrl,
        'POST',
        `/${seg(account.graphVersion)}/${seg(templateOwner(account))}/message_templates`,
        account.accessToken,
        JSON.stringify(definition),
      );
      if (!res.ok) return res;
      const body = successJson(res);
      if (!body.ok) return body;
      const { json } = body;
      const id = idOf(json.id);
      if (id === undefined) return unexpected(res, 'id is missing');
      if (typeof json.status !== 'string') return unexpected(res, 'status is missing');
      if (typeof json.category !== 'string') return unexpected(res, 'category is missing');
      return { ok: true, value: { providerTemplateId: id, status: json.status, category: json.category } };
    },

    async listTemplates(account: ChannelAccount): Promise<ProviderResult<ProviderTemplate[]>> {
      let origin: string;
      try {
        origin = new URL(account.baseUrl).origin;
      } catch {
        return { ok: false, error: localError('Invalid account baseUrl', account.baseUrl) };
      }
      const listPath = `/${seg(account.graphVersion)}/${seg(templateOwner(account))}/message_templates`;
      const firstQuery = `?fields=${seg(listFields)}&limit=${TEMPLATE_PAGE_SIZE}`;
      let path = listPath + firstQuery;
      let absolute = false;
      const seen = new Set<string>();
      const templates: ProviderTemplate[] = [];
      for (let page = 1; page <= MAX_TEMPLATE_PAGES; page++) {
        const res = await http.request(
          account.baseUrl,
          'GET',
          path,
          account.accessToken,
          undefined,
          undefined,
          absolute,
        );
        if (!res.ok) return res;
        const body = successJson(res);
        if (!body.ok) return body;
        const { json } = body;
        if (!Array.isArray(json.data)) return unexpected(res, `page ${page}: data is not an array`);
        for (let k = 0; k < json.data.length; k++) {
          const t = toProviderTemplate(json.data[k], `data[${k}]`);
          if (typeof t === 'string') return unexpected(res, `page ${page}: ${t}`);
          templates.push(t);
        }
        // Meta: "next" is absent on the last page. Its URL is followed only on the account's own
        // origin (the Bearer token never goes elsewhere); otherwise the `after` cursor is used.
        const paging = isObj(json.paging) ? json.paging : undefined;
        const next = paging?.next;
        if (typeof next !== 'string' || next === '' || json.data.length === 0)
          return { ok: true, value: templates };
        let nextUrl: URL | undefined;
        try {
          nextUrl = new URL(next);
        } catch {
          nextUrl = undefined;
        }
        if (nextUrl !== undefined && nextUrl.origin === origin) {
          path = nextUrl.pathname + nextUrl.search;
          absolute = true;
        } else {
          const cursors = isObj(paging?.cursors) ? paging.cursors : undefined;
          const after = cursors?.after;
          if (typeof after !== 'string' || after === '') {
            return unexpected(
              res,
              `page ${page}: paging.next is not on ${origin} and there is no cursors.after`,
            );
          }
          path = `${listPath}${firstQuery}&after=${seg(after)}`;
          absolute = false;
        }
        if (seen.has(path)) return unexpected(res, `page ${page}: paging.next repeats an earlier page`);
        seen.add(path);
      }
      return {
        ok: false,
        error: {
          code: null,
          httpStatus: null,
          title: 'Template listing did not end',
          details: `stopped after ${MAX_TEMPLATE_PAGES} pages`,
        },
      };
    },

    async editTemplate(account: ChannelAccount, providerTemplateId: string, change) {
      const res = await http.request(
        account.baseUrl,
        'POST',
        `/${seg(account.graphVersion)}/${seg(providerTemplateId)}`,
        account.accessToken,
        JSON.stringify(change),
      );
      if (!res.ok) return res;
      const body = successJson(res);
      if (!body.ok) return body;
      if (typeof body.json.success !== 'boolean') return unexpected(res, 'success is missing');
      return { ok: true, value: { success: body.json.success } };
    },
  };
}

/** Templates belong to the WhatsApp Business Account, or to the page on Messenger. */
function templateOwner(account: ChannelAccount): string {
  return account.wabaId ?? account.externalId;
}
