import { describe, expect, it } from 'vitest';
import { clientErrorHandler } from './http-errors';

/** What the handler writes on a socket Node's parser gave up on. */
function answer(code: string, message = 'Parse Error') {
  let written = '';
  let destroyed = false;
  const socket = {
    destroyed: false,
    writable: true,
    write: (s: string) => {
      written += s;
      return true;
    },
    destroy: () => {
      destroyed = true;
    },
  };
  clientErrorHandler(() => 'req_test')(Object.assign(new Error(message), { code }), socket as never);
  const [head = '', body = ''] = written.split('\r\n\r\n');
  return { head, body: body ? JSON.parse(body) : undefined, destroyed };
}

describe('errors before routing, on the raw socket', () => {
  it.each([
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'REQUEST_TIMEOUT'],
    ['HPE_HEADER_OVERFLOW', 431, 'HEADERS_TOO_LARGE'],
    ['HPE_INVALID_HEADER_TOKEN', 400, 'INPUT_INVALID'],
    ['HPE_UNEXPECTED_CONTENT_LENGTH', 400, 'INPUT_INVALID'],
  ])('%s → %i %s in the documented shape, then the connection closes', (code, status, errorCode) => {
    const a = answer(code);
    expect(a.head).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
    expect(a.head).toContain('x-request-id: req_test');
    expect(a.head).toContain('x-content-type-options: nosniff');
    expect(a.head).toContain('connection: close');
    expect(a.body.error.code).toBe(errorCode);
    expect(a.body.error.hint).toBeTruthy();
    expect(a.destroyed).toBe(true);
  });

  it('writes nothing on a connection the client reset', () => {
    const a = answer('ECONNRESET');
    expect(a.head).toBe('');
    expect(a.destroyed).toBe(false);
  });
});
