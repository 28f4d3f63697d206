/**
 * The web app's typed client is generated from the API's OpenAPI document; this fails when a
 * route changed and web/src/api/schema.d.ts was not regenerated (`npm run web:api`), so the
 * pages are always type-checked against the API as it is.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { generateApiTypes } from '../../web/scripts/openapi-types';

it('web/src/api/schema.d.ts is what the API publishes (else: npm run web:api)', async () => {
  const committed = readFileSync(new URL('../../web/src/api/schema.d.ts', import.meta.url), 'utf8');
  expect(await generateApiTypes()).toBe(committed);
}, 60_000);
