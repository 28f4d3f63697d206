import { describe, expect, it } from 'vitest';
import { newEndpointSecret, signPayload, verifyEvent } from './signing';

describe('Standard Webhooks signatures', () => {
  const secret = newEndpointSecret();
  const body = '{"type":"message.reply","data":{"text":"¿sí?"}}';
  const headers = (sig: string) => ({
    'webhook-id': 'evt_1',
    'webhook-timestamp': '1764000000',
    'webhook-signature': sig,
  });
  const good = signPayload(secret, 'evt_1', 1764000000, body);

  it('accepts the signature over the exact body, also among several (secret rotation)', () => {
    expect(good).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verifyEvent(secret, headers(good), body)).toBe(true);
    expect(verifyEvent(secret, headers(`v1,AAAA ${good}`), body)).toBe(true);
  });

  it('refuses a changed body, another secret, another id, or missing headers', () => {
    expect(verifyEvent(secret, headers(good), body.replace('sí', 'no'))).toBe(false);
    expect(verifyEvent(newEndpointSecret(), headers(good), body)).toBe(false);
    expect(verifyEvent(secret, { ...headers(good), 'webhook-id': 'evt_2' }, body)).toBe(false);
    expect(verifyEvent(secret, { 'webhook-signature': good }, body)).toBe(false);
  });
});
