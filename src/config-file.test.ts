import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';
import { configFilePath, parseAccountsFile } from './config-file';
import { RecontactError } from './domain/errors';

const FILE = 'recontact.config.yaml';

const ENV = {
  PAGE_TOKEN: 'page-token-1',
  APP_SECRET: 'app-secret-1',
  VERIFY: 'verify-1',
  WA_TOKEN: 'wa-token-1',
};

const GOOD = `# channel accounts as code
accounts:
  - channel: messenger
    name: clinic-page
    page_id: "400000000000001"
    page_token: \${PAGE_TOKEN}
    app_secret: \${APP_SECRET}
    verify_token: \${VERIFY}
  - channel: whatsapp
    name: clinic-number
    phone_number_id: "100000000000009"
    waba_id: "200000000000009"
    access_token: \${WA_TOKEN}
    app_secret: \${APP_SECRET}
    verify_token: prefix-$\${VERIFY}
    throughput_mps: 250
    messaging_limit: unlimited
    disabled: true
`;

function problems(text: string, env: Record<string, string> = ENV): RecontactError {
  try {
    parseAccountsFile(FILE, text, env);
  } catch (err) {
    if (err instanceof RecontactError) return err;
    throw err;
  }
  throw new Error('the file was accepted');
}

describe('recontact.config.yaml', () => {
  it('reads accounts in the API body’s shape, with $VAR references resolved and defaults applied', () => {
    const file = parseAccountsFile(FILE, GOOD, ENV);
    expect(file.accounts).toEqual([
      {
        channel: 'messenger',
        name: 'clinic-page',
        externalId: '400000000000001',
        wabaId: null,
        accessToken: 'page-token-1',
        appSecret: 'app-secret-1',
        verifyToken: 'verify-1',
        throughputMps: 20,
        messagingLimit: null,
        baseUrl: 'https://graph.facebook.com',
        graphVersion: 'v25.0',
      },
      {
        channel: 'whatsapp',
        name: 'clinic-number',
        externalId: '100000000000009',
        wabaId: '200000000000009',
        accessToken: 'wa-token-1',
        appSecret: 'app-secret-1',
        // $${ writes a literal ${.
        verifyToken: `prefix-\${VERIFY}`,
        throughputMps: 250,
        messagingLimit: 'unlimited',
        baseUrl: 'https://graph.facebook.com',
        graphVersion: 'v25.0',
        disabled: true,
      },
    ]);
  });

  it('names the account and the key of a reference to an unset variable, never a value', () => {
    const err = problems(GOOD, { APP_SECRET: 'app-secret-1', VERIFY: 'verify-1' });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toBe(`${FILE}: 2 problems in the channel accounts`);
    expect(err.details).toEqual([
      {
        path: `${FILE}:6: accounts[0].page_token`,
        message: `account (clinic-page): \${PAGE_TOKEN} is not set in the environment`,
      },
      {
        path: `${FILE}:13: accounts[1].access_token`,
        message: `account (clinic-number): \${WA_TOKEN} is not set in the environment`,
      },
    ]);
    expect(JSON.stringify(err.toJSON())).not.toContain('app-secret-1');
  });

  it('names every bad entry by file, line and path, with the API’s words', () => {
    const err = problems(`accounts:
  - channel: messenger
    name: Clinic Page
    page_id: "12-34"
    page_token: t
    app_secret: s
    verify_token: v
    colour: blue
  - channel: whatsapp
    name: n
    phone_number_id: "1"
    waba_id: "2"
    access_token: t
    app_secret: s
    verify_token: v
    throughput_mps: 5000
    disabled: "yes"
  - channel: telegram
  - just a string
`);
    const byPath = Object.fromEntries((err.details ?? []).map((d) => [d.path, d.message]));
    expect(byPath).toMatchObject({
      [`${FILE}:2: accounts[0]`]: expect.stringContaining('"colour" is not a field of a channel account'),
      [`${FILE}:3: accounts[0].name`]: expect.stringContaining('lowercase letters'),
      [`${FILE}:4: accounts[0].page_id`]: expect.stringContaining('digits only'),
      [`${FILE}:16: accounts[1].throughput_mps`]: expect.stringContaining('from 1 to 1000'),
      [`${FILE}:17: accounts[1].disabled`]: 'must be true or false',
      [`${FILE}:18: accounts[2].channel`]: expect.stringContaining('"whatsapp", "messenger"'),
      [`${FILE}:19: accounts[3]`]: 'must be a mapping of the account’s fields',
    });
  });

  it('refuses two entries with one name or one id', () => {
    const entry = (name: string, id: string) => `  - channel: messenger
    name: ${name}
    page_id: "${id}"
    page_token: t
    app_secret: s
    verify_token: v
`;
    const err = problems(`accounts:\n${entry('a', '1')}${entry('a', '2')}${entry('b', '1')}`);
    expect(err.details).toEqual([
      { path: `${FILE}:9: accounts[1].name`, message: '"a" is declared twice' },
      { path: `${FILE}:16: accounts[2].page_id`, message: 'account (b): page_id 1 is already account "a"' },
    ]);
  });

  it('refuses YAML it cannot read, an empty file, other top-level keys and accounts that are not a list', () => {
    expect(problems('accounts:\n  - channel: [\n').details?.[0]?.path).toMatch(
      /^recontact\.config\.yaml:\d+$/,
    );
    expect(problems('').details).toEqual([{ path: FILE, message: 'the file is empty' }]);
    expect(problems('accounts: []\nworkers: 3\n').details).toEqual([
      { path: `${FILE}:2: workers`, message: 'is not a config file key; the file holds `accounts:` only' },
    ]);
    expect(problems('accounts:\n  channel: whatsapp\n').message).toContain('`accounts:` must be a list');
    expect(problems('accounts: []\naccounts: []\n').message).toContain('is not valid YAML');
  });

  it('takes --config, else RECONTACT_CONFIG, else ./recontact.config.yaml when serve looks for it', () => {
    expect(configFilePath('a.yaml', 'b.yaml', true)).toEqual({ path: 'a.yaml', from: '--config' });
    expect(configFilePath(undefined, 'b.yaml', true)).toEqual({ path: 'b.yaml', from: 'RECONTACT_CONFIG' });
    expect(configFilePath(undefined, undefined, false)).toBeUndefined();
  });

  it('is read by loadConfig: a file that does not exist, and a number declared twice, stop the start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recontact-config-'));
    const missing = join(dir, 'nope.yaml');
    expect(() => loadConfig({ RECONTACT_CONFIG: missing })).toThrow(
      /named by RECONTACT_CONFIG does not exist/,
    );
    const file = join(dir, FILE);
    writeFileSync(file, GOOD);
    const config = loadConfig({ ...ENV }, { configFile: file });
    expect(config.accountsFile?.accounts.map((a) => a.name)).toEqual(['clinic-page', 'clinic-number']);
    // Accounts that talk to Meta: private targets are not allowed unless said.
    expect(config.allowPrivateTargets).toBe(false);
    let err: RecontactError | undefined;
    try {
      loadConfig(
        {
          ...ENV,
          WHATSAPP_PHONE_NUMBER_ID: '100000000000009',
          WHATSAPP_WABA_ID: '2',
          WHATSAPP_ACCESS_TOKEN: 't',
          WHATSAPP_APP_SECRET: 's',
          WHATSAPP_VERIFY_TOKEN: 'v',
        },
        { configFile: file },
      );
    } catch (e) {
      err = e as RecontactError;
    }
    expect(err?.details).toEqual([
      { path: 'WHATSAPP_PHONE_NUMBER_ID', message: `is also account "clinic-number" in ${file}` },
    ]);
  });
});
