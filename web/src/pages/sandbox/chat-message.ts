/**
 * A message of a simulated user's chat (GET /v1/sandbox/users/{user}/inbox) as the phone bubble
 * draws it: what the business sent on the left, what the user wrote or tapped on the right with
 * WhatsApp's ticks (blue once the business read it).
 */
import type { components } from '../../api/schema';
import {
  type BubbleButton,
  type BubbleHeader,
  mediaName,
  type RenderedMessage,
} from '../../components/phone';

export type ChatMessage = components['schemas']['SandboxChatMessage'];
export type ChatButton = NonNullable<ChatMessage['buttons']>[number];

/** Meta's button types, which the bubble draws with their icons. */
const BUTTON_TYPE: Record<ChatButton['kind'], string> = {
  quick_reply: 'QUICK_REPLY',
  reply: 'QUICK_REPLY',
  list_row: 'QUICK_REPLY',
  url: 'URL',
  phone_number: 'PHONE_NUMBER',
  copy_code: 'COPY_CODE',
  otp: 'OTP',
};

/** The kinds whose tap sends something to the business; the others act on the phone only. */
export const TAPPABLE: ReadonlySet<ChatButton['kind']> = new Set(['quick_reply', 'reply', 'list_row']);

function headerOf(h: ChatMessage['header']): BubbleHeader | undefined {
  if (!h) return undefined;
  if (h.type === 'text') return { kind: 'text', text: h.text ?? '' };
  const kind = h.type === 'image' || h.type === 'document' || h.type === 'location' ? h.type : 'video';
  const name = h.filename ?? h.text ?? mediaName(h.link);
  return name ? { kind, name } : { kind };
}

export function bubbleOf(m: ChatMessage): RenderedMessage {
  const header = headerOf(m.header);
  const buttons: BubbleButton[] = (m.buttons ?? []).map((b) => ({
    type: BUTTON_TYPE[b.kind],
    text: b.text,
    ...(b.url ? { url: b.url } : {}),
    ...(b.phone_number ? { phone: b.phone_number } : {}),
  }));
  return {
    ...(header ? { header } : {}),
    body: m.text,
    ...(m.footer !== undefined ? { footer: m.footer } : {}),
    buttons,
    time: m.at,
    direction: m.direction === 'to_user' ? 'in' : 'out',
    ...(m.direction === 'from_user' ? { ticks: m.read ? ('read' as const) : ('delivered' as const) } : {}),
  };
}

/** "+54 9 11 5555-1234" → "5491155551234", or undefined when it cannot be a WhatsApp number. */
export function waIdOf(input: string): string | undefined {
  const digits = input.replace(/[\s()+.-]/g, '');
  return /^[1-9]\d{6,14}$/.test(digits) ? digits : undefined;
}
