import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../domain/errors';
import { HTTP_STATUS } from './http-errors';

// The catalogue, its HTTP mapping and the README's table must not drift apart.
describe('error catalogue', () => {
  const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');

  it.each(Object.keys(ERROR_CODES))('%s has an HTTP status and a README row', (code) => {
    const status = HTTP_STATUS[code as keyof typeof HTTP_STATUS];
    expect(status).toBeGreaterThanOrEqual(400);
    expect(readme).toContain(`| \`${code}\` | ${status} |`);
  });
});
