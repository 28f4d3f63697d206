import { describe, expect, it } from 'vitest';
import { configErrorOf } from '../test/support/config-errors';
import { loadConfig } from './config';

describe('METRICS_TOKEN, METRICS_PORT, METRICS_HOST', () => {
  it('serve /metrics to API keys only, and no worker listener, unless set', () => {
    expect(loadConfig({}).metrics).toEqual({ token: undefined, port: undefined, host: '127.0.0.1' });
    expect(
      loadConfig({ METRICS_TOKEN: 'a-token-for-prometheus', METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' })
        .metrics,
    ).toEqual({ token: 'a-token-for-prometheus', port: 9464, host: '0.0.0.0' });
    expect(loadConfig({ METRICS_PORT: '0' }).metrics.port).toBe(0);
  });

  it('stop the start naming the setting for a value it cannot use', () => {
    for (const [env, path, message] of [
      [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN', /at least 16 characters/],
      [{ METRICS_PORT: 'http' }, 'METRICS_PORT', /port number from 0 \(any free port\) to 65535/],
      [{ METRICS_PORT: '70000' }, 'METRICS_PORT', /port number from 0 \(any free port\) to 65535/],
      [{ METRICS_PORT: '-1' }, 'METRICS_PORT', /port number/],
    ] as const) {
      const e = configErrorOf(env, path);
      expect(e.code).toBe('CONFIG_INVALID');
      expect(e.details).toEqual([{ path, message: expect.stringMatching(message) }]);
    }
  });
});
