/**
 * What happens to a message a page sent: the echo at once (`message_echoes`, sender and
 * recipient swapped, `is_echo: true`, the sending app's id), `delivery` `deliveryMs` later (it
 * reaches the thread: `mids` and a `watermark`, the send time of the newest delivered message),
 * and `read` `readMs` after that (never on its own when null; at once when the person acts in
 * the thread). Receipts are watermarks (§4.4): everything sent at or before it is delivered, or
 * read. Each step is a FIFO with one timer (the WhatsApp lifecycle's DelayQueue).
 */
import { DelayQueue } from '../lifecycle';
import type { MessengerState, PageMessage } from './state';
import type { MessagingEvent, PageWebhooks } from './webhooks';

export interface PageDeliveryOptions {
  state: MessengerState;
  webhooks: PageWebhooks;
  deliveryMs: number;
  readMs: number | null;
  echoes: boolean;
  receipts: boolean;
  now: () => number;
  /** The message reached the person's thread. */
  deliverToUser: (m: PageMessage) => void;
  onChange: () => void;
}

export class PageDelivery {
  private readonly deliveredQ: DelayQueue<PageMessage>;
  private readonly readQ: DelayQueue<PageMessage> | null;

  constructor(private readonly o: PageDeliveryOptions) {
    this.deliveredQ = new DelayQueue(o.deliveryMs, (m) => this.onDelivered(m), o.onChange);
    this.readQ = o.readMs === null ? null : new DelayQueue(o.readMs, (m) => this.onRead(m), o.onChange);
  }

  pending(): number {
    return this.deliveredQ.size + (this.readQ?.size ?? 0);
  }

  clear(): void {
    this.deliveredQ.clear();
    this.readQ?.clear();
  }

  accept(m: PageMessage): void {
    if (this.o.echoes) this.o.webhooks.push(m.page, echoOf(m));
    this.deliveredQ.push(m);
  }

  /** The person opened the thread: everything delivered there is read now (one watermark). */
  readAll(pageId: string, psid: string): void {
    let newest: number | undefined;
    for (const entry of this.o.state.users.get(psid)?.inbox ?? []) {
      if (entry.pageId !== pageId || entry.read) continue;
      const m = this.o.state.messages.get(entry.mid);
      if (m && (newest === undefined || m.acceptedAt > newest)) newest = m.acceptedAt;
    }
    if (newest !== undefined) this.readUpTo(pageId, psid, newest);
  }

  private onDelivered(m: PageMessage): void {
    if (m.status !== 'accepted') return;
    // Someone who blocked the page after the send never gets it.
    if (this.o.state.users.get(m.psid)?.blocked) return;
    m.status = 'delivered';
    m.record.status = 'delivered';
    this.o.deliverToUser(m);
    if (this.o.receipts) {
      this.o.webhooks.push(m.page, {
        sender: { id: m.psid },
        recipient: { id: m.page.id },
        timestamp: this.o.now(),
        delivery: { mids: [m.mid], watermark: m.acceptedAt },
      });
    }
    this.readQ?.push(m);
  }

  private onRead(m: PageMessage): void {
    if (m.status === 'delivered') this.readUpTo(m.page.id, m.psid, m.acceptedAt);
  }

  private readUpTo(pageId: string, psid: string, watermark: number): void {
    let any = false;
    for (const entry of this.o.state.users.get(psid)?.inbox ?? []) {
      if (entry.pageId !== pageId || entry.read) continue;
      const m = this.o.state.messages.get(entry.mid);
      if (!m || m.acceptedAt > watermark) continue;
      entry.read = true;
      m.status = 'read';
      m.record.status = 'read';
      any = true;
    }
    const page = this.o.state.pages.get(pageId);
    if (!any || !page || !this.o.receipts) return;
    this.o.webhooks.push(page, {
      sender: { id: psid },
      recipient: { id: pageId },
      timestamp: this.o.now(),
      read: { watermark },
    });
  }
}

/**
 * The echo of what the page sent: text, or the attachment as posted; a utility template as
 * Meta's Conversations API shows one (§2.4): plain text when it is only a body, otherwise a
 * generic template card.
 */
function echoOf(m: PageMessage): MessagingEvent {
  const message: Record<string, unknown> = { is_echo: true, app_id: Number(m.page.appId), mid: m.mid };
  if (m.metadata !== undefined) message.metadata = m.metadata;
  const c = m.content;
  const posted = (m.record.body as { message?: { attachment?: unknown } }).message;
  if (c.type === 'text') message.text = c.text;
  else if (c.type === 'utility') {
    if (c.header === undefined && c.buttons.length === 0) message.text = c.text;
    else
      message.attachments = [
        {
          type: 'template',
          payload: {
            template_type: 'generic',
            elements: [
              {
                title: c.header || c.text,
                ...(c.header ? { subtitle: c.text } : {}),
                buttons: c.buttons.map((b) => ({ ...b })),
              },
            ],
          },
        },
      ];
  } else if (posted?.attachment !== undefined) message.attachments = [posted.attachment];
  return { sender: { id: m.page.id }, recipient: { id: m.psid }, timestamp: m.acceptedAt, message };
}
