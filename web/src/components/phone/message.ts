/**
 * What a phone shows for one message, independent of where it came from: the template editor's
 * draft, POST /v1/templates/preview, or a message arriving in the sandbox phone. Values are
 * already filled in; the bubble only draws.
 */

export type BubbleHeader =
  | { kind: 'text'; text: string }
  /** `name`: the media's file name, shown on the placeholder (the file itself is never fetched). */
  | { kind: 'image' | 'video' | 'document'; name?: string }
  | { kind: 'location'; name?: string };

export interface BubbleButton {
  /** QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE, OTP (Meta's button types). */
  type: string;
  text: string;
  url?: string;
  phone?: string;
}

/** How far an outgoing message got: one grey tick, two grey ticks, two blue ticks. */
export type DeliveryTicks = 'sent' | 'delivered' | 'read';

export interface RenderedMessage {
  header?: BubbleHeader;
  /** The text with its values, WhatsApp formatting markers included (*bold*, _italic_…). */
  body: string;
  footer?: string;
  buttons?: BubbleButton[];
  time: Date | string | number;
  /** `in`: received on this phone (white, left); `out`: sent from it (green, right, with ticks). */
  direction: 'in' | 'out';
  /** Only drawn on outgoing messages. */
  ticks?: DeliveryTicks;
}

/** The last segment of a media link, without its query: what WhatsApp shows as the file name. */
export function mediaName(ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  const path = ref.split(/[?#]/)[0] ?? '';
  const last = path.split('/').filter(Boolean).pop();
  if (!last || /^https?:$/.test(last)) return undefined;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/** The `rendered` part of a POST /v1/templates/preview answer, as bubble props. */
export function bubbleFromPreview(rendered: {
  header?: {
    kind: 'text' | 'image' | 'video' | 'document' | 'location';
    text?: string;
    ref?: string;
    label?: string;
  };
  body: string;
  footer?: string;
  buttons: Array<{ type: string; text: string; url?: string; phone?: string }>;
}): Omit<RenderedMessage, 'time' | 'direction'> {
  const h = rendered.header;
  const header: BubbleHeader | undefined = !h
    ? undefined
    : h.kind === 'text'
      ? { kind: 'text', text: h.text ?? '' }
      : { kind: h.kind, ...((h.label ?? mediaName(h.ref)) ? { name: h.label ?? mediaName(h.ref) } : {}) };
  return {
    ...(header ? { header } : {}),
    body: rendered.body,
    ...(rendered.footer !== undefined ? { footer: rendered.footer } : {}),
    buttons: rendered.buttons.map((b) => ({
      type: b.type,
      text: b.text,
      ...(b.url ? { url: b.url } : {}),
      ...(b.phone ? { phone: b.phone } : {}),
    })),
  };
}
