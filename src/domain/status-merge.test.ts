import { describe, expect, it } from 'vitest';
import { MESSAGE_STATUSES, type MessageStatus, type ProviderStatus } from './message';
import { mergeStatus, STATUS_RANK } from './status-merge';

const moved = (status: MessageStatus) => ({ status, changed: true, stale: false });
const stale = (status: MessageStatus) => ({ status, changed: false, stale: true });
const noop = (status: MessageStatus) => ({ status, changed: false, stale: false });

describe('STATUS_RANK', () => {
  it('orders the forward lifecycle', () => {
    const ladder = ['queued', 'sending', 'accepted', 'sent', 'delivered', 'read'] as const;
    const ranks = ladder.map((s) => STATUS_RANK[s]);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(new Set(ranks).size).toBe(ladder.length);
  });
});

describe('mergeStatus', () => {
  it.each<[MessageStatus, ProviderStatus, ReturnType<typeof moved>]>([
    ['accepted', 'sent', moved('sent')],
    ['sent', 'delivered', moved('delivered')],
    ['delivered', 'read', moved('read')],
    ['accepted', 'read', moved('read')],
    // A status for a message whose send response was lost in a crash still lands.
    ['queued', 'sent', moved('sent')],
    ['sending', 'delivered', moved('delivered')],
  ])('%s + %s moves forward', (current, incoming, expected) => {
    expect(mergeStatus(current, incoming)).toEqual(expected);
  });

  it.each<[MessageStatus, ProviderStatus]>([
    ['sent', 'sent'],
    ['delivered', 'delivered'],
    ['read', 'read'],
    ['failed', 'failed'],
  ])('a duplicate %s is a no-op', (current, incoming) => {
    expect(mergeStatus(current, incoming)).toEqual(noop(current));
  });

  it.each<[MessageStatus, ProviderStatus]>([
    ['read', 'delivered'],
    ['read', 'sent'],
    ['delivered', 'sent'],
  ])('%s then a late %s is stale', (current, incoming) => {
    expect(mergeStatus(current, incoming)).toEqual(stale(current));
  });

  it('counts played as read', () => {
    expect(mergeStatus('delivered', 'played')).toEqual(moved('read'));
    expect(mergeStatus('read', 'played')).toEqual(noop('read'));
  });

  it.each<MessageStatus>(['queued', 'sending', 'accepted', 'sent'])('failed wins over %s', (current) => {
    expect(mergeStatus(current, 'failed')).toEqual(moved('failed'));
  });

  it.each<MessageStatus>(['delivered', 'read'])('failed after %s is stale: the user has it', (current) => {
    expect(mergeStatus(current, 'failed')).toEqual(stale(current));
  });

  it('lets proof of delivery beat an earlier failure report', () => {
    expect(mergeStatus('failed', 'delivered')).toEqual(moved('delivered'));
    expect(mergeStatus('failed', 'read')).toEqual(moved('read'));
    expect(mergeStatus('failed', 'played')).toEqual(moved('read'));
  });

  it('keeps failed when a late sent arrives', () => {
    expect(mergeStatus('failed', 'sent')).toEqual(stale('failed'));
  });

  it.each(MESSAGE_STATUSES)('deleted and warning never change %s', (current) => {
    expect(mergeStatus(current, 'deleted')).toEqual(noop(current));
    expect(mergeStatus(current, 'warning')).toEqual(noop(current));
  });

  it('reaches the same end state whatever order the webhooks arrive in', () => {
    const orders: ProviderStatus[][] = [
      ['sent', 'delivered', 'read'],
      ['read', 'delivered', 'sent'],
      ['delivered', 'read', 'sent', 'delivered'],
      ['sent', 'read', 'delivered', 'read'],
    ];
    for (const order of orders) {
      const end = order.reduce<MessageStatus>((s, incoming) => mergeStatus(s, incoming).status, 'accepted');
      expect(end).toBe('read');
    }
  });
});
