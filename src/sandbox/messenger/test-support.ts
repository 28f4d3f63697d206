/**
 * Test helpers for the Messenger side: a sandbox with one page pointed at a receiver that checks
 * signatures on its own (../test-support.ts), the page's webhook events flattened, Graph calls.
 */
import { request } from 'undici';
import { createSandbox, type Sandbox, type SandboxOptions, type SandboxPage } from '../sandbox';
import { type Receiver, startReceiver } from '../test-support';

export const PAGE_ID = '300000000000042';
export const PAGE_TOKEN = 'test-page-token';
export const PAGE_SECRET = 'test-page-app-secret';
export const OTHER_PAGE_ID = '300000000000077';
export const OTHER_PAGE_TOKEN = 'other-page-token';

export interface PageEvent {
  sender: { id: string };
  recipient: { id: string };
  timestamp: number;
  message?: {
    mid: string;
    text?: string;
    is_echo?: boolean;
    app_id?: number;
    metadata?: string;
    quick_reply?: { payload: string };
    reply_to?: { mid: string };
    referral?: Record<string, unknown>;
    attachments?: Array<{ type: string; payload: Record<string, unknown> }>;
  };
  postback?: { mid: string; title: string; payload: string };
  reaction?: { mid: string; action: string; emoji?: string; reaction?: string };
  referral?: { ref?: string; source: string; type: string };
  delivery?: { mids?: string[]; watermark: number };
  read?: { watermark: number };
}

export interface PageEnvelope {
  object: string;
  entry: Array<{
    id: string;
    time: number;
    messaging?: PageEvent[];
    changes?: Array<{ field: string; value: Record<string, unknown> }>;
  }>;
}

export interface PageHarness {
  sandbox: Sandbox;
  receiver: Receiver;
  base: string;
  envelopes(): PageEnvelope[];
  /** Every messaging event received, in arrival order. */
  events(): PageEvent[];
  /** A new simulated person on the page; returns the PSID. */
  person(name?: string): string;
  close(): Promise<void>;
}

export async function startPageHarness(
  opts: Partial<SandboxOptions> & { page?: Partial<SandboxPage>; failFirst?: number } = {},
): Promise<PageHarness> {
  const { page, failFirst, pages = [], ...rest } = opts;
  const receiver = await startReceiver(PAGE_SECRET, failFirst ?? 0);
  const sandbox = createSandbox({
    accounts: [],
    delays: { sentMs: 0, deliveredMs: 0, readMs: null, templateReviewMs: 0 },
    webhookBatchMs: 0,
    webhookRetry: { baseMs: 5, maxAttempts: 5 },
    seedTemplates: [],
    ...rest,
    pages: [
      { pageId: PAGE_ID, pageToken: PAGE_TOKEN, appSecret: PAGE_SECRET, webhookUrl: receiver.url, ...page },
      ...pages,
    ],
  });
  const base = await sandbox.listen(0);
  const envelopes = () => receiver.posts.map((p) => p.body as unknown as PageEnvelope);
  return {
    sandbox,
    receiver,
    base,
    envelopes,
    events: () => envelopes().flatMap((e) => e.entry.flatMap((en) => en.messaging ?? [])),
    person: (name) => sandbox.messenger.users.create(PAGE_ID, name === undefined ? {} : { name }).psid,
    async close() {
      await sandbox.close();
      await receiver.close();
    },
  };
}

export interface GraphErrorBody {
  error: {
    message: string;
    type: string;
    code: number;
    error_subcode?: number;
    error_user_title?: string;
    error_user_msg?: string;
    is_transient?: boolean;
    fbtrace_id: string;
  };
}

export interface SendAnswer {
  recipient_id?: string;
  message_id?: string;
}

export async function graph<T = unknown>(
  base: string,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  token: string | null = PAGE_TOKEN,
): Promise<{ status: number; json: T & GraphErrorBody }> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await request(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: (text ? JSON.parse(text) : null) as T & GraphErrorBody };
}

export const sendFb = (base: string, body: unknown, token: string | null = PAGE_TOKEN, pageId = PAGE_ID) =>
  graph<SendAnswer>(base, 'POST', `/v25.0/${pageId}/messages`, body, token);

export function textTo(psid: string, text: string, extra: Record<string, unknown> = {}) {
  return { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text }, ...extra };
}

/** A utility template in Meta's creation shape (fact sheet §2.4): header, body, two POSTBACK buttons. */
export function appointmentTemplate(name = 'appointment_reminder_fb') {
  return {
    name,
    language: 'es',
    category: 'UTILITY',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Turno {{1}}', example: { header_text: ['mañana'] } },
      {
        type: 'BODY',
        text: 'Hola {{1}}, tu turno con {{2}} es el {{3}}. ¿Confirmás tu asistencia?',
        example: { body_text: [['Emilia', 'la Dra. Gómez', 'lunes 10:00']] },
      },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'POSTBACK', text: 'Confirmar', payload: 'CONFIRM_{{1}}' },
          { type: 'POSTBACK', text: 'Cancelar', payload: 'CANCEL_{{1}}' },
        ],
      },
    ],
  };
}

export function appointmentSend(psid: string, name = 'appointment_reminder_fb') {
  return {
    recipient: { id: psid },
    messaging_type: 'UTILITY',
    message: {
      template: {
        name,
        language: { code: 'es' },
        components: [
          { type: 'header', parameters: [{ type: 'text', text: 'mañana' }] },
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Emilia' },
              { type: 'text', text: 'la Dra. Gómez' },
              { type: 'text', text: 'lunes 3 de marzo a las 10:00' },
            ],
          },
          {
            type: 'buttons',
            parameters: [
              { type: 'POSTBACK', payload: 'CONFIRM:apt-42' },
              { type: 'POSTBACK', payload: 'CANCEL:apt-42' },
            ],
          },
        ],
      },
    },
  };
}
