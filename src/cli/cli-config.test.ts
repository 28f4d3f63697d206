import { describe, expect, it } from 'vitest';
import { loadCliConfig } from '../config';

describe('loadCliConfig', () => {
  it('defaults to the local Recontact and reads the key', () => {
    expect(loadCliConfig({})).toEqual({ url: 'http://127.0.0.1:3000', apiKey: undefined, sandboxPort: 3001 });
    expect(
      loadCliConfig({
        RECONTACT_URL: 'https://recontact.example/',
        RECONTACT_API_KEY: 'rk_0123456789abcdef',
        SANDBOX_PORT: '4001',
        DATABASE_URL: 'not checked by the CLI',
      }),
    ).toEqual({ url: 'https://recontact.example', apiKey: 'rk_0123456789abcdef', sandboxPort: 4001 });
  });

  it('names each bad variable, what it must be and what it got', () => {
    let caught: unknown;
    try {
      loadCliConfig({ RECONTACT_URL: 'localhost:3000', RECONTACT_API_KEY: 'short' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({
      code: 'CONFIG_INVALID',
      details: [
        {
          path: 'RECONTACT_URL',
          message:
            'must be the http(s) address of a running Recontact, like http://127.0.0.1:3000, got "localhost:3000"',
        },
        {
          path: 'RECONTACT_API_KEY',
          message: 'must be at least 16 characters (the key `npm start` printed, rk_…)',
        },
      ],
    });
  });

  it('treats empty variables as unset', () => {
    expect(loadCliConfig({ RECONTACT_URL: '', RECONTACT_API_KEY: '' }).url).toBe('http://127.0.0.1:3000');
  });
});
