import { describe, expect, it } from 'vitest';
import { applyOutcomes, type BreakerPolicy, breakerState, HEALTHY } from './endpoint-health';

const P: BreakerPolicy = { failureThreshold: 3, openMs: 1_000, maxOpenMs: 4_000, failingAfterOpens: 3 };
const fail = (at: number, gaveUp = false) => ({ at, ok: false, gaveUp });
const ok = (at: number) => ({ at, ok: true });

describe('endpoint health', () => {
  it('opens the breaker at the threshold, half-opens after the pause', () => {
    const { health } = applyOutcomes(HEALTHY, [fail(0), fail(1), fail(2)], P);
    expect(health).toMatchObject({
      consecutiveFailures: 3,
      failingSinceAt: 0,
      breakerUntil: 1_002,
      breakerOpens: 1,
    });
    expect(breakerState(health, 1_001, P)).toBe('open');
    expect(breakerState(health, 1_002, P)).toBe('half_open');
    expect(breakerState(HEALTHY, 0, P)).toBe('closed');
  });

  it('does not reopen for failures of requests already in flight, doubles the pause after a failed probe', () => {
    const a = applyOutcomes(HEALTHY, [fail(0), fail(0), fail(0), fail(10), fail(20)], P).health;
    expect(a).toMatchObject({ breakerUntil: 1_000, breakerOpens: 1 });
    const b = applyOutcomes(a, [fail(1_500)], P).health;
    expect(b).toMatchObject({ breakerUntil: 3_500, breakerOpens: 2 });
    const c = applyOutcomes(b, [fail(4_000)], P).health;
    expect(c.breakerUntil).toBe(8_000); // 4 s: the cap
  });

  it('marks the endpoint failing once, when the breaker kept opening', () => {
    let h = applyOutcomes(HEALTHY, [fail(0), fail(0), fail(0)], P).health;
    const second = applyOutcomes(h, [fail(2_000)], P);
    expect(second.becameFailing).toBeUndefined();
    const third = applyOutcomes(second.health, [fail(5_000)], P);
    expect(third.becameFailing).toBe('breaker_opened_repeatedly');
    expect(third.health.markedFailingAt).toBe(5_000);
    h = third.health;
    expect(applyOutcomes(h, [fail(20_000)], P).becameFailing).toBeUndefined();
  });

  it('marks it failing when a delivery used up its schedule', () => {
    const r = applyOutcomes(HEALTHY, [fail(7, true)], P);
    expect(r.becameFailing).toBe('delivery_gave_up');
    expect(r.health.markedFailingAt).toBe(7);
  });

  it('one success clears everything, within the same batch too', () => {
    const r = applyOutcomes(HEALTHY, [fail(0), fail(0), fail(0, true), ok(1)], P);
    expect(r.health).toEqual(HEALTHY);
    expect(r.becameFailing).toBeUndefined();
  });
});
