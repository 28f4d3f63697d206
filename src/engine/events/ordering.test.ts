import { describe, expect, it } from 'vitest';
import { contactOfKey, orderingKeyOf } from './ordering';

describe('ordering keys', () => {
  it('orders everything about a contact by the contact, wherever the payload names it', () => {
    expect(orderingKeyOf('message.status', { id: 'msg_1', contact_id: 'ctc_1', status: 'read' })).toBe(
      'contact:ctc_1',
    );
    expect(orderingKeyOf('message.in_doubt', { message: { id: 'msg_1', contact_id: 'ctc_2' } })).toBe(
      'contact:ctc_2',
    );
    expect(orderingKeyOf('contact.opted_out', { account_id: 'acc', contact_id: 'ctc_3' })).toBe(
      'contact:ctc_3',
    );
    expect(orderingKeyOf('window.opened', { contact: { id: 'ctc_4', wa_id: '549' } })).toBe('contact:ctc_4');
    expect(orderingKeyOf('conversation.resumed', { contact: { id: 'ctc_5' }, waiting: {} })).toBe(
      'contact:ctc_5',
    );
    expect(contactOfKey('contact:ctc_5')).toBe('ctc_5');
  });

  it('orders the rest by what they are about; a payload naming nothing is unordered', () => {
    expect(orderingKeyOf('campaign.progress', { campaign: { id: 'cmp_1' }, counts: {} })).toBe(
      'campaign:cmp_1',
    );
    expect(
      orderingKeyOf('template.status', {
        account_id: 'acc_1',
        name: 'reminder',
        language: 'es_AR',
        status: 'APPROVED',
      }),
    ).toBe('template:acc_1:reminder:es_AR');
    expect(orderingKeyOf('endpoint.failing', { endpoint: { id: 'ep_1', url: 'https://…' } })).toBe(
      'endpoint:ep_1',
    );
    expect(orderingKeyOf('campaign.started', {})).toBeNull();
    expect(contactOfKey('campaign:cmp_1')).toBeNull();
    expect(contactOfKey(null)).toBeNull();
  });
});
