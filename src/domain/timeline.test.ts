import { describe, expect, it } from 'vitest';
import { orderTimeline, type TimelineEntry } from './timeline';

const T = Date.parse('2026-11-25T09:23:30.000Z');
let n = 0;
/** Ids grow in the order entries are written, as the store's time-ordered ids do. */
const e = (status: string, at: number, source: string): TimelineEntry => ({
  id: `mev_${String(n++).padStart(4, '0')}`,
  status,
  at,
  source,
});
const order = (entries: TimelineEntry[]) => orderTimeline(entries).map((x) => `${x.status}/${x.clock}`);

describe('timeline order', () => {
  it("lists Meta's second-precision 'sent' after our 'accepted' in the same second", () => {
    const entries = [
      e('queued', T + 100, 'api'),
      e('sent', T, 'webhook'),
      e('accepted', T + 619, 'dispatcher'),
      e('delivered', T, 'webhook'),
      e('read', T + 1000, 'webhook'),
    ];
    expect(order(entries)).toEqual([
      'queued/recontact',
      'accepted/recontact',
      'sent/meta',
      'delivered/meta',
      'read/meta',
    ]);
  });

  it('keeps retries in time order between the attempts', () => {
    const entries = [
      e('queued', T, 'api'),
      e('retry_scheduled', T + 10, 'dispatcher'),
      e('retry_scheduled', T + 50, 'dispatcher'),
      e('accepted', T + 900, 'dispatcher'),
      e('sent', T, 'webhook'),
    ];
    expect(order(entries)).toEqual([
      'queued/recontact',
      'retry_scheduled/recontact',
      'retry_scheduled/recontact',
      'accepted/recontact',
      'sent/meta',
    ]);
  });

  it("lists a reply after 'read' when both webhooks carry the same second", () => {
    const entries = [
      e('queued', T, 'api'),
      e('replied', T + 2000, 'webhook'),
      e('read', T + 2000, 'webhook'),
    ];
    expect(order(entries)).toEqual(['queued/recontact', 'read/meta', 'replied/meta']);
  });

  it("places Meta's 'failed' after 'sent', and a later 'delivered' after the failure", () => {
    const entries = [
      e('queued', T, 'api'),
      e('accepted', T + 300, 'dispatcher'),
      e('sent', T, 'webhook'),
      e('failed', T + 1000, 'webhook'),
      e('delivered', T + 5000, 'webhook'),
    ];
    expect(order(entries)).toEqual([
      'queued/recontact',
      'accepted/recontact',
      'sent/meta',
      'failed/meta',
      'delivered/meta',
    ]);
  });

  it('keeps our own entries in time order when the lifecycle loops back, and unknown entries in place', () => {
    const entries = [
      e('queued', T, 'api'),
      e('unconfirmed', T + 100, 'dispatcher'),
      e('requeued', T + 200, 'recovery'),
      e('queued', T + 300, 'recovery'),
      e('accepted', T + 400, 'dispatcher'),
      e('sent', T, 'webhook'),
    ];
    expect(order(entries)).toEqual([
      'queued/recontact',
      'unconfirmed/recontact',
      'requeued/recontact',
      'queued/recontact',
      'accepted/recontact',
      'sent/meta',
    ]);
  });

  it('leaves the input untouched', () => {
    const entries = [e('sent', T, 'webhook'), e('queued', T + 5, 'api')];
    const copy = structuredClone(entries);
    orderTimeline(entries);
    expect(entries).toEqual(copy);
  });
});
