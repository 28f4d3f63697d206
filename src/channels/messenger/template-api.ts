/**
 * TemplateProvider for a page's utility templates (reference messenger-platform.md §2.4):
 *   create  POST /{v}/{page-id}/message_templates → { id, status, category }
 *   list    GET  /{v}/{page-id}/message_templates, following paging
 *   edit    not documented by Meta for pages: refused locally, with what to do instead
 * The calls and answers have WhatsApp's shapes, so the WhatsApp template API does the HTTP
 * (its owner is `wabaId ?? externalId`, the page id here); this file translates definitions.
 *
 * Our template model is WhatsApp's. On a page, the differences are:
 * - only UTILITY exists (marketing goes through Meta's paid ads API, out of scope);
 * - QUICK_REPLY buttons do not exist (Meta: "Message Template Creation Failed"): each becomes a
 *   POSTBACK button whose whole payload is given at send time (`{{1}}`), as a WhatsApp quick
 *   reply's payload is; a listing turns such a button back into a QUICK_REPLY, so a pulled
 *   template compares equal to the file it was pushed from;
 * - COPY_CODE and OTP buttons have no Messenger form;
 * - `parameter_format` is sent only for NAMED (Meta documents no other value), and WhatsApp's
 *   allow_category_change and message_send_ttl_seconds are left out.
 */
import type {
  ChannelAccount,
  ProviderErrorInfo,
  ProviderResult,
  ProviderTemplate,
  TemplateProvider,
} from '../channel';
import type { GraphHttp } from '../graph/http';
import { createTemplateApi } from '../whatsapp/template-api';

/** What a page's template (Graph type MessengerBusinessTemplate) has; no quality_score. */
export const PAGE_TEMPLATE_LIST_FIELDS = 'id,name,status,category,language,components,rejected_reason';

/** The payload of a POSTBACK button made from a QUICK_REPLY: all of it comes with the send. */
export const SEND_TIME_PAYLOAD = '{{1}}';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function refused(title: string, details: string): { ok: false; error: ProviderErrorInfo } {
  return { ok: false, error: { code: null, httpStatus: null, title, details, rejectedLocally: true } };
}

/** Our (WhatsApp-shaped) definition → the body of a page's create call, or why it cannot be one. */
export function pageTemplateBody(
  definition: Record<string, unknown>,
): { ok: true; body: Obj } | { ok: false; error: ProviderErrorInfo } {
  const name = typeof definition.name === 'string' ? definition.name : '(unnamed)';
  if (definition.category !== 'UTILITY') {
    return refused(
      'Only utility templates exist on Messenger',
      `${name}: category ${JSON.stringify(definition.category)} cannot be created on a page; Messenger has only UTILITY templates (updates the person asked for, no promotion)`,
    );
  }
  const body: Obj = { name: definition.name, language: definition.language, category: 'UTILITY' };
  if (definition.parameter_format === 'NAMED') body.parameter_format = 'NAMED';
  const components = Array.isArray(definition.components) ? definition.components : [];
  const out: unknown[] = [];
  for (const [k, c] of components.entries()) {
    if (!isObj(c) || c.type !== 'BUTTONS' || !Array.isArray(c.buttons)) {
      out.push(c);
      continue;
    }
    const buttons: unknown[] = [];
    for (const [j, b] of c.buttons.entries()) {
      const type = isObj(b) ? b.type : undefined;
      if (type === 'QUICK_REPLY') {
        buttons.push({ type: 'POSTBACK', text: (b as Obj).text, payload: SEND_TIME_PAYLOAD });
      } else if (type === 'COPY_CODE' || type === 'OTP') {
        return refused(
          'Button not available on Messenger',
          `${name}: components[${k}].buttons[${j}] is a ${type} button; Messenger templates take QUICK_REPLY (sent as POSTBACK), URL and PHONE_NUMBER buttons`,
        );
      } else {
        buttons.push(b);
      }
    }
    out.push({ ...c, buttons });
  }
  body.components = out;
  return { ok: true, body };
}

/** A listed page template in our model: POSTBACK buttons made from quick replies go back. */
function fromPage(t: ProviderTemplate): ProviderTemplate {
  const components = t.components.map((c) => {
    if (c.type !== 'BUTTONS' || !Array.isArray(c.buttons)) return c;
    return {
      ...c,
      buttons: c.buttons.map((b: unknown) =>
        isObj(b) && b.type === 'POSTBACK' && b.payload === SEND_TIME_PAYLOAD
          ? { type: 'QUICK_REPLY', text: b.text }
          : b,
      ),
    };
  });
  return { ...t, components };
}

export function createPageTemplateApi(http: GraphHttp): TemplateProvider {
  const graph = createTemplateApi(http, { listFields: PAGE_TEMPLATE_LIST_FIELDS });
  return {
    async createTemplate(account: ChannelAccount, definition: Record<string, unknown>) {
      const made = pageTemplateBody(definition);
      return made.ok ? graph.createTemplate(account, made.body) : made;
    },

    async listTemplates(account: ChannelAccount): Promise<ProviderResult<ProviderTemplate[]>> {
      const res = await graph.listTemplates(account);
      return res.ok ? { ok: true, value: res.value.map(fromPage) } : res;
    },

    async editTemplate(_account: ChannelAccount, providerTemplateId: string) {
      return refused(
        'Messenger templates cannot be edited',
        `Meta documents no edit call for a page's message templates (template ${providerTemplateId}); create the changed template under a new name, and send that one`,
      );
    },
  };
}
