import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT, hashPassword, needsRehash, verifyNobody, verifyPassword } from './passwords';

const FAST = { N: 2 ** 10, r: 8, p: 1 };

describe('password hashing', () => {
  it('stores scrypt with its parameters and a per-hash salt, and verifies only the same password', async () => {
    const a = await hashPassword('correct horse battery staple');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    const b = await hashPassword('correct horse battery staple');
    expect(b).not.toBe(a);
    expect(await verifyPassword('correct horse battery staple', a)).toBe(true);
    expect(await verifyPassword('correct horse battery staplE', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('verifies with the parameters stored in the hash, not today’s', async () => {
    const weak = await hashPassword('an older passphrase', FAST);
    expect(weak.startsWith('scrypt$1024$8$1$')).toBe(true);
    expect(await verifyPassword('an older passphrase', weak)).toBe(true);
    expect(needsRehash(weak)).toBe(true);
    expect(needsRehash(await hashPassword('x', DEFAULT_SCRYPT))).toBe(false);
  });

  it('treats composed and decomposed accents as the same password', async () => {
    const h = await hashPassword('contraseña segura', FAST);
    expect(await verifyPassword('contrasen\u0303a segura', h)).toBe(true);
  });

  it('refuses hashes it cannot read or that would cost too much', async () => {
    const good = await hashPassword('passphrase one', FAST);
    const parts = good.split('$');
    for (const bad of [
      '',
      'plain',
      `bcrypt$${parts.slice(1).join('$')}`,
      [...parts.slice(0, 1), String(2 ** 24), ...parts.slice(2)].join('$'),
      [...parts.slice(0, 1), '1000', ...parts.slice(2)].join('$'),
      [...parts.slice(0, 5), 'c2hvcnQ'].join('$'),
    ]) {
      expect(await verifyPassword('passphrase one', bad), bad).toBe(false);
      expect(needsRehash(bad)).toBe(true);
    }
  });

  it('spends a real verification on an unknown user, as long as for a known one', async () => {
    const known = await hashPassword('the real passphrase');
    await verifyNobody('warm up');
    const time = async (f: () => Promise<unknown>) => {
      const t = performance.now();
      await f();
      return performance.now() - t;
    };
    const real: number[] = [];
    const nobody: number[] = [];
    // Alternating, median of three: other work on a shared machine slows both alike.
    for (let i = 0; i < 3; i++) {
      real.push(await time(() => verifyPassword('a wrong guess', known)));
      nobody.push(await time(() => verifyNobody('a wrong guess')));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[1]!;
    expect(await verifyNobody('the real passphrase')).toBe(false);
    // Same parameters, same work: within a factor of three, where a skipped hash would be 100× apart.
    expect(median(nobody)).toBeGreaterThan(median(real) / 3);
    expect(median(nobody)).toBeLessThan(median(real) * 3);
  });
});
