/**
 * Convergence, as properties: Meta delivers webhooks late, twice and out of order, so what we
 * end up with may depend only on WHICH statuses and inbound times arrived, never on their order
 * or how often each came. Pure and fast: thousands of generated cases in well under a second.
 * fast-check prints the seed and the shrunk counterexample when a property fails.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { MESSAGE_STATUSES, type MessageStatus, type ProviderStatus } from './message';
import { mergeStatus } from './status-merge';
import { laterInbound, WHATSAPP_WINDOW, windowState } from './window';

const PROVIDER_STATUSES: readonly ProviderStatus[] = [
  'sent',
  'delivered',
  'read',
  'played',
  'failed',
  'deleted',
  'warning',
];
/** The order Meta would send them in if nothing were late: the reference fold. */
const CANONICAL: readonly ProviderStatus[] = [
  'sent',
  'failed',
  'delivered',
  'read',
  'played',
  'deleted',
  'warning',
];

/**
 * The same statuses in any order and with any duplication: every one of `base` at least once,
 * some of them again, shuffled.
 */
function reorderedWithDuplicates<T>(base: readonly T[]): fc.Arbitrary<T[]> {
  if (base.length === 0) return fc.constant([]);
  return fc.array(fc.constantFrom(...base), { maxLength: 12 }).chain((extra) => {
    const all = [...base, ...extra];
    return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
  });
}

const statusSets = fc.uniqueArray(fc.constantFrom(...PROVIDER_STATUSES), {
  maxLength: PROVIDER_STATUSES.length,
});

function fold(start: MessageStatus, incoming: readonly ProviderStatus[]): MessageStatus {
  return incoming.reduce<MessageStatus>((current, s) => mergeStatus(current, s).status, start);
}

const canonical = (set: readonly ProviderStatus[]) => CANONICAL.filter((s) => set.includes(s));

/**
 * The merge as a total order: everything before 'sent' < sent < failed < delivered < read
 * ('played' is read; 'deleted' and 'warning' are no steps). A failure beats anything that does
 * not prove the user has the message, and loses to anything that does.
 */
const ORDER: Readonly<Record<MessageStatus, number>> = {
  queued: 0,
  held: 0,
  cancelled: 0,
  expired: 0,
  sending: 1,
  unconfirmed: 1,
  in_doubt: 1,
  accepted: 2,
  sent: 3,
  failed: 4,
  delivered: 5,
  read: 6,
};

describe('status merge convergence', () => {
  it('any order and duplication of the same statuses, from any state, ends where the canonical order ends', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...MESSAGE_STATUSES),
        statusSets.chain((set) => fc.tuple(fc.constant(set), reorderedWithDuplicates(set))),
        (start, [set, arrived]) => {
          return fold(start, arrived) === fold(start, canonical(set));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('the result is the highest of the start and the arrived statuses in one total order', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...MESSAGE_STATUSES),
        fc.array(fc.constantFrom(...PROVIDER_STATUSES), { maxLength: 20 }),
        (start, arrived) => {
          const targets = arrived
            .filter((s) => s !== 'deleted' && s !== 'warning')
            .map((s): MessageStatus => (s === 'played' ? 'read' : s));
          const expected = [start, ...targets].reduce((a, b) => (ORDER[b] > ORDER[a] ? b : a));
          return fold(start, arrived) === expected;
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('every step moves forward or stays, reports `changed` exactly when it moves, and a replay changes nothing', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...MESSAGE_STATUSES),
        fc.array(fc.constantFrom(...PROVIDER_STATUSES), { maxLength: 20 }),
        (start, arrived) => {
          let current: MessageStatus = start;
          for (const s of arrived) {
            const r = mergeStatus(current, s);
            if (ORDER[r.status] < ORDER[current]) return false;
            if (r.changed !== (r.status !== current) || (r.stale && r.changed)) return false;
            current = r.status;
          }
          // Meta delivering the whole batch again: nothing moves.
          return arrived.every((s) => {
            const r = mergeStatus(current, s);
            return r.status === current && !r.changed;
          });
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

/** The rule the inbound applier and the contacts store apply: the window never moves back. */
const advance = (last: number | null, at: number): number => laterInbound(last, at);

// Milliseconds within a few days either side of a fixed instant, so `now` falls in and out of windows.
const T0 = Date.UTC(2026, 2, 3, 10, 0, 0);
const DAY = 24 * 3_600_000;
const times = fc.integer({ min: T0 - 3 * DAY, max: T0 + 3 * DAY });

describe('window convergence', () => {
  it('any order and duplication of the same inbound times gives the same last_inbound_at and window', () => {
    fc.assert(
      fc.property(
        fc.option(times, { nil: null }),
        fc
          .uniqueArray(times, { minLength: 1, maxLength: 10 })
          .chain((set) => fc.tuple(fc.constant(set), reorderedWithDuplicates(set))),
        times,
        (start, [set, arrived], now) => {
          const sorted = [...set].sort((a, b) => a - b);
          const reference = sorted.reduce(advance, start);
          const last = arrived.reduce(advance, start);
          const a = windowState(last, now);
          const b = windowState(reference, now);
          return (
            last === reference &&
            last === Math.max(start ?? Number.NEGATIVE_INFINITY, ...set) &&
            a.open === b.open &&
            a.expiresAt === b.expiresAt &&
            a.remainingMs === b.remainingMs
          );
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('no inbound message, however late, closes the window or brings its expiry forward', () => {
    fc.assert(
      fc.property(
        fc.option(times, { nil: null }),
        fc.array(times, { maxLength: 10 }),
        times,
        (start, arrived, now) => {
          let last = start;
          let state = windowState(last, now);
          for (const at of arrived) {
            last = advance(last, at);
            const next = windowState(last, now);
            if (state.open && !next.open) return false;
            if (next.remainingMs < state.remainingMs) return false;
            if (state.expiresAt !== null && next.expiresAt! < state.expiresAt) return false;
            if (next.expiresAt !== last + WHATSAPP_WINDOW.durationMs) return false;
            state = next;
          }
          return true;
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('windowState is monotonic in last_inbound_at at any instant', () => {
    fc.assert(
      fc.property(times, times, times, (a, b, now) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const early = windowState(lo, now);
        const late = windowState(hi, now);
        return (
          (!early.open || late.open) &&
          late.remainingMs >= early.remainingMs &&
          late.expiresAt! >= early.expiresAt! &&
          // Closed exactly at expiry, open just before it.
          !windowState(lo, lo + WHATSAPP_WINDOW.durationMs).open &&
          windowState(lo, lo + WHATSAPP_WINDOW.durationMs - 1).open
        );
      }),
      { numRuns: 2_000 },
    );
  });
});
