/**
 * Window timers: when `window.expiring` and `window.expired` are due for one window, and what
 * a timer that comes due late still does.
 *
 *   expiring  due lead time before the close (WINDOW_EXPIRING_LEAD, 1 h). Fired while the
 *             window is still open; skipped when it comes due only after the close (the process
 *             was down through the whole lead time): a warning after the fact misleads.
 *   expired   due at the close; fired however late, because "only a template reaches them now"
 *             stays true and is what the bot acts on.
 *
 * A timer belongs to one window (its last inbound time). A newer inbound message replaces both
 * timers with the new window's; a timer of an older window never fires for a newer one.
 */
import { WHATSAPP_WINDOW, type WindowPolicy } from '../window';

export const WINDOW_TIMER_KINDS = ['expiring', 'expired'] as const;
export type WindowTimerKind = (typeof WINDOW_TIMER_KINDS)[number];

export const DEFAULT_EXPIRING_LEAD_MS = 60 * 60 * 1000;

export interface TimerDue {
  kind: WindowTimerKind;
  dueAt: number;
}

/** The two timers of the window opened by `lastInboundAt`. */
export function windowTimers(
  lastInboundAt: number,
  leadMs: number,
  policy: WindowPolicy = WHATSAPP_WINDOW,
): TimerDue[] {
  const closesAt = lastInboundAt + policy.durationMs;
  return [
    // A lead longer than the window: due as soon as the window opens.
    { kind: 'expiring', dueAt: Math.max(lastInboundAt, closesAt - leadMs) },
    { kind: 'expired', dueAt: closesAt },
  ];
}

/** What a due timer does now: fire its event, or be skipped (see above). */
export function timerOutcome(
  kind: WindowTimerKind,
  lastInboundAt: number,
  now: number,
  policy: WindowPolicy = WHATSAPP_WINDOW,
): 'fire' | 'skip' {
  if (kind === 'expired') return 'fire';
  return now < lastInboundAt + policy.durationMs ? 'fire' : 'skip';
}
