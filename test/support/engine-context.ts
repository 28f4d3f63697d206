/** What an engine unit test hands the code under test: its store, a clock it controls, ids, no logs. */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { createIdGenerator } from '../../src/domain/ids';
import type { EngineContext } from '../../src/engine/context';
import type { TestStore } from './stores';

export function testContext(store: TestStore, clock: () => number): EngineContext {
  const gen = createIdGenerator((n) => randomBytes(n));
  return { store, clock, id: (p) => gen(p, clock()), log: pino({ level: 'silent' }) };
}
