/**
 * The sample Grafana dashboard (examples/grafana/recontact-dashboard.json) is well-formed and
 * queries only what the registry serves: every metric its PromQL names exists (a histogram's
 * _bucket, _sum and _count included), and every label it matches, groups or joins on, or shows
 * in a legend, is one those metrics carry (or Prometheus's own instance and job). A renamed
 * metric or label fails here instead of leaving an empty panel. No database is read: the
 * registry's metrics are declared when it is made (SQLite only, for the context it needs).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, type TestStore } from '../../test/support/stores';
import { createChannelSet } from '../channels/router';
import { createMetrics, type Metrics } from './registry';

const DASHBOARD = fileURLToPath(new URL('../../examples/grafana/recontact-dashboard.json', import.meta.url));
const SCRAPE_LABELS = ['instance', 'job'];
const METRIC = /\b(?:recontact|process|nodejs)_[a-z0-9_]+\b/g;

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: Array<{ expr: string; legendFormat?: string; datasource?: { uid: string } }>;
}

describe('the sample Grafana dashboard', () => {
  let store: TestStore;
  let metrics: Metrics;
  /** Every series name the registry writes, with the labels it may carry. */
  const known = new Map<string, string[]>();
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    uid: string;
    panels: Panel[];
    templating: { list: Array<{ name: string }> };
  };
  const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));

  beforeAll(async () => {
    store = await openTestStore('sqlite');
    const ctx = { store, clock: Date.now, id: (p: string) => `${p}_x`, log: pino({ level: 'silent' }) };
    metrics = createMetrics(ctx, { workerId: 'dashboard-test' });
    // The send counters are made with the channel they count.
    metrics.meter(createChannelSet({}));
    for (const m of metrics.registry.getMetricsAsArray()) {
      const {
        name,
        type,
        labelNames = [],
      } = m as unknown as { name: string; type: string; labelNames?: string[] };
      known.set(name, labelNames);
      if (type === 'histogram') {
        known.set(`${name}_bucket`, [...labelNames, 'le']);
        known.set(`${name}_sum`, labelNames);
        known.set(`${name}_count`, labelNames);
      }
    }
  });
  afterAll(() => store.destroy());

  it('is a dashboard whose panels all query the selected Prometheus', () => {
    expect(dashboard.uid).toBe('recontact-overview');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const graphs = dashboard.panels.filter((p) => p.type !== 'row');
    expect(graphs.length).toBeGreaterThan(10);
    for (const p of graphs) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      expect(p.datasource?.uid, p.title).toMatch(/^\$\{datasource\}$/);
    }
    const variables = new Set(dashboard.templating.list.map((v) => v.name));
    for (const q of queries) {
      for (const [, v] of q.expr.matchAll(/\$(\w+)/g)) {
        if (!v!.startsWith('__')) expect(variables, `${q.panel}: $${v}`).toContain(v);
      }
    }
  });

  it('queries only metrics the registry serves', () => {
    const named = new Set(queries.flatMap((q) => [...q.expr.matchAll(METRIC)].map((m) => m[0])));
    for (const name of named) expect([...known.keys()], name).toContain(name);
    // What the issue asks the dashboard to show.
    for (const needed of [
      'recontact_queue_messages',
      'recontact_sends_total',
      'recontact_meta_errors_total',
      'recontact_webhook_lag_seconds_bucket',
      'recontact_event_delivery_lag_seconds_bucket',
      'recontact_event_delivery_attempts_total',
      'recontact_account_lease_holder',
      'process_resident_memory_bytes',
    ]) {
      expect([...named]).toContain(needed);
    }
  });

  it('matches, groups by and shows only labels those metrics carry', () => {
    for (const q of queries) {
      const where = `${q.panel}: ${q.expr}`;
      const names = [...q.expr.matchAll(METRIC)].map((m) => m[0]);
      const carried = new Set([...SCRAPE_LABELS, ...names.flatMap((n) => known.get(n) ?? [])]);
      for (const [, name, matchers] of q.expr.matchAll(/\b([a-z_][a-z0-9_]*)\{([^}]*)\}/g)) {
        for (const [, label] of matchers!.matchAll(/([a-z_]+)\s*(?:=~|!=|!~|=)/g)) {
          expect([...SCRAPE_LABELS, ...(known.get(name!) ?? [])], where).toContain(label);
        }
      }
      for (const [, list] of q.expr.matchAll(
        /\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g,
      )) {
        for (const label of list!
          .split(',')
          .map((l) => l.trim())
          .filter(Boolean)) {
          expect([...carried], where).toContain(label);
        }
      }
      for (const [, label] of (q.legendFormat ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)) {
        expect([...carried], `${where} (legend)`).toContain(label);
      }
    }
  });
});
