import { describe, expect, it } from 'vitest';
import { verifyHandshake } from './handshake';

const TOKEN = 'recontact-verify-7f3a';

describe('verifyHandshake', () => {
  it('answers the challenge when mode is subscribe and the token matches', () => {
    expect(
      verifyHandshake(
        { 'hub.mode': 'subscribe', 'hub.verify_token': TOKEN, 'hub.challenge': '1158201444' },
        TOKEN,
      ),
    ).toStrictEqual({ ok: true, challenge: '1158201444' });
  });

  it('reads qs-style nested parameters too', () => {
    expect(
      verifyHandshake({ hub: { mode: 'subscribe', verify_token: TOKEN, challenge: 'abc' } }, TOKEN),
    ).toStrictEqual({ ok: true, challenge: 'abc' });
  });

  it('403 on a wrong token, a wrong mode, or an empty configured token', () => {
    expect(
      verifyHandshake({ 'hub.mode': 'subscribe', 'hub.verify_token': 'nope', 'hub.challenge': '1' }, TOKEN),
    ).toStrictEqual({ ok: false, status: 403, reason: 'hub.verify_token does not match' });
    expect(
      verifyHandshake({ 'hub.mode': 'unsubscribe', 'hub.verify_token': TOKEN, 'hub.challenge': '1' }, TOKEN),
    ).toStrictEqual({ ok: false, status: 403, reason: 'hub.mode is "unsubscribe", expected "subscribe"' });
    expect(
      verifyHandshake({ 'hub.mode': 'subscribe', 'hub.verify_token': 'x', 'hub.challenge': '1' }, ''),
    ).toMatchObject({
      ok: false,
      status: 403,
    });
  });

  it('400 on missing or repeated parameters', () => {
    expect(verifyHandshake({}, TOKEN)).toStrictEqual({
      ok: false,
      status: 400,
      reason: 'hub.mode is missing',
    });
    expect(verifyHandshake({ 'hub.mode': 'subscribe', 'hub.challenge': '1' }, TOKEN)).toStrictEqual({
      ok: false,
      status: 400,
      reason: 'hub.verify_token is missing',
    });
    expect(
      verifyHandshake({ 'hub.mode': 'subscribe', 'hub.verify_token': TOKEN, 'hub.challenge': '' }, TOKEN),
    ).toStrictEqual({
      ok: false,
      status: 400,
      reason: 'hub.challenge is missing',
    });
    expect(
      verifyHandshake(
        { 'hub.mode': 'subscribe', 'hub.verify_token': [TOKEN, TOKEN], 'hub.challenge': '1' },
        TOKEN,
      ),
    ).toStrictEqual({ ok: false, status: 400, reason: 'hub.verify_token must be a single string' });
  });
});
