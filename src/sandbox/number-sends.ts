/**
 * What each phone number sent, as Meta's side sees it: sends accepted, sends refused for the
 * number's throughput (130429), the most accepted within any one second, and the sender's
 * duplicates — the same biz_opaque_callback_data accepted more than once, which is how a sender
 * that sent one message twice shows at Meta. Benchmarks of many numbers judge pacing, fairness
 * and exactly-once by it (GET /_sandbox/sends, sends-route.ts).
 */

export interface NumberSendsView {
  phone_number_id: string;
  accepted: number;
  /** Sends refused with 130429 because the number was over its throughput. */
  throttled: number;
  /** Different biz_opaque_callback_data values accepted (sends without one are not counted). */
  distinct_callback_data: number;
  /** Accepts beyond the first of the same biz_opaque_callback_data. */
  duplicates: number;
  /** The most sends accepted within any 1,000 ms (sliding, on the sandbox clock). */
  busiest_second: number;
  /** Sandbox clock, epoch milliseconds; null before the first accept. */
  first_accepted_ms: number | null;
  last_accepted_ms: number | null;
}

const SECOND_MS = 1_000;

export class NumberSends {
  private accepted = 0;
  private throttled = 0;
  private duplicates = 0;
  private busiest = 0;
  private first: number | null = null;
  private last: number | null = null;
  /** biz_opaque_callback_data → how many accepted sends carried it. */
  readonly callbackCounts = new Map<string, number>();
  /** Accept times still inside the last second, oldest first from `head` (a queue without shifts). */
  private recent: number[] = [];
  private head = 0;

  constructor(readonly phoneNumberId: string) {}

  accept(at: number, bizOpaque: string | undefined): void {
    this.accepted++;
    this.first ??= at;
    this.last = at;
    if (bizOpaque !== undefined) {
      const n = (this.callbackCounts.get(bizOpaque) ?? 0) + 1;
      this.callbackCounts.set(bizOpaque, n);
      if (n > 1) this.duplicates++;
    }
    this.recent.push(at);
    while (this.recent[this.head]! <= at - SECOND_MS) this.head++;
    this.busiest = Math.max(this.busiest, this.recent.length - this.head);
    // Drop what the window has left behind once it is most of the array, so memory stays at
    // about one second of sends.
    if (this.head > 1024 && this.head * 2 > this.recent.length) {
      this.recent = this.recent.slice(this.head);
      this.head = 0;
    }
  }

  throttle(): void {
    this.throttled++;
  }

  view(): NumberSendsView {
    return {
      phone_number_id: this.phoneNumberId,
      accepted: this.accepted,
      throttled: this.throttled,
      distinct_callback_data: this.callbackCounts.size,
      duplicates: this.duplicates,
      busiest_second: this.busiest,
      first_accepted_ms: this.first,
      last_accepted_ms: this.last,
    };
  }
}
