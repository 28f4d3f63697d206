/**
 * recontact.config.yaml at start, on both databases: declared accounts are written (secrets
 * from ${VAR} references), are read-only through the API except for `disabled`, an account left
 * out of the file is disabled and handed to the API (said in the log), one put back is enabled,
 * a name taken by an API account stops the start and changes nothing. And an account created
 * through one process is found by another as soon as a webhook names it.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { RecontactError } from '../../src/domain/errors';
import { createLogger } from '../../src/logger';
import { DIALECTS, openTestStore, TEST_SECRET_KEY, type TestStore } from '../support/stores';

const SECRETS = {
  PAGE_TOKEN: 'cfg-page-token-81f0',
  NUMBER_TOKEN: 'cfg-number-token-22a9',
  META_APP_SECRET: 'cfg-app-secret-77c1',
};

const page = (name: string, id: string, extra = '') => `  - channel: messenger
    name: ${name}
    page_id: "${id}"
    page_token: \${PAGE_TOKEN}
    app_secret: \${META_APP_SECRET}
    verify_token: verify-${name}
${extra}`;

const number = (name: string, id: string, extra = '') => `  - channel: whatsapp
    name: ${name}
    phone_number_id: "${id}"
    waba_id: "200000000000001"
    access_token: \${NUMBER_TOKEN}
    app_secret: \${META_APP_SECRET}
    verify_token: verify-${name}
    base_url: http://127.0.0.1:9
${extra}`;

describe.each(DIALECTS)('the config file on %s', (dialect) => {
  let store: TestStore;
  const apps: App[] = [];
  let now = 1_790_000_000_000;
  const lines: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'recontact-config-e2e-'));
  const file = join(dir, 'recontact.config.yaml');

  afterEach(async () => {
    for (const a of apps.splice(0)) await a.stop();
    await store.destroy();
  });

  const start = async (yaml: string | undefined) => {
    if (yaml !== undefined) writeFileSync(file, `accounts:\n${yaml}`);
    const config = loadConfig(
      {
        LOG_LEVEL: 'info',
        DATABASE_URL: store.url,
        ...(dialect === 'postgres' ? { RECONTACT_SECRET_KEY: TEST_SECRET_KEY } : {}),
        ...SECRETS,
      },
      yaml === undefined ? {} : { configFile: file },
    );
    const sink = new Writable({
      write(chunk, _e, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const app = await createApp({
      config,
      store,
      clock: () => now,
      logger: createLogger('info', sink),
      accountRefresh: { throttleMs: 0 },
    });
    apps.push(app);
    return app;
  };
  const stop = async (app: App) => {
    apps.splice(apps.indexOf(app), 1);
    await app.stop();
  };
  const api = async (app: App, method: string, url: string, body?: unknown) => {
    const key = (await app.apiKeys.create(`k${now++}`, 'admin')).key;
    const res = await app.http.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${key}` },
      ...(body === undefined ? {} : { payload: body as object }),
    });
    return { status: res.statusCode, json: res.json() };
  };
  const rows = () => store.db.selectFrom('channel_accounts').selectAll().orderBy('name').execute();
  const byName = async (name: string) => (await rows()).find((r) => r.name === name)!;

  it('writes the declared accounts, keeps them read-only through the API, disables those left out and enables those put back', async () => {
    store = await openTestStore(dialect);
    const first = await start(
      page('clinic-page', '400000000000001') + number('clinic-number', '100000000000001'),
    );
    expect(first.accounts.find('clinic-page')).toMatchObject({
      source: 'config',
      accessToken: SECRETS.PAGE_TOKEN,
      appSecret: SECRETS.META_APP_SECRET,
      verifyToken: 'verify-clinic-page',
      disabledAt: null,
    });
    const raw = JSON.stringify(await rows());
    for (const s of Object.values(SECRETS)) expect(raw).not.toContain(s);
    expect(lines.join('')).toContain('channel accounts created from the config file');

    // Read-only through the API, except for switching it off and on.
    const patch = await api(first, 'PATCH', '/v1/channel-accounts/clinic-page', { throughput_mps: 5 });
    expect(patch.status).toBe(409);
    expect(patch.json.error.code).toBe('ACCOUNT_READ_ONLY');
    expect(patch.json.error.message).toContain('config file');
    const off = await api(first, 'PATCH', '/v1/channel-accounts/clinic-page', { disabled: true });
    expect(off.json).toMatchObject({ disabled: true, source: 'config' });
    // An API account the next file will declare.
    const made = await api(first, 'POST', '/v1/channel-accounts', {
      channel: 'messenger',
      name: 'made-by-api',
      page_id: '400000000000003',
      page_token: 'api-token-1',
      app_secret: 'api-secret-1',
      verify_token: 'api-verify-1',
    });
    expect(made.status).toBe(201);
    await api(first, 'DELETE', '/v1/channel-accounts/made-by-api');
    await stop(first);

    // The number leaves the file; the API's page joins it under a new name.
    now += 60_000;
    lines.length = 0;
    const second = await start(page('clinic-page', '400000000000001') + page('joined', '400000000000003'));
    const gone = await byName('clinic-number');
    expect(gone).toMatchObject({ source: 'api', disabled_at: now });
    expect(second.accounts.find('clinic-number')?.disabledAt).toBe(now);
    // Disabled through the API while the file managed it, and the file says nothing: stays so.
    expect((await byName('clinic-page')).disabled_at).not.toBeNull();
    // Newly declared by the file: enabled, and the file's now.
    expect(await byName('joined')).toMatchObject({ source: 'config', disabled_at: null, id: made.json.id });
    expect(second.accounts.find('joined')?.accessToken).toBe(SECRETS.PAGE_TOKEN);
    const log = lines.join('');
    expect(log).toContain('no longer in the config file: disabled');
    expect(log).toContain('"accounts":["clinic-number"]');
    expect(log).toContain('now managed by the config file');
    // Handed to the API: an admin may change it now.
    const editable = await api(second, 'PATCH', '/v1/channel-accounts/clinic-number', { throughput_mps: 10 });
    expect(editable.status).toBe(200);
    await stop(second);

    // The number is put back, and the file switches the page on.
    now += 60_000;
    const third = await start(
      page('clinic-page', '400000000000001', '    disabled: false\n') +
        page('joined', '400000000000003') +
        number('clinic-number', '100000000000001'),
    );
    expect(await byName('clinic-number')).toMatchObject({
      source: 'config',
      disabled_at: null,
      throughput_mps: 80,
    });
    expect((await byName('clinic-page')).disabled_at).toBeNull();
    await stop(third);

    // The same file again: nothing to write, so nothing is marked as changed.
    const before = await rows();
    now += 60_000;
    await stop(
      await start(
        page('clinic-page', '400000000000001', '    disabled: false\n') +
          page('joined', '400000000000003') +
          number('clinic-number', '100000000000001'),
      ),
    );
    expect((await rows()).map((r) => r.updated_at)).toEqual(before.map((r) => r.updated_at));
  });

  it('stops the start on a name another account has, and changes nothing', async () => {
    store = await openTestStore(dialect);
    const app = await start(page('clinic-page', '400000000000001'));
    const made = await api(app, 'POST', '/v1/channel-accounts', {
      channel: 'messenger',
      name: 'taken',
      page_id: '400000000000009',
      page_token: 'api-token-2',
      app_secret: 'api-secret-2',
      verify_token: 'api-verify-2',
    });
    expect(made.status).toBe(201);
    await stop(app);
    const before = await rows();
    let err: RecontactError | undefined;
    try {
      await start(page('renamed-page', '400000000000002') + page('taken', '400000000000008'));
    } catch (e) {
      err = e as RecontactError;
    }
    expect(err?.code).toBe('CONFIG_INVALID');
    expect(err?.message).toBe(`${file}: account "taken" conflicts with a stored account`);
    expect(err?.details).toEqual([
      {
        path: `${file}: accounts[1].name`,
        message: `is already the name of messenger account ${made.json.id}`,
      },
    ]);
    expect(await rows()).toEqual(before);
  });

  it('finds an account another process created as soon as a webhook names it', async () => {
    store = await openTestStore(dialect);
    const a = await start(undefined);
    const b = await start(undefined);
    const created = await api(a, 'POST', '/v1/channel-accounts', {
      channel: 'whatsapp',
      name: 'late-number',
      phone_number_id: '100000000000077',
      waba_id: '200000000000077',
      access_token: 'late-token',
      app_secret: 'late-secret',
      verify_token: 'late-verify',
      base_url: 'http://127.0.0.1:9',
    });
    expect(created.status).toBe(201);
    expect(b.accounts.find('late-number')).toBeUndefined();
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '200000000000077',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '1', phone_number_id: '100000000000077' },
                statuses: [],
              },
            },
          ],
        },
      ],
    });
    const res = await b.http.inject({
      method: 'POST',
      url: '/webhooks/whatsapp/late-number',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': `sha256=${createHmac('sha256', 'late-secret').update(body).digest('hex')}`,
      },
      payload: body,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(b.accounts.find('late-number')?.id).toBe(created.json.id);
  });
});
