/**
 * The health of one bot endpoint, folded from its delivery outcomes: a circuit breaker and the
 * `failing` mark.
 *
 * Breaker: after `failureThreshold` consecutive failures the endpoint is left alone for
 * `openMs` (doubling each time it opens again in the same failure streak, up to `maxOpenMs`);
 * its deliveries wait, and the wait costs them no attempt. When the pause is over one delivery
 * goes as a probe (half-open): a success closes the breaker, a failure opens it again.
 *
 * Failing: an endpoint whose breaker opened `failingAfterOpens` times without a success in
 * between, or one of whose deliveries used up its whole retry schedule, is marked failing until
 * its next success: shown on the endpoint, announced once by an `endpoint.failing` event.
 */

export interface EndpointHealth {
  consecutiveFailures: number;
  /** First failure of the current streak; null after a success. */
  failingSinceAt: number | null;
  /** The breaker is open until then; null or past: closed or half-open. */
  breakerUntil: number | null;
  /** Times the breaker opened in the current streak. */
  breakerOpens: number;
  /** When the endpoint was marked failing; null: not failing. */
  markedFailingAt: number | null;
}

export interface BreakerPolicy {
  failureThreshold: number;
  openMs: number;
  maxOpenMs: number;
  failingAfterOpens: number;
}

export const DEFAULT_BREAKER_POLICY: BreakerPolicy = Object.freeze({
  failureThreshold: 5,
  openMs: 30_000,
  maxOpenMs: 15 * 60_000,
  failingAfterOpens: 10,
});

export const HEALTHY: EndpointHealth = Object.freeze({
  consecutiveFailures: 0,
  failingSinceAt: null,
  breakerUntil: null,
  breakerOpens: 0,
  markedFailingAt: null,
});

export type BreakerState = 'closed' | 'open' | 'half_open';

export function breakerState(h: EndpointHealth, now: number, p: BreakerPolicy): BreakerState {
  if (h.breakerUntil !== null && now < h.breakerUntil) return 'open';
  return h.consecutiveFailures >= p.failureThreshold ? 'half_open' : 'closed';
}

export type FailingReason = 'breaker_opened_repeatedly' | 'delivery_gave_up';

export interface Outcome {
  at: number;
  ok: boolean;
  /** This failure used up the delivery's retry schedule. */
  gaveUp?: boolean;
}

/**
 * Folds outcomes (in the order they happened) into the health. `becameFailing` is set when the
 * endpoint was marked failing by these outcomes, so the caller announces it exactly once.
 */
export function applyOutcomes(
  health: EndpointHealth,
  outcomes: readonly Outcome[],
  p: BreakerPolicy,
): { health: EndpointHealth; becameFailing: FailingReason | undefined } {
  let h = { ...health };
  let becameFailing: FailingReason | undefined;
  for (const o of outcomes) {
    if (o.ok) {
      h = { ...HEALTHY };
      becameFailing = undefined;
      continue;
    }
    h.consecutiveFailures++;
    h.failingSinceAt ??= o.at;
    // Failures of requests already in flight when the breaker opened do not open it again.
    const open = h.breakerUntil !== null && o.at < h.breakerUntil;
    if (!open && h.consecutiveFailures >= p.failureThreshold) {
      const pause = Math.min(p.maxOpenMs, p.openMs * 2 ** Math.min(h.breakerOpens, 30));
      h.breakerUntil = o.at + pause;
      h.breakerOpens++;
    }
    if (h.markedFailingAt === null) {
      const reason: FailingReason | undefined = o.gaveUp
        ? 'delivery_gave_up'
        : h.breakerOpens >= p.failingAfterOpens
          ? 'breaker_opened_repeatedly'
          : undefined;
      if (reason) {
        h.markedFailingAt = o.at;
        becameFailing = reason;
      }
    }
  }
  return { health: h, becameFailing };
}
