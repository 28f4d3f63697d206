/**
 * What happens to an accepted message: `sent` after sentMs, `delivered` (it reaches the
 * simulated phone) deliveredMs later, `read` readMs after that (never when readMs is null,
 * or earlier when the user answers). A message accepted outside the window fails at the
 * `sent` step with 131047, a marketing template to a user who stopped marketing with 131050. Each step is a FIFO queue with one timer: the delay is the same
 * for every message, so due times are already in order and 20,000 messages cost 3 timers.
 */
import { performance } from 'node:perf_hooks';
import { asyncError } from './errors';
import { conversationId } from './ids';
import { type MessageState, type PricingCategory, WINDOW_MS } from './state';

export class DelayQueue<T> {
  private items: Array<{ due: number; item: T } | undefined> = [];
  private head = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly delayMs: number,
    private readonly run: (item: T) => void,
    private readonly onChange: () => void,
  ) {}

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push({ due: performance.now() + this.delayMs, item });
    if (!this.timer) this.arm();
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.items = [];
    this.head = 0;
  }

  private arm(): void {
    const next = this.items[this.head];
    if (!next) {
      this.items = [];
      this.head = 0;
      return;
    }
    this.timer = setTimeout(() => this.fire(), Math.max(0, next.due - performance.now()));
  }

  private fire(): void {
    this.timer = null;
    const now = performance.now() + 1;
    while (this.head < this.items.length) {
      const next = this.items[this.head];
      if (!next || next.due > now) break;
      this.items[this.head] = undefined;
      this.head++;
      this.run(next.item);
    }
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.arm();
    this.onChange();
  }
}

const MARKETING_STOPPED = 131050;
const MARKETING_STOPPED_DETAILS =
  'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.';

/** Per-message pricing took effect on 2025-07-01; from 2026-10-01 service and in-window utility are billed. */
const SERVICE_BILLED_FROM = Date.UTC(2026, 9, 1);

export function pricingOf(
  category: PricingCategory,
  windowOpen: boolean,
  at: number,
): Record<string, unknown> {
  const freeInWindow =
    at < SERVICE_BILLED_FROM && (category === 'service' || (category === 'utility' && windowOpen));
  return {
    billable: !freeInWindow,
    pricing_model: 'PMP',
    type: freeInWindow ? 'free_customer_service' : 'regular',
    category,
  };
}

export interface LifecycleOptions {
  sentMs: number;
  deliveredMs: number;
  readMs: number | null;
  skipDelivered: boolean;
  now: () => number;
  /** A status webhook item is ready (the caller decides whether and where it goes). */
  emitStatus: (m: MessageState, status: Record<string, unknown>) => void;
  /** The message reached the user's phone. */
  deliverToUser: (m: MessageState) => void;
  /** Whether the recipient stopped marketing messages from the sending number (131050). */
  marketingStopped?: (m: MessageState) => boolean;
  onChange: () => void;
}

export class MessageLifecycle {
  private readonly sentQ: DelayQueue<MessageState>;
  private readonly deliveredQ: DelayQueue<MessageState>;
  private readonly readQ: DelayQueue<MessageState> | null;
  /** `${phoneNumberId}:${waId}:${category}` → open conversation (id, expiry in ms). */
  private readonly conversations = new Map<string, { id: string; expiresAt: number }>();

  constructor(private readonly o: LifecycleOptions) {
    this.sentQ = new DelayQueue(o.sentMs, (m) => this.onSent(m), o.onChange);
    this.deliveredQ = new DelayQueue(o.deliveredMs, (m) => this.onDelivered(m), o.onChange);
    this.readQ = o.readMs === null ? null : new DelayQueue(o.readMs, (m) => this.markRead(m), o.onChange);
  }

  pending(): number {
    return this.sentQ.size + this.deliveredQ.size + (this.readQ?.size ?? 0);
  }

  accept(m: MessageState): void {
    // Meta accepts a marketing template to someone who stopped marketing, then fails it.
    if (!m.failure && m.category === 'marketing' && this.o.marketingStopped?.(m)) {
      m.failure = { code: MARKETING_STOPPED, details: MARKETING_STOPPED_DETAILS };
    }
    this.sentQ.push(m);
  }

  clear(): void {
    this.sentQ.clear();
    this.deliveredQ.clear();
    this.readQ?.clear();
  }

  /** Marks a delivered message read (the user opened or answered it) and reports it. */
  markRead(m: MessageState): void {
    if (m.status !== 'delivered') return;
    m.status = 'read';
    m.record.status = 'read';
    if (m.inboxEntry) m.inboxEntry.read = true;
    this.o.emitStatus(m, this.status(m, 'read'));
  }

  private onSent(m: MessageState): void {
    if (m.failure) {
      m.status = 'failed';
      m.record.status = 'failed';
      m.record.errorCode = m.failure.code;
      const s = this.status(m, 'failed');
      s.errors = [asyncError(m.failure.code, m.failure.details)];
      this.o.emitStatus(m, s);
      return;
    }
    m.status = 'sent';
    m.record.status = 'sent';
    this.o.emitStatus(m, this.status(m, 'sent'));
    this.deliveredQ.push(m);
  }

  private onDelivered(m: MessageState): void {
    if (m.status !== 'sent') return;
    m.status = 'delivered';
    m.record.status = 'delivered';
    if (!this.o.skipDelivered) this.o.emitStatus(m, this.status(m, 'delivered'));
    this.readQ?.push(m);
    this.o.deliverToUser(m);
  }

  private status(m: MessageState, status: string): Record<string, unknown> {
    const at = this.o.now();
    const s: Record<string, unknown> = {
      id: m.wamid,
      status,
      timestamp: String(Math.floor(at / 1000)),
      recipient_id: m.waId,
    };
    if (m.bizOpaque !== undefined) s.biz_opaque_callback_data = m.bizOpaque;
    if (status === 'sent' || status === 'delivered') {
      const conv = this.conversation(m, at);
      s.conversation =
        status === 'sent'
          ? {
              id: conv.id,
              expiration_timestamp: String(Math.floor(conv.expiresAt / 1000)),
              origin: { type: m.category },
            }
          : { id: conv.id, origin: { type: m.category } };
      s.pricing = pricingOf(m.category, m.windowOpen, m.acceptedAt);
    }
    return s;
  }

  private conversation(m: MessageState, at: number): { id: string; expiresAt: number } {
    const key = `${m.account.phoneNumberId}:${m.waId}:${m.category}`;
    let c = this.conversations.get(key);
    if (!c || c.expiresAt <= at) {
      c = { id: conversationId(), expiresAt: at + WINDOW_MS };
      this.conversations.set(key, c);
    }
    return c;
  }
}
