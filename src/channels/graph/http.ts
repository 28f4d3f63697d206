/**
 * The Graph API transport both Meta channels share (WhatsApp's Cloud API and Messenger's Send
 * API are Graph endpoints alike), for the send clients and the template APIs: one undici Pool per
 * origin (created lazily, kept alive, reused), Bearer auth, and the mapping of every kind of
 * failure (Graph error bodies, non-JSON answers, network errors, timeouts, aborts) to
 * ProviderErrorInfo. Nothing here throws to its callers.
 */
import { STATUS_CODES } from 'node:http';
import { type Dispatcher, Pool } from 'undici';
import type { ProviderErrorInfo } from '../channel';

export interface GraphHttpOptions {
  /** Sockets per origin. */
  connections?: number;
  /** Applies to connecting, waiting for response headers, and each gap while reading the body. */
  timeoutMs?: number;
  /** Requests in flight per socket (1 = no HTTP pipelining). */
  pipelining?: number;
}

export const DEFAULT_CONNECTIONS = 32;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_PIPELINING = 1;

/** An HTTP answer, body fully read (so the socket went back to the pool). */
export interface GraphResponse {
  ok: true;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export type GraphOutcome = GraphResponse | { ok: false; error: ProviderErrorInfo };

interface Target {
  pool: Pool;
  origin: string;
  /** Path part of the base URL without a trailing slash ('' for https://graph.facebook.com). */
  basePath: string;
}

/** Longest body excerpt copied into ProviderErrorInfo.details. */
const SNIPPET_CHARS = 300;

export class GraphHttp {
  private readonly pools = new Map<string, Pool>();
  private readonly targets = new Map<string, Target>();
  private readonly poolOptions: Pool.Options;
  private readonly perAccount = new Map<string, GraphHttp>();
  private closed = false;
  private headersFor: string | undefined;
  private bare: string[] = [];
  private withJson: string[] = [];

  constructor(private readonly opts: GraphHttpOptions = {}) {
    const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.poolOptions = {
      connections: opts.connections ?? DEFAULT_CONNECTIONS,
      pipelining: opts.pipelining ?? DEFAULT_PIPELINING,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      connect: { timeout },
      // Idle sockets are kept for 4 s unless the server's Keep-Alive hint says otherwise: short
      // enough that we do not race a server closing an idle socket under our next POST.
      keepAliveTimeout: 4_000,
    };
  }

  /**
   * The transport with sockets of its own for one sending account. Every number and page shares
   * graph.facebook.com's origin: with one pool per origin, an account whose answers are slow
   * (Meta throttling that number) would hold the sockets every other account sends on, and
   * they would wait behind it. Sends take their account's own `connections`.
   */
  forAccount(accountId: string): GraphHttp {
    let h = this.perAccount.get(accountId);
    if (h === undefined) {
      h = new GraphHttp(this.opts);
      if (this.closed) h.closed = true;
      this.perAccount.set(accountId, h);
    }
    return h;
  }

  /** Pool and path prefix for an account's base URL (parsed once, then cached). */
  target(baseUrl: string): Target {
    let t = this.targets.get(baseUrl);
    if (t === undefined) {
      const url = new URL(baseUrl);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        throw new TypeError(`baseUrl must be http(s), got ${url.protocol}`);
      }
      if (url.search !== '' || url.hash !== '')
        throw new TypeError('baseUrl must not have a query or fragment');
      const basePath = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
      t = { pool: this.pool(url.origin), origin: url.origin, basePath };
      this.targets.set(baseUrl, t);
    }
    return t;
  }

  pool(origin: string): Pool {
    let p = this.pools.get(origin);
    if (p === undefined) {
      p = new Pool(origin, this.poolOptions);
      this.pools.set(origin, p);
    }
    return p;
  }

  /**
   * One request. `path` is relative to the base URL's path ("/v25.0/123/messages"); `absolutePath`
   * skips that prefixing (used when following a `paging.next` URL on the same origin).
   */
  async request(
    baseUrl: string,
    method: 'GET' | 'POST',
    path: string,
    token: string,
    body: string | undefined,
    signal?: AbortSignal,
    absolutePath = false,
  ): Promise<GraphOutcome> {
    if (this.closed) return { ok: false, error: localError('Channel closed', 'close() was called') };
    let target: Target;
    try {
      target = this.target(baseUrl);
    } catch (e) {
      return { ok: false, error: localError('Invalid account baseUrl', `${baseUrl}: ${errorMessage(e)}`) };
    }
    return new Promise((resolve) => {
      const limit = method === 'GET' ? MAX_LIST_ANSWER_BYTES : MAX_ANSWER_BYTES;
      const handler = new AnswerReader(signal, limit, resolve);
      target.pool.dispatch(
        {
          method,
          path: absolutePath ? path : target.basePath + path,
          headers: this.headers(token, body !== undefined),
          body,
        },
        handler,
      );
    });
  }

  /**
   * The request headers for a token (name, value, name, value: undici reads them as they are),
   * made once: an account's transport sends with one token until it changes.
   */
  private headers(token: string, json: boolean): string[] {
    if (token !== this.headersFor) {
      this.headersFor = token;
      this.bare = ['authorization', `Bearer ${token}`];
      this.withJson = ['authorization', `Bearer ${token}`, 'content-type', 'application/json'];
    }
    return json ? this.withJson : this.bare;
  }

  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    const children = [...this.perAccount.values()];
    this.pools.clear();
    this.targets.clear();
    this.perAccount.clear();
    await Promise.all([...pools.map((p) => p.close()), ...children.map((h) => h.close())]);
  }
}

/**
 * The most of an answer's body that is read: a send's answer is a few hundred bytes, a page of
 * a template list (GET, 100 templates) up to a few hundred KB. A longer body is not read to its
 * end, so a misbehaving server cannot fill our memory.
 */
export const MAX_ANSWER_BYTES = 1 << 20;
export const MAX_LIST_ANSWER_BYTES = 16 << 20;
const ANSWER_TOO_LARGE = 'RECONTACT_ANSWER_TOO_LARGE';

/**
 * Collects one answer through undici's handler interface: the body's chunks are kept as they
 * arrive and joined once. `Pool.request` gives every answer a Node stream and an async resource
 * with their callbacks, which on the dispatch path was a good part of the garbage each send left.
 * Settles exactly once, always with an outcome, never by throwing.
 */
class AnswerReader implements Dispatcher.DispatchHandler {
  private status: number | null = null;
  private headers: GraphResponse['headers'] = {};
  private chunks: Buffer[] = [];
  private size = 0;
  private controller: Dispatcher.DispatchController | null = null;
  private readonly onAbort: (() => void) | undefined;
  private settled = false;

  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly maxBytes: number,
    private readonly settle: (outcome: GraphOutcome) => void,
  ) {
    if (signal && !signal.aborted) {
      this.onAbort = () => this.controller?.abort(abortReason(signal));
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.signal?.aborted) controller.abort(abortReason(this.signal));
  }

  onResponseStart(
    _c: Dispatcher.DispatchController,
    statusCode: number,
    headers: GraphResponse['headers'],
  ): void {
    // A 1xx answer comes before the final one: the final one replaces it.
    this.status = statusCode;
    this.headers = headers;
    this.chunks.length = 0;
    this.size = 0;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      controller.abort(
        Object.assign(new Error(`the answer's body is larger than ${this.maxBytes} bytes`), {
          code: ANSWER_TOO_LARGE,
        }),
      );
      return;
    }
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    const c = this.chunks;
    const text =
      c.length === 0 ? '' : c.length === 1 ? c[0]!.toString('utf8') : Buffer.concat(c).toString('utf8');
    this.done({ ok: true, status: this.status ?? 0, headers: this.headers, text });
  }

  /** Also called, with no controller, when the pool refuses the request before it starts. */
  onResponseError(_c: Dispatcher.DispatchController | undefined, err: Error): void {
    this.done({ ok: false, error: transportError(err, this.status, this.signal) });
  }

  private done(outcome: GraphOutcome): void {
    if (this.settled) return;
    this.settled = true;
    if (this.onAbort) this.signal!.removeEventListener('abort', this.onAbort);
    this.settle(outcome);
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason ?? 'aborted'));
}

/** An error raised before anything was sent (bad input, closed client). */
export function localError(title: string, details: string): ProviderErrorInfo {
  return { code: null, httpStatus: null, title, details };
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function prop(o: unknown, key: string): unknown {
  return typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[key] : undefined;
}

/** Network failures, timeouts and aborts: code null, httpStatus set only if headers had arrived. */
export function transportError(
  e: unknown,
  httpStatus: number | null,
  signal?: AbortSignal,
): ProviderErrorInfo {
  const code = prop(e, 'code');
  const causeCode = prop(prop(e, 'cause'), 'code');
  const name = prop(e, 'name');
  let title: string;
  if (signal?.aborted) {
    title =
      prop(signal.reason, 'name') === 'TimeoutError'
        ? 'Request timed out (caller signal)'
        : 'Request aborted';
  } else if (code === 'UND_ERR_ABORTED' || name === 'AbortError') {
    title = 'Request aborted';
  } else if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    title = 'Timed out waiting for response headers';
  } else if (code === 'UND_ERR_BODY_TIMEOUT') {
    title = 'Timed out reading response body';
  } else if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    title = 'Timed out connecting';
  } else if (code === 'ECONNREFUSED' || causeCode === 'ECONNREFUSED') {
    title = 'Connection refused';
  } else if (
    code === 'ECONNRESET' ||
    code === 'UND_ERR_SOCKET' ||
    code === 'EPIPE' ||
    causeCode === 'ECONNRESET'
  ) {
    title = 'Connection closed by peer';
  } else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    title = 'Host not found';
  } else if (code === 'UND_ERR_CLOSED') {
    title = 'Channel closed';
  } else if (code === ANSWER_TOO_LARGE) {
    title = 'Answer too large';
  } else if (code === 'UND_ERR_DESTROYED') {
    title = 'Channel destroyed during the request';
  } else {
    title = 'Network error';
  }
  const details = typeof code === 'string' ? `${code}: ${errorMessage(e)}` : errorMessage(e);
  return { code: null, httpStatus, title, details, ...(sentNothing(title) ? {} : { ambiguous: true }) };
}

/** Failures that happen before a byte of the request can have reached the server. */
const NOTHING_SENT = new Set([
  'Timed out connecting',
  'Connection refused',
  'Host not found',
  'Channel closed',
]);

function sentNothing(title: string): boolean {
  return NOTHING_SENT.has(title);
}

function header(headers: GraphResponse['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Retry-After as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

export function snippet(text: string): string {
  const s = text.replace(/\s+/g, ' ').trim();
  return s.length > SNIPPET_CHARS ? `${s.slice(0, SNIPPET_CHARS)}…` : s;
}

/** JSON.parse that answers undefined instead of throwing. */
export function tryParseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Turns a Graph error body (`{ error: { code, message, error_data, error_subcode, error_user_title,
 * error_user_msg } }`) into ProviderErrorInfo; returns undefined if the body is not one.
 *
 * title: error_user_title when Meta gave one (template management), else `message` without its
 *        "(#131009) " prefix, which is the error's title as webhooks spell it.
 * details: error_user_msg, else error_data.details (error_data may also be a plain string);
 *          " (error_subcode N)" is appended when Meta sent a subcode, so that the stored
 *          error message shows it; `subcode` carries it for the classification too.
 */
export function graphError(
  json: unknown,
  httpStatus: number,
  headers: GraphResponse['headers'],
): ProviderErrorInfo | undefined {
  const err = prop(json, 'error');
  const code = prop(err, 'code');
  if (typeof code !== 'number') return undefined;
  const message = prop(err, 'message');
  const userTitle = prop(err, 'error_user_title');
  const userMsg = prop(err, 'error_user_msg');
  const data = prop(err, 'error_data');
  const subcode = prop(err, 'error_subcode');
  let title: string;
  if (typeof userTitle === 'string' && userTitle !== '') title = userTitle;
  else if (typeof message === 'string') title = stripCodePrefix(message, code);
  else title = `Graph error ${code}`;
  let details: string | undefined;
  if (typeof userMsg === 'string' && userMsg !== '') details = userMsg;
  else if (typeof data === 'string' && data !== '') details = data;
  else {
    const d = prop(data, 'details');
    if (typeof d === 'string') details = d;
  }
  if (typeof subcode === 'number') {
    details = details === undefined ? `error_subcode ${subcode}` : `${details} (error_subcode ${subcode})`;
  }
  const info: ProviderErrorInfo = { code, httpStatus, title };
  if (typeof subcode === 'number') info.subcode = subcode;
  if (details !== undefined) info.details = details;
  const retryAfter = parseRetryAfter(header(headers, 'retry-after'));
  if (retryAfter !== undefined) info.retryAfterSeconds = retryAfter;
  return info;
}

function stripCodePrefix(message: string, code: number): string {
  const prefix = `(#${code}) `;
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

/** An HTTP answer that is not a Graph error: an HTML 502 page, an empty 503, a JSON surprise. */
export function httpError(res: GraphResponse, title?: string): ProviderErrorInfo {
  const info: ProviderErrorInfo = {
    code: null,
    httpStatus: res.status,
    title: title ?? `HTTP ${res.status} ${STATUS_CODES[res.status] ?? ''}`.trimEnd(),
  };
  const contentType = header(res.headers, 'content-type');
  const body = res.text === '' ? 'empty body' : `body: ${snippet(res.text)}`;
  info.details = contentType === undefined ? body : `${contentType.split(';')[0]} ${body}`;
  const retryAfter = parseRetryAfter(header(res.headers, 'retry-after'));
  if (retryAfter !== undefined) info.retryAfterSeconds = retryAfter;
  return info;
}

/** Error for a response that is a Graph error, or any other non-2xx / unreadable answer. */
export function responseError(res: GraphResponse, json: unknown): ProviderErrorInfo {
  return graphError(json, res.status, res.headers) ?? httpError(res);
}
