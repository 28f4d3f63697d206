/** The WhatsApp-like phone: a chat frame and its message bubbles, for previews and the sandbox phone. */

export {
  type BubbleButton,
  type BubbleHeader,
  bubbleFromPreview,
  type DeliveryTicks,
  mediaName,
  type RenderedMessage,
} from './message';
export { MessageBubble, type MessageBubbleProps } from './message-bubble';
export { PhoneFrame, type PhoneFrameProps } from './phone-frame';
export { type FormatSpan, formatWhatsApp } from './whatsapp-format';
