/**
 * The WhatsApp Cloud API adapter: Channel (send, webhook signature, webhook parsing) and
 * TemplateProvider (Business Management API), over undici Pools, one per origin. It talks to
 * https://graph.facebook.com and to the local sandbox alike: only ChannelAccount.baseUrl differs.
 *
 * send() never throws: Graph errors, HTTP errors and transport failures all come back as
 * { ok: false, error }. Transport failures have code null (and httpStatus null unless response
 * headers had arrived); the engine decides what is retryable.
 */
import type { Channel, ChannelAccount, OutboundMessage, SendResult, TemplateProvider } from '../channel';
import {
  GraphHttp,
  type GraphHttpOptions,
  type GraphResponse,
  localError,
  responseError,
  snippet,
} from '../graph/http';
import { verifySignature } from '../graph/signature';
import { serializeSendBody } from './payloads';
import { createTemplateApi } from './template-api';
import { parseWebhook } from './webhook-parser';

export type WhatsAppChannelOptions = GraphHttpOptions;
export type WhatsAppChannel = Channel & TemplateProvider;

/**
 * Reads a 2xx send answer: messages[0].id, contacts[0].wa_id (omitted when the message was
 * addressed to a BSUID), contacts[0].user_id (the BSUID, when Meta returns one),
 * messages[0].message_status.
 */
export function parseSendResponse(res: GraphResponse): SendResult {
  let json: unknown;
  try {
    json = res.text === '' ? undefined : JSON.parse(res.text);
  } catch {
    json = undefined;
  }
  const o = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : undefined;
  if (res.status < 200 || res.status > 299 || o?.error !== undefined) {
    return { ok: false, error: responseError(res, json) };
  }
  const messages = o?.messages;
  const first = Array.isArray(messages) ? (messages[0] as Record<string, unknown> | undefined) : undefined;
  const id = first?.id;
  if (typeof id !== 'string' || id === '') {
    return {
      ok: false,
      error: {
        code: null,
        httpStatus: res.status,
        title: 'Unexpected response from Graph API',
        details: `messages[0].id is missing; body: ${snippet(res.text)}`,
      },
    };
  }
  const result: SendResult = { ok: true, providerMessageId: id };
  const contacts = o?.contacts;
  const contact = Array.isArray(contacts) ? (contacts[0] as Record<string, unknown> | undefined) : undefined;
  const waId = contact?.wa_id;
  if (typeof waId === 'string') result.waId = waId;
  const userId = contact?.user_id;
  if (typeof userId === 'string' && userId !== '') result.userId = userId;
  const messageStatus = first?.message_status;
  if (typeof messageStatus === 'string') result.messageStatus = messageStatus;
  return result;
}

/** The send path of each account, built once per account object (it is the same every send). */
const paths = new WeakMap<ChannelAccount, string>();

function messagesPath(account: ChannelAccount): string {
  let path = paths.get(account);
  if (path === undefined) {
    path = `/${encodeURIComponent(account.graphVersion)}/${encodeURIComponent(account.externalId)}/messages`;
    paths.set(account, path);
  }
  return path;
}

export function createWhatsAppChannel(opts: WhatsAppChannelOptions = {}): WhatsAppChannel {
  const http = new GraphHttp(opts);
  const templates = createTemplateApi(http);

  async function send(
    account: ChannelAccount,
    message: OutboundMessage,
    signal?: AbortSignal,
  ): Promise<SendResult> {
    let body: string;
    try {
      body = serializeSendBody(message);
    } catch (e) {
      return {
        ok: false,
        error: localError('Invalid outbound message', e instanceof Error ? e.message : String(e)),
      };
    }
    const res = await http
      .forAccount(account.id)
      .request(account.baseUrl, 'POST', messagesPath(account), account.accessToken, body, signal);
    return res.ok ? parseSendResponse(res) : res;
  }

  return {
    send,
    verifySignature,
    parseWebhook,
    close: () => http.close(),
    createTemplate: templates.createTemplate,
    listTemplates: templates.listTemplates,
    editTemplate: templates.editTemplate,
  };
}
