/**
 * How long a client may take to send its request body. Node's own `requestTimeout` is one
 * number for the whole server, and 30 s is right for JSON but would cut off a 2 GiB CSV upload
 * on any link slower than 68 MB/s. So Node's check is off and this one takes its place:
 *
 * - every request must be received completely within `requestMs` of its headers (as before);
 * - a route marked `config: { upload: true }` gets `requestMs` plus one second per
 *   `minUploadBytesPerSecond` received: an upload that keeps moving at that rate is never cut
 *   off, one that stalls or trickles is, like any slow client.
 *
 * In-flight requests are checked together every `checkMs` (one interval, not a timer each: the
 * webhook route takes thousands of requests a second). A request past its deadline is answered
 * 408 REQUEST_TIMEOUT on its socket, which is then closed (clientErrorHandler, same shape as
 * every error).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { clientErrorHandler } from './http-errors';

export interface RequestDeadlines {
  requestMs: number;
  minUploadBytesPerSecond: number;
  checkMs: number;
}

export const DEFAULT_REQUEST_DEADLINES: RequestDeadlines = {
  requestMs: 30_000,
  // 256 KiB/s: a 2 GiB file may take up to about 2 h 20 min, a stalled one is cut after 30 s.
  minUploadBytesPerSecond: 256 * 1024,
  checkMs: 2_000,
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The body may be large: its deadline grows with the bytes received (request-deadlines.ts). */
    upload?: boolean;
  }
}

interface InFlight {
  req: FastifyRequest;
  startedAt: number;
  /** Socket bytes already read when the request started (earlier requests on a kept-alive socket). */
  socketBytesAtStart: number;
  upload: boolean;
}

export function installRequestDeadlines(
  app: FastifyInstance,
  limits: RequestDeadlines,
  newRequestId: () => string,
): void {
  const inFlight = new Set<InFlight>();
  const answerTimeout = clientErrorHandler(newRequestId);

  app.addHook('onRequest', async (req) => {
    if (req.raw.complete) return;
    const entry: InFlight = {
      req,
      startedAt: Date.now(),
      socketBytesAtStart: req.raw.socket?.bytesRead ?? 0,
      upload: req.routeOptions.config.upload === true,
    };
    inFlight.add(entry);
    const done = () => inFlight.delete(entry);
    req.raw.once('end', done);
    req.raw.once('close', done);
  });

  const check = () => {
    const now = Date.now();
    for (const entry of inFlight) {
      const raw = entry.req.raw;
      if (raw.complete || raw.destroyed) {
        inFlight.delete(entry);
        continue;
      }
      if (now < deadline(entry, limits)) continue;
      inFlight.delete(entry);
      const socket = raw.socket;
      if (socket && !socket.destroyed) {
        answerTimeout(
          Object.assign(new Error('request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }),
          socket,
        );
      }
    }
  };
  const timer = setInterval(check, limits.checkMs);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
}

function deadline(entry: InFlight, limits: RequestDeadlines): number {
  if (!entry.upload) return entry.startedAt + limits.requestMs;
  const received = (entry.req.raw.socket?.bytesRead ?? 0) - entry.socketBytesAtStart;
  return entry.startedAt + limits.requestMs + (received / limits.minUploadBytesPerSecond) * 1000;
}
