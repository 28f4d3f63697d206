/**
 * Messenger webhooks (reference §4.2–4.4): `{object: "page", entry: [{id: pageId, time,
 * messaging: [event]}]}`, millisecond times, signed X-Hub-Signature-256 with the page's app
 * secret over the exact (ASCII-only) bytes. Events produced within `batchMs` of each other for
 * one webhook URL leave in one POST, as several `entry` items (one event per entry, as Meta's
 * samples show), or, with `grouping: "messaging"`, one entry per page holding several events;
 * `maxEventsPerPost: 1` turns batching off. Signing, ordering per URL and retries with back-off
 * are the WhatsApp emitter's (webhook-emitter.ts): one delivery queue per URL for both channels.
 * Template status changes go as `entry[].changes[]`, after whatever is buffered for that URL.
 */
import type { WebhookEmitter } from '../webhook-emitter';
import type { PageState } from './state';

export type MessagingEvent = Record<string, unknown>;

export interface PageWebhookOptions {
  emitter: WebhookEmitter;
  batchMs: number;
  maxEventsPerPost: number;
  grouping: 'entry' | 'messaging';
  now: () => number;
  onChange: () => void;
}

interface Batch {
  url: string;
  secret: string;
  events: Array<{ pageId: string; event: MessagingEvent }>;
  timer: NodeJS.Timeout | null;
}

export class PageWebhooks {
  private readonly buffers = new Map<string, Batch>();

  constructor(private readonly o: PageWebhookOptions) {}

  /** Events waiting for their batch (the emitter counts those already sealed). */
  pending(): number {
    let n = 0;
    for (const b of this.buffers.values()) n += b.events.length;
    return n;
  }

  clear(): void {
    for (const b of this.buffers.values()) if (b.timer) clearTimeout(b.timer);
    this.buffers.clear();
  }

  /** Queues one `messaging[]` event of the page; it leaves with its batch. Nothing without a URL. */
  push(page: PageState, event: MessagingEvent): void {
    if (!page.webhookUrl) return;
    const key = page.webhookUrl + '\n' + page.appSecret;
    let b = this.buffers.get(key);
    if (!b) {
      b = { url: page.webhookUrl, secret: page.appSecret, events: [], timer: null };
      this.buffers.set(key, b);
    }
    b.events.push({ pageId: page.id, event });
    if (b.events.length >= this.o.maxEventsPerPost) this.flush(b);
    else if (!b.timer) {
      const buf = b;
      buf.timer = setTimeout(() => {
        buf.timer = null;
        this.flush(buf);
        this.o.onChange();
      }, this.o.batchMs);
    }
  }

  /** A `changes[]` envelope (template status) for the page, after the events buffered before it. */
  pushChange(page: PageState, field: string, value: Record<string, unknown>): void {
    if (!page.webhookUrl) return;
    const b = this.buffers.get(page.webhookUrl + '\n' + page.appSecret);
    if (b) this.flush(b);
    this.o.emitter.pushEnvelope(page.webhookUrl, page.appSecret, {
      object: 'page',
      entry: [{ id: page.id, time: this.o.now(), changes: [{ field, value }] }],
    });
  }

  private flush(b: Batch): void {
    if (b.timer) {
      clearTimeout(b.timer);
      b.timer = null;
    }
    while (b.events.length > 0) {
      const chunk = b.events.splice(0, this.o.maxEventsPerPost);
      this.o.emitter.pushEnvelope(b.url, b.secret, { object: 'page', entry: this.entries(chunk) });
    }
  }

  private entries(chunk: Batch['events']): unknown[] {
    const time = this.o.now();
    if (this.o.grouping === 'entry') {
      return chunk.map((c) => ({ id: c.pageId, time, messaging: [c.event] }));
    }
    const out: Array<{ id: string; time: number; messaging: MessagingEvent[] }> = [];
    for (const c of chunk) {
      const last = out[out.length - 1];
      if (last && last.id === c.pageId) last.messaging.push(c.event);
      else out.push({ id: c.pageId, time, messaging: [c.event] });
    }
    return out;
  }
}
