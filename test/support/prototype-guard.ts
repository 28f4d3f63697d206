/**
 * Fails the file that wrote to Object.prototype. Generated hostile input favours keys such as
 * `__proto__` and `valueOf`, and a test helper that writes `o[k][j] = v` with them poisons every
 * later file in the same worker, where the failure then shows up far from its cause.
 */
import { afterAll } from 'vitest';

const proto = Object.prototype as Record<PropertyKey, unknown>;
const original = new Map(Reflect.ownKeys(proto).map((k) => [k, Object.getOwnPropertyDescriptor(proto, k)!]));

afterAll(() => {
  const touched: string[] = [];
  for (const k of Reflect.ownKeys(proto)) {
    const was = original.get(k);
    const now = Object.getOwnPropertyDescriptor(proto, k)!;
    if (was && was.value === now.value && was.get === now.get && was.set === now.set) continue;
    touched.push(String(k));
    if (was) Object.defineProperty(proto, k, was);
    else delete proto[k];
  }
  if (touched.length) throw new Error(`this file wrote to Object.prototype: ${touched.join(', ')}`);
});
