/**
 * Delivers webhooks the way Meta does: batched, signed, retried.
 *
 * - Items (statuses, inbound messages) produced within `batchMs` of each other go out in one
 *   POST: one envelope per WABA (and app secret), `entry[].changes[]` grouped by phone number.
 *   While a POST is in flight, new items wait and leave together when it completes.
 * - The body is ASCII-only JSON, signed with `X-Hub-Signature-256: sha256=<hex HMAC>`.
 * - Per URL, envelopes are delivered one at a time and in order; a failed one (non-2xx or
 *   unreachable) is retried with exponential backoff and holds back the ones behind it, until
 *   `maxAttempts`, when it is dropped. One undici Pool per origin (URLs of one receiver share it).
 * - Faults on request: duplicated items (sent again in a later POST), shuffled items and items
 *   held back one batch (so `read` may overtake `delivered`).
 */
import { createHmac } from 'node:crypto';
import { Pool } from 'undici';
import { toAsciiJson } from './json-ascii';
import { applyIdentity, type Usernames } from './usernames';

export interface WebhookSource {
  wabaId: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
  appSecret: string;
}

export interface WebhookItem {
  source: WebhookSource;
  kind: 'statuses' | 'messages';
  payload: Record<string, unknown>;
  /** `wa_id` is absent for a username-only user, who is named by `user_id` (BSUID) instead. */
  contact?: { profile: { name: string }; wa_id?: string; user_id?: string };
  duplicate?: boolean;
}

export interface WebhookEmitterOptions {
  batchMs: number;
  /** Exponential from baseMs, at most capMs apart (Meta keeps retrying for days). */
  retry: { baseMs: number; maxAttempts: number; capMs?: number };
  duplicateRate: number;
  reorder: boolean;
  random: () => number;
  /** Connections per receiver origin. */
  connections: number;
  /** Largest number of statuses/messages in one POST. */
  maxItemsPerPost: number;
  onChange: () => void;
}

export interface WebhookStats {
  /** POSTs answered 2xx. */
  delivered: number;
  /** POST attempts that failed (non-2xx or transport error). */
  failedAttempts: number;
  /** Envelopes given up after maxAttempts. */
  dropped: number;
}

interface Envelope {
  body: string;
  signature: string;
  attempts: number;
}

interface Channel {
  path: string;
  pool: Pool;
  items: WebhookItem[];
  envelopes: Envelope[];
  inFlight: boolean;
  batchTimer: NodeJS.Timeout | null;
  retryTimer: NodeJS.Timeout | null;
}

export class WebhookEmitter {
  private readonly channels = new Map<string, Channel>();
  private readonly pools = new Map<string, Pool>();
  private closed = false;
  readonly stats: WebhookStats = { delivered: 0, failedAttempts: 0, dropped: 0 };

  constructor(private readonly opts: WebhookEmitterOptions) {}

  /** Items and envelopes not yet delivered (or dropped), in-flight ones included. */
  pending(): number {
    let n = 0;
    for (const ch of this.channels.values()) n += ch.items.length + ch.envelopes.length;
    return n;
  }

  /**
   * Users with usernames (usernames.ts): their items get the BSUID fields, and lose the phone
   * when it is hidden. Set once by the sandbox's wiring.
   */
  private names: Usernames | undefined;

  useUsernames(names: Usernames): void {
    this.names = names;
  }

  /** Queues one status or inbound message for `url`; it leaves with its batch. */
  push(url: string, item: WebhookItem): void {
    const ch = this.channel(url);
    if (!ch) return;
    ch.items.push(this.names ? applyIdentity(item, this.names) : item);
    if (!ch.inFlight && !ch.retryTimer && !ch.batchTimer && ch.envelopes.length === 0) this.armBatch(ch);
  }

  /** Queues a ready envelope (template events) after whatever is already buffered for `url`. */
  pushEnvelope(url: string, appSecret: string, payload: unknown): void {
    const ch = this.channel(url);
    if (!ch) return;
    this.form(ch, false);
    ch.envelopes.push(this.seal(payload, appSecret));
    this.pump(ch);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const ch of this.channels.values()) {
      if (ch.batchTimer) clearTimeout(ch.batchTimer);
      if (ch.retryTimer) clearTimeout(ch.retryTimer);
      ch.items = [];
      ch.envelopes = [];
    }
    this.channels.clear();
    await Promise.all([...this.pools.values()].map((p) => p.destroy().catch(() => {})));
    this.pools.clear();
  }

  private channel(url: string): Channel | null {
    if (this.closed) return null;
    let ch = this.channels.get(url);
    if (ch) return ch;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      this.stats.dropped += 1;
      return null;
    }
    let pool = this.pools.get(parsed.origin);
    if (!pool) {
      pool = new Pool(parsed.origin, {
        connections: this.opts.connections,
        headersTimeout: 15_000,
        bodyTimeout: 15_000,
        keepAliveTimeout: 10_000,
      });
      this.pools.set(parsed.origin, pool);
    }
    ch = {
      path: parsed.pathname + parsed.search,
      pool,
      items: [],
      envelopes: [],
      inFlight: false,
      batchTimer: null,
      retryTimer: null,
    };
    this.channels.set(url, ch);
    return ch;
  }

  private armBatch(ch: Channel): void {
    ch.batchTimer = setTimeout(() => {
      ch.batchTimer = null;
      this.pump(ch);
    }, this.opts.batchMs);
  }

  private seal(payload: unknown, appSecret: string): Envelope {
    const body = toAsciiJson(payload);
    const signature = 'sha256=' + createHmac('sha256', appSecret).update(body).digest('hex');
    return { body, signature, attempts: 0 };
  }

  /** Turns the buffered items into envelopes (one per WABA and secret, chunked). */
  private form(ch: Channel, allowHold: boolean): void {
    if (ch.items.length === 0) return;
    let items = ch.items;
    ch.items = [];
    const { random, reorder, duplicateRate } = this.opts;
    if (reorder) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        const tmp = items[i] as WebhookItem;
        items[i] = items[j] as WebhookItem;
        items[j] = tmp;
      }
      if (allowHold && items.length > 1) {
        const now: WebhookItem[] = [];
        for (const it of items) (random() < 0.25 ? ch.items : now).push(it);
        items = now;
      }
    }
    const groups = new Map<string, WebhookItem[]>();
    for (const it of items) {
      const key = it.source.wabaId + '\n' + it.source.appSecret;
      const g = groups.get(key);
      if (g) g.push(it);
      else groups.set(key, [it]);
    }
    const max = this.opts.maxItemsPerPost;
    for (const g of groups.values()) {
      for (let i = 0; i < g.length; i += max) {
        const chunk = g.slice(i, i + max);
        const source = chunk[0]?.source as WebhookSource;
        ch.envelopes.push(this.seal(envelopeOf(source.wabaId, chunk), source.appSecret));
      }
    }
    if (duplicateRate > 0) {
      for (const it of items)
        if (!it.duplicate && random() < duplicateRate) ch.items.push({ ...it, duplicate: true });
    }
  }

  private pump(ch: Channel): void {
    if (this.closed || ch.inFlight || ch.retryTimer) return;
    if (ch.batchTimer) {
      clearTimeout(ch.batchTimer);
      ch.batchTimer = null;
    }
    if (ch.envelopes.length === 0) this.form(ch, true);
    const env = ch.envelopes[0];
    if (!env) {
      // Everything was held back (reorder fault): try again after a batch interval.
      if (ch.items.length > 0) this.armBatch(ch);
      this.opts.onChange();
      return;
    }
    ch.inFlight = true;
    this.post(ch, env).then((ok) => {
      ch.inFlight = false;
      if (this.closed) return;
      if (ok) {
        this.stats.delivered += 1;
        ch.envelopes.shift();
      } else {
        this.stats.failedAttempts += 1;
        env.attempts += 1;
        if (env.attempts >= this.opts.retry.maxAttempts) {
          this.stats.dropped += 1;
          ch.envelopes.shift();
        } else {
          ch.retryTimer = setTimeout(
            () => {
              ch.retryTimer = null;
              this.pump(ch);
            },
            Math.min(
              this.opts.retry.capMs ?? Number.POSITIVE_INFINITY,
              this.opts.retry.baseMs * 2 ** (env.attempts - 1),
            ),
          );
          return;
        }
      }
      this.pump(ch);
    });
  }

  private async post(ch: Channel, env: Envelope): Promise<boolean> {
    try {
      const res = await ch.pool.request({
        path: ch.path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'facebookexternalua',
          'x-hub-signature-256': env.signature,
        },
        body: env.body,
      });
      await res.body.dump();
      return res.statusCode >= 200 && res.statusCode < 300;
    } catch {
      return false;
    }
  }
}

/** `{object, entry: [{id: wabaId, changes: [{value, field}]}]}`, one change per number and kind. */
function envelopeOf(wabaId: string, items: WebhookItem[]): unknown {
  const changes = new Map<
    string,
    { source: WebhookSource; kind: WebhookItem['kind']; list: unknown[]; contacts: Map<string, unknown> }
  >();
  for (const it of items) {
    const key = it.source.phoneNumberId + '\n' + it.kind;
    let c = changes.get(key);
    if (!c) {
      c = { source: it.source, kind: it.kind, list: [], contacts: new Map() };
      changes.set(key, c);
    }
    c.list.push(it.payload);
    const who = it.contact?.wa_id ?? it.contact?.user_id;
    if (it.contact && who !== undefined && !c.contacts.has(who)) c.contacts.set(who, it.contact);
  }
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: wabaId,
        changes: [...changes.values()].map((c) => {
          const value: Record<string, unknown> = {
            messaging_product: 'whatsapp',
            metadata: {
              display_phone_number: c.source.displayPhoneNumber,
              phone_number_id: c.source.phoneNumberId,
            },
          };
          if (c.contacts.size > 0) value.contacts = [...c.contacts.values()];
          value[c.kind] = c.list;
          return { value, field: 'messages' };
        }),
      },
    ],
  };
}
