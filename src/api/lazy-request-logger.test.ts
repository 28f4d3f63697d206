import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyRequestLogger } from './lazy-request-logger';

function logger() {
  const lines: Array<Record<string, unknown>> = [];
  const out = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const parent = pino({ level: 'warn' }, out);
  let children = 0;
  const child = parent.child.bind(parent);
  parent.child = ((...args: Parameters<typeof child>) => {
    children++;
    return child(...args);
  }) as typeof parent.child;
  return { parent, lines, children: () => children };
}

describe('the per-request logger', () => {
  it('makes no pino child for a request that logs nothing', () => {
    const l = logger();
    const log = lazyRequestLogger(l.parent, { request_id: 'req_1' });
    expect(log.level).toBe('warn');
    log.info('below the level: nothing written, no child made');
    log.debug('nor here');
    expect(l.lines).toEqual([]);
    expect(l.children()).toBe(0);
  });

  it('writes a line with the request id once the request logs, and makes its child once', async () => {
    const l = logger();
    const log = lazyRequestLogger(l.parent, { request_id: 'req_3' });
    log.error({ status: 500 }, 'request failed');
    log.warn('again');
    await new Promise((r) => setImmediate(r));
    expect(l.lines.map((x) => [x.request_id, x.msg])).toEqual([
      ['req_3', 'request failed'],
      ['req_3', 'again'],
    ]);
    expect(l.children()).toBe(1);
    expect(log.child({ more: 1 }).level).toBe('warn');
  });
});
