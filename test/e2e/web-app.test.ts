/**
 * The web app is served by the API process: its page at `/` and at every page address (a reload
 * or a shared link opens the same page), its hashed assets cached for good, under a policy that
 * lets it run only its own scripts; the API's own 404s stay JSON.
 */
import { readdirSync } from 'node:fs';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_APP_CSP } from '../../src/api/security-headers';
import { type Harness, startHarness } from '../support/harness';

describe('web app', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('sqlite');
  });
  afterAll(() => h.close());

  it('answers its page at / and at a page address, never cached, under its own policy', async () => {
    for (const path of ['/', '/campaigns', '/contacts/549110000?tab=thread']) {
      const res = await request(`${h.url}${path}`);
      const body = await res.body.text();
      expect(res.statusCode, path).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toBe(WEB_APP_CSP);
      expect(body).toContain('<div id="root"></div>');
    }
  });

  it('serves the built assets with a long cache, and a missing one is a 404', async () => {
    const js = readdirSync(new URL('../../web/dist/assets/', import.meta.url)).find((f) => f.endsWith('.js'));
    expect(js).toBeDefined();
    const res = await request(`${h.url}/assets/${js}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toContain('immutable');
    await res.body.dump();
    const missing = await request(`${h.url}/assets/nope-123.js`);
    expect(missing.statusCode).toBe(404);
    await missing.body.dump();
  });

  it('leaves the API answering JSON, with its own policy', async () => {
    const res = await request(`${h.url}/v1/nothing-here`);
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect((await res.body.json()) as object).toMatchObject({ error: { code: 'ROUTE_NOT_FOUND' } });
  });
});
