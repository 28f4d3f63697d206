/**
 * TRUST_PROXY: behind a load balancer that terminates https, the forwarded protocol makes the
 * session cookie Secure and the forwarded address is the client's (what rate limits count);
 * without it, neither header is believed, since any client could send them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { configErrorOf } from '../support/config-errors';
import { type Harness, startHarness } from '../support/harness';
import { call } from '../support/web-session';

describe('TRUST_PROXY', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const signInOverForwardedHttps = (hh: Harness) =>
    call(hh.url, 'POST', '/v1/session', {
      body: { api_key: hh.key },
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' },
    });

  it('one hop trusted: the cookie of a session opened over https at the balancer is Secure', async () => {
    h = await startHarness('sqlite', { env: { TRUST_PROXY: '1' } });
    const res = await signInOverForwardedHttps(h);
    expect(res.status).toBe(201);
    expect(res.setCookie).toContain('Secure');
  });

  it('nothing trusted (the default): forwarded headers change nothing', async () => {
    h = await startHarness('sqlite');
    const res = await signInOverForwardedHttps(h);
    expect(res.status).toBe(201);
    expect(res.setCookie).not.toContain('Secure');
  });

  it('reads true, hops, and address lists, and names the setting for anything else', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
    ]);
    const err = configErrorOf({ TRUST_PROXY: 'yes please' });
    expect(err.details).toEqual([
      { path: 'TRUST_PROXY', message: expect.stringContaining('a number of proxy hops') },
    ]);
  });
});
