/**
 * The Messenger Platform adapter: Channel (Send API, webhook signature, webhook parsing) and
 * TemplateProvider (a page's utility templates), over the same undici-based GraphHttp as
 * WhatsApp: one Pool per origin, the page token as a Bearer header (never in a URL, so never in
 * a log line or an error), every failure returned as ProviderErrorInfo. It talks to
 * https://graph.facebook.com and to the sandbox alike: only ChannelAccount.baseUrl differs.
 *
 * send() never throws. A message Messenger would refuse as it is (payloads.ts) comes back as a
 * local error marked rejectedLocally, which is never retried; Graph errors keep their code and
 * subcode, which is how Messenger tells its refusals apart (10/2018278: outside the window).
 */
import type { Channel, ChannelAccount, OutboundMessage, SendResult, TemplateProvider } from '../channel';
import {
  GraphHttp,
  type GraphHttpOptions,
  type GraphResponse,
  localError,
  responseError,
  snippet,
  tryParseJson,
} from '../graph/http';
import { verifySignature } from '../graph/signature';
import { MessengerPayloadError, serializeSendBody } from './payloads';
import { createPageTemplateApi } from './template-api';
import { parseMessengerWebhook } from './webhook-parser';

export type MessengerChannelOptions = GraphHttpOptions;
export type MessengerChannel = Channel & TemplateProvider;

/**
 * Meta's X-Business-Use-Case-Usage header ({ "<page id>": [{ type, call_count, …,
 * estimated_time_to_regain_access }] }, minutes): the longest wait it names, in seconds, when
 * the page is being throttled (80006 and friends); undefined otherwise.
 */
export function regainAccessSeconds(headers: GraphResponse['headers']): number | undefined {
  const raw = headers['x-business-use-case-usage'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined) return undefined;
  const json = tryParseJson(value);
  if (typeof json !== 'object' || json === null) return undefined;
  let minutes = 0;
  for (const usages of Object.values(json)) {
    if (!Array.isArray(usages)) continue;
    for (const u of usages) {
      const m = (u as Record<string, unknown> | null)?.estimated_time_to_regain_access;
      if (typeof m === 'number' && Number.isFinite(m) && m > minutes) minutes = m;
    }
  }
  return minutes > 0 ? Math.ceil(minutes * 60) : undefined;
}

/** A Send API answer: `{ recipient_id, message_id }`; a 200 without message_id is not a send. */
export function parseSendResponse(res: GraphResponse): SendResult {
  const json = tryParseJson(res.text);
  const o = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : undefined;
  if (res.status < 200 || res.status > 299 || o?.error !== undefined) {
    const error = responseError(res, json);
    const regain = regainAccessSeconds(res.headers);
    if (regain !== undefined && regain > (error.retryAfterSeconds ?? 0)) error.retryAfterSeconds = regain;
    return { ok: false, error };
  }
  const id = o?.message_id;
  if (typeof id !== 'string' || id === '') {
    return {
      ok: false,
      error: {
        code: null,
        httpStatus: res.status,
        title: 'Unexpected response from Graph API',
        details: `message_id is missing; body: ${snippet(res.text)}`,
      },
    };
  }
  return { ok: true, providerMessageId: id };
}

export function createMessengerChannel(opts: MessengerChannelOptions = {}): MessengerChannel {
  const http = new GraphHttp(opts);
  const templates = createPageTemplateApi(http);

  async function send(
    account: ChannelAccount,
    message: OutboundMessage,
    signal?: AbortSignal,
  ): Promise<SendResult> {
    let body: string;
    try {
      body = serializeSendBody(message);
    } catch (e) {
      const error =
        e instanceof MessengerPayloadError
          ? localError(e.title, e.message)
          : localError('Invalid outbound message', e instanceof Error ? e.message : String(e));
      return { ok: false, error: { ...error, rejectedLocally: true } };
    }
    const path = `/${encodeURIComponent(account.graphVersion)}/${encodeURIComponent(account.externalId)}/messages`;
    // Sockets of the page's own (GraphHttp.forAccount): a page Meta answers slowly does not hold
    // the sockets the other pages send on.
    const res = await http
      .forAccount(account.id)
      .request(account.baseUrl, 'POST', path, account.accessToken, body, signal);
    return res.ok ? parseSendResponse(res) : res;
  }

  return {
    send,
    verifySignature,
    parseWebhook: parseMessengerWebhook,
    close: () => http.close(),
    createTemplate: templates.createTemplate,
    listTemplates: templates.listTemplates,
    editTemplate: templates.editTemplate,
  };
}
