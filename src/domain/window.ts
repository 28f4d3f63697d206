/**
 * The customer-service window: a user's message opens it, and it stays open for a fixed time
 * after the user's LAST inbound message. Only the user moves it; our own sends (templates
 * included) never extend it, so the state is derived from lastInboundAt alone and never stored.
 */

const HOUR_MS = 60 * 60 * 1000;

export type WindowChannel = 'whatsapp' | 'messenger';

/** How long one channel keeps a window open; a policy object so Messenger can add its own. */
export interface WindowPolicy {
  channel: WindowChannel;
  durationMs: number;
}

export const WHATSAPP_WINDOW: WindowPolicy = Object.freeze({ channel: 'whatsapp', durationMs: 24 * HOUR_MS });

export interface WindowState {
  open: boolean;
  /** When the window closes (or closed); null when the user never wrote to us. */
  expiresAt: number | null;
  lastInboundAt: number | null;
  /** 0 once closed. */
  remainingMs: number;
}

export function windowState(
  lastInboundAt: number | null,
  now: number,
  policy: WindowPolicy = WHATSAPP_WINDOW,
): WindowState {
  if (lastInboundAt === null) {
    return { open: false, expiresAt: null, lastInboundAt: null, remainingMs: 0 };
  }
  const expiresAt = lastInboundAt + policy.durationMs;
  // Closed AT expiresAt, not after it: Meta's 24 h is a hard limit, and a send that leaves
  // at the last millisecond arrives after it and fails with 131047.
  const open = now < expiresAt;
  return { open, expiresAt, lastInboundAt, remainingMs: open ? expiresAt - now : 0 };
}

/**
 * True while the window is still open but will close within thresholdMs: the moment to act
 * (hand over to an agent, send a free-form follow-up) before a template becomes necessary.
 * Takes `now` again because a state may be computed once and checked later.
 */
export function isExpiringSoon(state: WindowState, now: number, thresholdMs: number): boolean {
  if (state.expiresAt === null) return false;
  const remaining = state.expiresAt - now;
  return remaining > 0 && remaining <= thresholdMs;
}

/**
 * The last inbound time after one more inbound message: it only ever moves forward, so webhooks
 * that arrive late or out of order can never shorten a window. (The store applies the same rule
 * in SQL, where several processes write.)
 */
export function laterInbound(last: number | null, at: number): number {
  return last === null || at > last ? at : last;
}
