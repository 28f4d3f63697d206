import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSafeAgent, createSafePool, guardedLookup, type LookupFunction } from './safe-dispatcher';

// A real listener on loopback: the thing an attacker's URL would try to reach.
let server: Server;
let port: number;
beforeAll(async () => {
  server = createServer((_req, res) => res.end('internal secret'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** A resolver that answers fixed addresses, like a hostile DNS server would. */
const resolvesTo =
  (...addresses: string[]): LookupFunction =>
  (_host, options, cb) => {
    const list = addresses.map((a) => ({ address: a, family: a.includes(':') ? 6 : 4 }));
    if (options.all) cb(null, list);
    else cb(null, list[0]!.address, list[0]!.family);
  };

describe('safe dispatcher', () => {
  it('refuses a public-looking name that resolves to loopback, naming the address', async () => {
    const agent = createSafeAgent({ allowPrivate: false, lookup: resolvesTo('127.0.0.1') });
    const err = await request(`http://bot.example:${port}/`, { dispatcher: agent }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('ERR_RECONTACT_TARGET_FORBIDDEN');
    expect(err.message).toContain('bot.example → 127.0.0.1');
    expect(err.message).toContain('127.0.0.0/8');
    await agent.close();
  });

  it('refuses a name that resolves only to private addresses, IPv4 and IPv6', async () => {
    const agent = createSafeAgent({ allowPrivate: false, lookup: resolvesTo('10.0.0.1', '::1') });
    const err = await request(`http://mixed.example:${port}/`, { dispatcher: agent }).catch((e) => e);
    expect(err.code).toBe('ERR_RECONTACT_TARGET_FORBIDDEN');
    await agent.close();
  });

  it('refuses literal addresses without asking the resolver, in every spelling', async () => {
    let asked = 0;
    const lookup: LookupFunction = (h, o, cb) => {
      asked++;
      resolvesTo('127.0.0.1')(h, o, cb);
    };
    const agent = createSafeAgent({ allowPrivate: false, lookup });
    for (const host of [
      '127.0.0.1',
      '[::1]',
      '[::ffff:127.0.0.1]',
      '2130706433',
      '0x7f.1',
      '169.254.169.254',
    ]) {
      const err = await request(`http://${host}:${port}/`, { dispatcher: agent }).catch((e) => e);
      expect(err.code, host).toBe('ERR_RECONTACT_TARGET_FORBIDDEN');
    }
    expect(asked).toBe(0);
    await agent.close();
  });

  it('refuses localhost through the system resolver', async () => {
    const pool = createSafePool(`http://localhost:${port}`, { allowPrivate: false });
    const err = await pool.request({ method: 'GET', path: '/' }).catch((e) => e);
    expect(err.code).toBe('ERR_RECONTACT_TARGET_FORBIDDEN');
    await pool.close();
  });

  it('connects when private targets are allowed', async () => {
    const pool = createSafePool(`http://localhost:${port}`, { allowPrivate: true });
    const res = await pool.request({ method: 'GET', path: '/' });
    expect(await res.body.text()).toBe('internal secret');
    await pool.close();
  });

  it('keeps only the public addresses of a mixed answer', async () => {
    const lookup = guardedLookup(resolvesTo('10.0.0.1', '93.184.216.34', 'fd00::1', '2606:4700::1'));
    const all = await new Promise<unknown>((r) => lookup('mixed.example', { all: true }, (_e, a) => r(a)));
    expect(all).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:4700::1', family: 6 },
    ]);
    const one = await new Promise<unknown>((r) => lookup('mixed.example', {}, (_e, a) => r(a)));
    expect(one).toBe('93.184.216.34');
  });

  it('passes resolver failures through unchanged', async () => {
    const failing: LookupFunction = (_h, o, cb) =>
      cb(
        Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.example'), { code: 'ENOTFOUND' }),
        o.all ? [] : '',
      );
    const agent = createSafeAgent({ allowPrivate: false, lookup: failing });
    const err = await request('http://nowhere.example/', { dispatcher: agent }).catch((e) => e);
    expect(err.code).toBe('ENOTFOUND');
    await agent.close();
  });
});
