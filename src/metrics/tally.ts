/**
 * Counters and histograms for the hot paths (every send, every webhook body, every event
 * delivery). prom-client's own hash a child's labels again on each inc() or observe() (about
 * 0.5 µs each, measured); these keep plain numbers per child, which the caller looks up once,
 * and hand prom-client's registry the same text-format values when it is scraped.
 */
import type { Registry } from 'prom-client';

type Labels<L extends string> = Record<L, string>;

interface ValueLine {
  metricName?: string;
  labels: Record<string, string>;
  value: number;
}

abstract class TallyMetric<L extends string, C> {
  readonly aggregator = 'sum';
  private readonly children = new Map<string, { labels: Labels<L>; child: C }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram',
    readonly labelNames: readonly L[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** The child for these labels, made on first use: keep it, its updates are plain arithmetic. */
  labels(labels: Labels<L>): C {
    const key = this.labelNames.map((n) => labels[n]).join('\u0000');
    let entry = this.children.get(key);
    if (!entry) {
      entry = { labels: { ...labels }, child: this.newChild() };
      this.children.set(key, entry);
    }
    return entry.child;
  }

  async get() {
    const values: ValueLine[] = [];
    for (const { labels, child } of this.children.values()) values.push(...this.lines(labels, child));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.children.clear();
  }

  protected abstract newChild(): C;
  protected abstract lines(labels: Labels<L>, child: C): ValueLine[];
}

/** One counter series: a plain number. */
export class CounterCell {
  value = 0;

  inc(by = 1): void {
    this.value += by;
  }
}

export class TallyCounter<L extends string = never> extends TallyMetric<L, CounterCell> {
  constructor(registry: Registry, opts: { name: string; help: string; labelNames?: readonly L[] }) {
    super(opts.name, opts.help, 'counter', opts.labelNames ?? [], registry);
  }

  protected newChild(): CounterCell {
    return new CounterCell();
  }

  protected lines(labels: Labels<L>, cell: CounterCell): ValueLine[] {
    return [{ labels, value: cell.value }];
  }
}

/** One histogram series: a count per bucket (not cumulative; the last one is +Inf), the sum. */
export class HistogramCell {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

export class TallyHistogram<L extends string = never> extends TallyMetric<L, HistogramCell> {
  private readonly bounds: readonly number[];

  constructor(
    registry: Registry,
    opts: { name: string; help: string; buckets: readonly number[]; labelNames?: readonly L[] },
  ) {
    super(opts.name, opts.help, 'histogram', opts.labelNames ?? [], registry);
    this.bounds = [...opts.buckets].sort((a, b) => a - b);
  }

  protected newChild(): HistogramCell {
    return new HistogramCell(this.bounds);
  }

  protected lines(labels: Labels<L>, cell: HistogramCell): ValueLine[] {
    const out: ValueLine[] = [];
    const bucket = `${this.name}_bucket`;
    let cumulative = 0;
    this.bounds.forEach((bound, i) => {
      cumulative += cell.counts[i]!;
      out.push({ metricName: bucket, labels: { ...labels, le: String(bound) }, value: cumulative });
    });
    out.push({ metricName: bucket, labels: { ...labels, le: '+Inf' }, value: cell.count });
    out.push({ metricName: `${this.name}_sum`, labels, value: cell.sum });
    out.push({ metricName: `${this.name}_count`, labels, value: cell.count });
    return out;
  }
}
