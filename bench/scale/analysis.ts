/**
 * What the scale-out bench concludes from its samples (monitor.ts) and from the final state:
 * per-number fairness, how the account leases were split, how long a dead worker's accounts
 * took to move and send again, and whether every message was sent exactly once.
 */
import type { Sample } from './monitor';

export interface NumberFigure {
  name: string;
  /** Accepted per second at the sandbox within the window. */
  rate: number;
  /** Its part of everything accepted within the window (1 / numbers when fair). */
  share: number;
}

export interface Fairness {
  /** Epoch ms: the window in which every number had started and none had finished. */
  from: number;
  to: number;
  /** From the first number's first acceptance to the last number's. */
  startSkewMs: number;
  perNumber: NumberFigure[];
  /** Numbers whose share fell below half of the fair share. */
  starved: string[];
}

const total = (s: Sample) => s.accepted.reduce((a, b) => a + b, 0);

/**
 * Shares over the stretch where every number was sending: from the first sample in which each
 * had an acceptance to the first in which one was done (or the last before `until`, a kill), so
 * that neither the workers taking their accounts one by one at start nor a number that finished
 * early passes for starvation. The start is reported on its own, as the skew.
 */
export function fairness(samples: Sample[], names: string[], perNumber: number, until = Infinity): Fairness {
  const first = samples.findIndex((s) => total(s) > 0);
  const last = samples.findIndex((s) => s.accepted.every((n) => n > 0));
  const startSkewMs = first >= 0 && last >= 0 ? samples[last]!.t - samples[first]!.t : Number.NaN;
  let i = last >= 0 ? last : Math.max(0, first);
  let j = samples.findIndex((s, k) => k > i && (s.t >= until || s.accepted.some((n) => n >= perNumber)));
  if (j === -1) j = samples.length - 1;
  if (samples[j]!.t >= until && j - 1 > i) j--;
  // Never an empty window: with very few messages a number may finish before the last starts.
  if (j <= i) {
    i = Math.max(0, first - 1);
    j = samples.length - 1;
  }
  const a = samples[i]!;
  const b = samples[j]!;
  const windowMs = b.t - a.t;
  const sum = total(b) - total(a);
  const figures = names.map((name, n) => {
    const d = b.accepted[n]! - a.accepted[n]!;
    return { name, rate: (d * 1000) / windowMs, share: sum > 0 ? d / sum : 0 };
  });
  const fair = 1 / names.length;
  return {
    from: a.t,
    to: b.t,
    startSkewMs,
    perNumber: figures,
    starved: figures.filter((f) => f.share < fair / 2).map((f) => f.name),
  };
}

export interface LeaseSplit {
  /** Holder → the accounts it held at the middle of the run. */
  atMiddle: Record<string, string[]>;
  /** Holder → share of account-time held over the run (0–1 of all accounts × time). */
  heldShare: Record<string, number>;
  /** Times an account's lease went from one live holder to another. */
  moves: number;
}

/**
 * `atMiddle` is read in the middle of the steady window (fairness), the shares and moves over
 * the whole of [from, to].
 */
export function leaseSplit(
  samples: Sample[],
  steady: { from: number; to: number },
  from: number,
  to: number,
): LeaseSplit {
  const within = samples.filter((s) => s.t >= from && s.t <= to);
  const mid = (steady.from + steady.to) / 2;
  const middle = samples.find((s) => s.t >= mid) ?? samples[samples.length - 1]!;
  const atMiddle: Record<string, string[]> = {};
  for (const [account, holder] of middle.holders) atMiddle[holder] = [...(atMiddle[holder] ?? []), account];
  for (const list of Object.values(atMiddle)) list.sort(byNumber);
  const counts: Record<string, number> = {};
  let slots = 0;
  let moves = 0;
  // The last live holder of each account: a lease that lapsed before another took it still
  // counts as one move.
  const lastHolder = new Map<string, string>();
  for (const s of within) {
    slots += s.holders.size;
    for (const [account, holder] of s.holders) {
      counts[holder] = (counts[holder] ?? 0) + 1;
      const before = lastHolder.get(account);
      if (before !== undefined && before !== holder) moves++;
      lastHolder.set(account, holder);
    }
  }
  const heldShare: Record<string, number> = {};
  for (const [holder, n] of Object.entries(counts)) heldShare[holder] = slots ? n / slots : 0;
  return { atMiddle, heldShare, moves };
}

export interface Takeover {
  account: string;
  /** From the kill until the survivor held the account's lease. */
  leaseMovedMs: number | null;
  /** From the kill until the sandbox accepted the account's next send. */
  resumedMs: number | null;
}

/**
 * For each account the victim held when it was killed: when the survivor took the lease, and
 * when the number's sends were accepted again after that (sends the victim had already written
 * to its sockets may still land after the kill; they are not the survivor's).
 */
export function takeovers(
  samples: Sample[],
  names: string[],
  killAt: number,
  victim: string,
  survivor: string,
): Takeover[] {
  const before = [...samples].reverse().find((s) => s.t < killAt);
  if (!before) return [];
  const held = [...before.holders].filter(([, h]) => h === victim).map(([a]) => a);
  return held.sort(byNumber).map((account) => {
    const n = names.indexOf(account);
    const m = samples.findIndex((s) => s.t > killAt && s.holders.get(account) === survivor);
    const moved = samples[m];
    const base = samples[m - 1];
    const resumed =
      moved && base ? samples.slice(m).find((s) => s.accepted[n]! > base.accepted[n]!) : undefined;
    return {
      account,
      leaseMovedMs: moved ? moved.t - killAt : null,
      resumedMs: resumed ? resumed.t - killAt : null,
    };
  });
}

export interface Verdict {
  messages: number;
  /** accepted, sent, delivered or read in Recontact. */
  accepted: number;
  failed: number;
  /** Held `in_doubt` by DISPATCH_IN_DOUBT=fail: the sandbox had accepted them, or never saw them. */
  inDoubtReachedMeta: number;
  inDoubtNeverSent: number;
  /** queued, sending or unconfirmed when the run ended. */
  unsettled: number;
  /** Recorded as accepted, yet the sandbox never accepted them. */
  acceptedNotAtMeta: number;
  /** Accepts at the sandbox beyond the first of one message id. */
  duplicates: number;
  /** Message ids the sandbox accepted that Recontact does not have. */
  unknownAtMeta: number;
  /** acceptedNotAtMeta + unsettled: must be 0. */
  lost: number;
}

const DONE = new Set(['accepted', 'sent', 'delivered', 'read']);
const UNSETTLED = new Set(['queued', 'sending', 'unconfirmed']);

export function verdict(
  rows: ReadonlyArray<{ id: string; status: string }>,
  /** Our message id (biz_opaque_callback_data) → times the sandbox accepted it. */
  atMeta: ReadonlyMap<string, number>,
): Verdict {
  const v: Verdict = {
    messages: rows.length,
    accepted: 0,
    failed: 0,
    inDoubtReachedMeta: 0,
    inDoubtNeverSent: 0,
    unsettled: 0,
    acceptedNotAtMeta: 0,
    duplicates: 0,
    unknownAtMeta: 0,
    lost: 0,
  };
  const ids = new Set<string>();
  for (const r of rows) {
    ids.add(r.id);
    const n = atMeta.get(r.id) ?? 0;
    if (DONE.has(r.status)) {
      v.accepted++;
      if (n === 0) v.acceptedNotAtMeta++;
    } else if (r.status === 'failed') v.failed++;
    else if (r.status === 'in_doubt') {
      if (n > 0) v.inDoubtReachedMeta++;
      else v.inDoubtNeverSent++;
    } else if (UNSETTLED.has(r.status)) v.unsettled++;
  }
  for (const [id, n] of atMeta) {
    if (n > 1) v.duplicates += n - 1;
    if (!ids.has(id)) v.unknownAtMeta++;
  }
  v.lost = v.acceptedNotAtMeta + v.unsettled;
  return v;
}

/** scale-2 before scale-10. */
function byNumber(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
