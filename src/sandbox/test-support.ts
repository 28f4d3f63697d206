/**
 * Test helpers for the sandbox suites: a tiny webhook receiver that checks signatures on its
 * own (node:crypto over the raw bytes), a Graph caller over undici, and the usual account.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import { request } from 'undici';
import { createSandbox, type Sandbox, type SandboxAccount, type SandboxOptions } from './sandbox';

export const PHONE_ID = '106540352242922';
export const WABA_ID = '102290129340398';
export const TOKEN = 'test-token';
export const SECRET = 'test-app-secret';
export const USER = '5491155551234';

export const ACCOUNT: SandboxAccount = {
  phoneNumberId: PHONE_ID,
  wabaId: WABA_ID,
  accessToken: TOKEN,
  appSecret: SECRET,
  displayPhoneNumber: '+1 555 078 3881',
};

export interface GraphError {
  error: {
    message: string;
    type: string;
    code: number;
    error_subcode?: number;
    error_data?: { messaging_product: string; details: string };
    error_user_title?: string;
    error_user_msg?: string;
    is_transient?: boolean;
    fbtrace_id: string;
  };
}

export interface SendOk {
  messaging_product: string;
  contacts: Array<{ input: string; wa_id: string }>;
  messages: Array<{ id: string; message_status?: string }>;
}

export interface StatusItem {
  id: string;
  status: string;
  timestamp: string;
  recipient_id: string;
  biz_opaque_callback_data?: string;
  conversation?: { id: string; expiration_timestamp?: string; origin: { type: string } };
  pricing?: { billable: boolean; pricing_model: string; type: string; category: string };
  errors?: Array<{
    code: number;
    title: string;
    message: string;
    error_data: { details: string };
    href: string;
  }>;
}

export interface InboundMessage {
  from: string;
  id: string;
  timestamp: string;
  type: string;
  context?: { from: string; id: string };
  text?: { body: string };
  button?: { payload: string; text: string };
  interactive?: {
    type: string;
    button_reply?: { id: string; title: string };
    list_reply?: { id: string; title: string };
  };
}

export interface ChangeValue {
  messaging_product?: string;
  metadata?: { display_phone_number: string; phone_number_id: string };
  contacts?: Array<{ profile: { name: string }; wa_id: string }>;
  statuses?: StatusItem[];
  messages?: InboundMessage[];
  event?: string;
  message_template_id?: number;
  message_template_name?: string;
  message_template_language?: string;
  reason?: string;
  message_template_category?: string;
  rejection_info?: { reason: string; recommendation: string };
  previous_category?: string;
  new_category?: string;
}

export interface Envelope {
  object: string;
  entry: Array<{ id: string; time?: number; changes: Array<{ field: string; value: ChangeValue }> }>;
}

export interface CapturedPost {
  raw: Buffer;
  path: string;
  signatureValid: boolean;
  body: Envelope;
}

export interface Receiver {
  url: string;
  /** Successful (2xx) deliveries, in arrival order. */
  posts: CapturedPost[];
  /** Every request, failed ones included. */
  attempts: number;
  statuses(): StatusItem[];
  messages(): InboundMessage[];
  changes(field: string): ChangeValue[];
  close(): Promise<void>;
}

/** Answers 500 to the first `failFirst` requests, then 200. Verifies X-Hub-Signature-256 itself. */
export async function startReceiver(appSecret = SECRET, failFirst = 0): Promise<Receiver> {
  const app = Fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const posts: CapturedPost[] = [];
  let attempts = 0;
  app.post('/*', (req, reply) => {
    attempts++;
    if (attempts <= failFirst) return reply.code(500).send('try later');
    const raw = req.body as Buffer;
    const header = req.headers['x-hub-signature-256'];
    const expected = Buffer.from('sha256=' + createHmac('sha256', appSecret).update(raw).digest('hex'));
    const given = Buffer.from(typeof header === 'string' ? header : '');
    const signatureValid = given.length === expected.length && timingSafeEqual(given, expected);
    posts.push({ raw, path: req.url, signatureValid, body: JSON.parse(raw.toString('utf8')) as Envelope });
    return reply.send('EVENT_RECEIVED');
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const values = (field: string) =>
    posts.flatMap((p) =>
      p.body.entry.flatMap((e) => e.changes.filter((c) => c.field === field).map((c) => c.value)),
    );
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    posts,
    get attempts() {
      return attempts;
    },
    statuses: () => values('messages').flatMap((v) => v.statuses ?? []),
    messages: () => values('messages').flatMap((v) => v.messages ?? []),
    changes: values,
    close: () => app.close(),
  };
}

export interface Harness {
  sandbox: Sandbox;
  receiver: Receiver;
  base: string;
  close(): Promise<void>;
}

/** A listening sandbox with ACCOUNT pointed at a fresh receiver; fast delays unless overridden. */
export async function startHarness(
  opts: Partial<SandboxOptions> & { account?: Partial<SandboxAccount>; failFirst?: number } = {},
): Promise<Harness> {
  const { account, failFirst, accounts = [], ...rest } = opts;
  const receiver = await startReceiver(SECRET, failFirst ?? 0);
  const sandbox = createSandbox({
    delays: { sentMs: 0, deliveredMs: 0, readMs: null, templateReviewMs: 0 },
    webhookBatchMs: 0,
    webhookRetry: { baseMs: 5, maxAttempts: 5 },
    ...rest,
    accounts: [{ ...ACCOUNT, webhookUrl: receiver.url, ...account }, ...accounts],
  });
  const base = await sandbox.listen(0);
  return {
    sandbox,
    receiver,
    base,
    async close() {
      await sandbox.close();
      await receiver.close();
    },
  };
}

export interface CallResult<T> {
  status: number;
  json: T;
}

export async function call<T = unknown>(
  base: string,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  token: string | null = TOKEN,
): Promise<CallResult<T>> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await request(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: (text ? JSON.parse(text) : null) as T };
}

export const send = (base: string, body: unknown, token: string | null = TOKEN) =>
  call<SendOk & GraphError>(base, 'POST', `/v25.0/${PHONE_ID}/messages`, body, token);

/** A valid appointment_reminder send (seed template, es_AR, 3 body parameters, 2 quick replies). */
export function reminder(
  to = USER,
  values = ['Emilia', 'la Dra. Gómez', 'lunes 3 de marzo a las 10:00'],
  opaque?: string,
) {
  const body: Record<string, unknown> = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to,
    type: 'template',
    template: {
      name: 'appointment_reminder',
      language: { code: 'es_AR', policy: 'deterministic' },
      components: [
        { type: 'body', parameters: values.map((text) => ({ type: 'text', text })) },
        {
          type: 'button',
          sub_type: 'quick_reply',
          index: '0',
          parameters: [{ type: 'payload', payload: 'CONFIRM:apt-42' }],
        },
        {
          type: 'button',
          sub_type: 'quick_reply',
          index: 1,
          parameters: [{ type: 'payload', payload: 'CANCEL:apt-42' }],
        },
      ],
    },
  };
  if (opaque !== undefined) body.biz_opaque_callback_data = opaque;
  return body;
}

export function text(to: string, body: string) {
  return { messaging_product: 'whatsapp', to, type: 'text', text: { body } };
}
