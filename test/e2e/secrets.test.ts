/**
 * Meta credentials are encrypted at rest on both databases: the raw rows hold none of them, a
 * wrong key stops the start with a clear error, old keys keep working until `secrets rotate`,
 * and rows from before encryption are encrypted at the first start.
 */

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Kysely } from 'kysely';
import { type Migration, Migrator } from 'kysely';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app';
import { rotateSecrets } from '../../src/cli/secrets';
import { loadConfig } from '../../src/config';
import { RecontactError } from '../../src/domain/errors';
import { keyId } from '../../src/domain/secret-box';
import * as m0001 from '../../src/store/migrations/0001-initial';
import * as m0002 from '../../src/store/migrations/0002-drop-provider-id-index';
import * as m0003 from '../../src/store/migrations/0003-account-leases';
import { DIALECTS, openTestStore, PG_URL, type TestStore } from '../support/stores';

const CREDENTIALS = {
  accessToken: 'EAAG-access-token-f00dfeed',
  appSecret: 'app-secret-c0ffee1234',
  verifyToken: 'verify-token-deadbeef99',
};

const newKey = () => randomBytes(32).toString('base64');

function rawRows(store: TestStore) {
  return store.db.selectFrom('channel_accounts').selectAll().execute();
}

async function startError(p: Promise<App>): Promise<RecontactError> {
  try {
    const app = await p;
    await app.stop();
  } catch (err) {
    if (err instanceof RecontactError) return err;
    throw err;
  }
  throw new Error('started, but it should have refused');
}

describe.each(DIALECTS)('secrets at rest on %s', (dialect) => {
  let store: TestStore;
  afterEach(() => store.destroy());

  // Without WHATSAPP_* nothing is written at start: the stored rows are all there is to read.
  const env = (keys: { current?: string; previous?: string[] }, withCredentials = false) =>
    loadConfig({
      LOG_LEVEL: 'silent',
      DATABASE_URL: store.url,
      ...(keys.current ? { RECONTACT_SECRET_KEY: keys.current } : {}),
      ...(keys.previous ? { RECONTACT_SECRET_KEY_PREVIOUS: keys.previous.join(',') } : {}),
      ...(withCredentials
        ? {
            WHATSAPP_PHONE_NUMBER_ID: '100000000000777',
            WHATSAPP_WABA_ID: '200000000000777',
            WHATSAPP_ACCESS_TOKEN: CREDENTIALS.accessToken,
            WHATSAPP_APP_SECRET: CREDENTIALS.appSecret,
            WHATSAPP_VERIFY_TOKEN: CREDENTIALS.verifyToken,
            WHATSAPP_BASE_URL: 'http://127.0.0.1:9',
          }
        : {}),
    });
  const start = (config: ReturnType<typeof env>) => createApp({ config, store });

  const expectSealedRows = async (id: string) => {
    const rows = await rawRows(store);
    expect(rows).toHaveLength(1);
    const raw = JSON.stringify(rows);
    for (const secret of Object.values(CREDENTIALS)) expect(raw).not.toContain(secret);
    for (const c of ['access_token', 'app_secret', 'verify_token'] as const) {
      expect(rows[0]![c]).toMatch(new RegExp(`^v1:${id}:`));
    }
  };

  it('stores no credential in plain text and reads them back', async () => {
    store = await openTestStore(dialect);
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => lines.push(l) });
    const key = dialect === 'postgres' ? newKey() : undefined;
    const app = await createApp({ config: env({ current: key }, true), store, logger });
    expect(app.accounts.all()[0]).toMatchObject(CREDENTIALS);
    await app.stop();

    if (dialect === 'sqlite') {
      // Zero set-up: the key was generated beside the database file, readable by its owner only.
      const keyFile = join(dirname(store.url), 'recontact.key');
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(lines.join('')).toContain(`stored it in ${keyFile}`);
      const fileKey = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
      await expectSealedRows(keyId(fileKey));
      // The next start reads the same file instead of making another key.
      const again = await start(env({}));
      expect(again.accounts.all()[0]).toMatchObject(CREDENTIALS);
      await again.stop();
    } else {
      await expectSealedRows(keyId(Buffer.from(key!, 'base64')));
    }
  });

  it('refuses a wrong key at start, reads old values with the previous key, and rotates them', async () => {
    store = await openTestStore(dialect);
    const a = newKey();
    const b = newKey();
    await (await start(env({ current: a }, true))).stop();
    const before = await rawRows(store);

    const err = await startError(start(env({ current: b })));
    expect(err.code).toBe('SECRET_KEY_INVALID');
    expect(err.message).toContain('channel_accounts.access_token of account acc_default');
    expect(err.message).toContain(`encrypted with key ${keyId(Buffer.from(a, 'base64'))}`);
    expect(err.hint).toContain('RECONTACT_SECRET_KEY_PREVIOUS');
    // Even with credentials to write, a wrong key writes nothing other processes could not read.
    expect((await startError(start(env({ current: b }, true)))).code).toBe('SECRET_KEY_INVALID');
    expect(await rawRows(store)).toEqual(before);

    const during = await start(env({ current: b, previous: [a] }));
    expect(during.accounts.all()[0]).toMatchObject(CREDENTIALS);
    await during.stop();

    const out: string[] = [];
    const config = env({ current: b, previous: [a] });
    expect(await rotateSecrets({ config, store, out: (l) => out.push(l) })).toBe(0);
    expect(out[0]).toContain('re-encrypted the credentials of 1 account(s)');
    await expectSealedRows(keyId(Buffer.from(b, 'base64')));
    // A second run has nothing left to do.
    await rotateSecrets({ config: env({ current: b }), store, out: (l) => out.push(l) });
    expect(out.at(-1)).toContain('already encrypted');

    const after = await start(env({ current: b }));
    expect(after.accounts.all()[0]).toMatchObject(CREDENTIALS);
    await after.stop();
    expect((await startError(start(env({ current: a })))).code).toBe('SECRET_KEY_INVALID');
  });

  it('encrypts at the first start the credentials stored in plain text before the upgrade', async () => {
    store = await openTestStore(dialect, { migrate: false });
    const before: Record<string, Migration> = {
      '0001-initial': m0001,
      '0002-drop-provider-id-index': m0002,
      '0003-account-leases': m0003,
    };
    const old = new Migrator({
      db: store.db,
      provider: { getMigrations: async () => before },
      ...(store.schema ? { migrationTableSchema: store.schema } : {}),
    });
    expect((await old.migrateToLatest()).error).toBeUndefined();
    // The table as 0001 made it (0017 rebuilt it), so typed loosely.
    await (store.db as unknown as Kysely<{ channel_accounts: Record<string, unknown> }>)
      .insertInto('channel_accounts')
      .values({
        id: 'acc_default',
        channel: 'whatsapp',
        name: 'default',
        phone_number_id: '100000000000777',
        waba_id: '200000000000777',
        access_token: CREDENTIALS.accessToken,
        app_secret: CREDENTIALS.appSecret,
        verify_token: CREDENTIALS.verifyToken,
        base_url: 'http://127.0.0.1:9',
        graph_version: 'v25.0',
        throughput_mps: 80,
        created_at: 1,
      })
      .execute();

    const key = newKey();
    const app = await start(env({ current: key }));
    expect(app.accounts.all()[0]).toMatchObject(CREDENTIALS);
    await app.stop();
    await expectSealedRows(keyId(Buffer.from(key, 'base64')));
  });
});

describe('secret key configuration', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (err) {
      return (err as RecontactError).details;
    }
    return [];
  };

  it('requires RECONTACT_SECRET_KEY with PostgreSQL, naming the variable', () => {
    expect(problems({ DATABASE_URL: PG_URL })).toEqual([
      { path: 'RECONTACT_SECRET_KEY', message: expect.stringContaining('required with PostgreSQL') },
    ]);
    expect(problems({ DATABASE_URL: PG_URL, RECONTACT_SECRET_KEY: newKey() })).toEqual([]);
  });

  it('refuses a key of the wrong size or alphabet, without printing it', () => {
    const short = randomBytes(16).toString('base64');
    const found = problems({
      RECONTACT_SECRET_KEY: short,
      RECONTACT_SECRET_KEY_PREVIOUS: `${newKey()},nope!`,
    });
    expect(found.map((p) => p.path)).toEqual(['RECONTACT_SECRET_KEY', 'RECONTACT_SECRET_KEY_PREVIOUS[1]']);
    expect(JSON.stringify(found)).not.toContain(short);
    expect(problems({ RECONTACT_SECRET_KEY_PREVIOUS: newKey() }).map((p) => p.path)).toEqual([
      'RECONTACT_SECRET_KEY',
    ]);
  });

  it('keeps no key file for an in-memory database', async () => {
    const app = await createApp({ config: loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: ':memory:' }) });
    await app.stop();
    expect(existsSync(':memory:.key') || existsSync('.key')).toBe(false);
  });
});
