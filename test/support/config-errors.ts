import { expect } from 'vitest';
import { loadConfig } from '../../src/config';
import { RecontactError } from '../../src/domain/errors';

/** The error loadConfig stops the start with for `env`; the test fails if it does not throw one. */
export function configErrorOf(env: Record<string, string>, label?: string): RecontactError {
  let err: unknown;
  try {
    loadConfig(env);
  } catch (e) {
    err = e;
  }
  expect(err, label ?? JSON.stringify(env)).toBeInstanceOf(RecontactError);
  return err as RecontactError;
}
