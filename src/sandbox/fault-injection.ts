/**
 * Faults on demand for the next sends, so a test can make "Meta" slow or broken for exactly N
 * requests and then healthy again:
 *
 *   POST /_sandbox/faults {"status": 503, "delay_ms": 2000, "trickle": 100, "count": 3}
 *
 * - `status`: answer with this HTTP error (4xx/5xx, Meta's error shape) instead of handling
 *   the send; the message is NOT accepted, so a retry is the first real send;
 * - `delay_ms`: wait this long before answering (with `status`) or before handling the send
 *   (without: the message is accepted late, as after a slow Meta);
 * - `trickle`: send the answer's body one byte every `trickle` ms;
 * - `count`: how many sends this applies to (default 1). Faults queue up in order;
 * - `sender`: only sends from this phone-number id (or page id), the id in the send's path, so
 *   one account can be slow or broken while the others are not; a send takes the first queued
 *   fault that applies to it.
 * `GET /_sandbox/faults` lists what is left, `DELETE /_sandbox/faults` clears it.
 * Sends are `POST /{version}/{phone-number-id}/messages`; nothing else is affected.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';

interface Fault {
  status: number | undefined;
  delayMs: number;
  trickleMs: number | undefined;
  left: number;
  sender: string | undefined;
}

const SEND_PATH = /^\/v\d+\.\d+\/([^/?]+)\/messages(\?|$)/;

type Obj = Record<string, unknown>;

/** Checks one field; returns the problem in words, or undefined. */
function intField(b: Obj, key: string, min: number, max: number): string | undefined {
  const v = b[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    return `${key} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`;
  }
  return undefined;
}

function errorBody(status: number) {
  if (status === 429) {
    return {
      error: {
        message: '(#130429) Rate limit hit',
        type: 'OAuthException',
        code: 130429,
        error_data: { messaging_product: 'whatsapp', details: 'Injected fault' },
        fbtrace_id: 'AfaultInjected',
      },
    };
  }
  const transient = status >= 500;
  return {
    error: {
      message: transient
        ? 'An unexpected error has occurred. Please retry your request later.'
        : 'Injected fault',
      type: 'OAuthException',
      code: transient ? 2 : 131000,
      is_transient: transient,
      fbtrace_id: 'AfaultInjected',
    },
  };
}

/** A body that comes out one byte at a time. */
function trickle(payload: unknown, everyMs: number): Readable {
  const bytes = Buffer.from(typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : '');
  let i = 0;
  let timer: NodeJS.Timeout | undefined;
  return new Readable({
    read() {
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        if (i >= bytes.length) this.push(null);
        else this.push(bytes.subarray(i, ++i));
      }, everyMs);
    },
    destroy(err, cb) {
      clearTimeout(timer);
      cb(err);
    },
  });
}

export function registerFaultInjection(app: FastifyInstance): void {
  const faults: Fault[] = [];
  const trickling = new WeakMap<FastifyRequest, number>();

  app.post('/_sandbox/faults', (req, reply) => {
    const b = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Obj;
    const problems = [
      intField(b, 'status', 400, 599),
      intField(b, 'delay_ms', 0, 600_000),
      intField(b, 'trickle', 1, 60_000),
      intField(b, 'count', 1, 100_000),
    ].filter((p): p is string => p !== undefined);
    if (b.sender !== undefined && (typeof b.sender !== 'string' || !/^\d{1,40}$/.test(b.sender))) {
      problems.push(`sender must be a phone-number id or page id (digits), got ${JSON.stringify(b.sender)}`);
    }
    if (b.status === undefined && b.delay_ms === undefined && b.trickle === undefined) {
      problems.push('give at least one of status, delay_ms, trickle');
    }
    if (problems.length) return reply.code(400).send({ error: { message: problems.join('; ') } });
    const fault: Fault = {
      status: b.status as number | undefined,
      delayMs: (b.delay_ms as number | undefined) ?? 0,
      trickleMs: b.trickle as number | undefined,
      left: (b.count as number | undefined) ?? 1,
      sender: b.sender as string | undefined,
    };
    faults.push(fault);
    return { queued: view(fault), pending: faults.reduce((n, f) => n + f.left, 0) };
  });
  app.get('/_sandbox/faults', () => ({ data: faults.map(view) }));
  app.delete('/_sandbox/faults', () => {
    faults.length = 0;
    return { success: true };
  });

  app.addHook('onRequest', async (req, reply) => {
    if (req.method !== 'POST' || faults.length === 0) return;
    const sender = SEND_PATH.exec(req.url)?.[1];
    if (sender === undefined) return;
    const at = faults.findIndex((f) => f.sender === undefined || f.sender === decodeURIComponent(sender));
    if (at < 0) return;
    const fault = faults[at]!;
    if (--fault.left === 0) faults.splice(at, 1);
    if (fault.trickleMs !== undefined) trickling.set(req, fault.trickleMs);
    if (fault.delayMs > 0) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault.status === undefined) return;
    reply.code(fault.status).send(errorBody(fault.status));
    return reply;
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const everyMs = trickling.get(req);
    if (everyMs === undefined) return payload;
    reply.removeHeader('content-length');
    const body = trickle(payload, everyMs);
    // A client that gave up never reads the rest: end the stream, or closing the server waits forever.
    reply.raw.once('close', () => body.destroy());
    return body;
  });
}

function view(f: Fault) {
  return {
    ...(f.status === undefined ? {} : { status: f.status }),
    delay_ms: f.delayMs,
    ...(f.trickleMs === undefined ? {} : { trickle: f.trickleMs }),
    count: f.left,
    ...(f.sender === undefined ? {} : { sender: f.sender }),
  };
}
