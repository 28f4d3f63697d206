import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { RecontactError } from '../domain/errors';
import { ApiCallError, CommandFailed, describeFailure, UnreachableError, UsageError } from './errors';

describe('CLI failures are one line with an exit code', () => {
  it('says where Recontact was looked for and how to start it when nothing listens', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3000'), { code: 'ECONNREFUSED' });
    expect(describeFailure(new UnreachableError('http://127.0.0.1:3000', refused))).toEqual({
      line: 'error: cannot reach Recontact at http://127.0.0.1:3000 (connection refused): start it with `npm start` (or `npx recontact serve`), or set RECONTACT_URL (or --url) to where it runs',
      exitCode: 1,
    });
    // Both addresses of "localhost" refused: undici reports an AggregateError.
    const both = new AggregateError([refused, refused], 'all failed');
    expect(describeFailure(new UnreachableError('http://localhost:3000', both)).line).toContain(
      '(connection refused)',
    );
  });

  it("prints an API error's code, HTTP status, message, details and hint on one line", () => {
    const err = new ApiCallError(409, {
      code: 'WINDOW_CLOSED',
      message: 'The customer-service window with +5491155551234 closed at 2026-11-23T15:47:36.837Z',
      hint: 'Send an approved template that invites a reply;\nthe reply reopens the window for 24 hours.',
    });
    expect(describeFailure(err)).toEqual({
      line: 'error WINDOW_CLOSED (HTTP 409): The customer-service window with +5491155551234 closed at 2026-11-23T15:47:36.837Z — hint: Send an approved template that invites a reply; the reply reopens the window for 24 hours.',
      exitCode: 1,
    });
    const many = new ApiCallError(422, {
      code: 'TEMPLATE_PARAMS_INVALID',
      message: 'The values do not fit',
      details: [1, 2, 3, 4, 5].map((i) => ({ path: `template.body[${i}]`, message: `bad ${i}` })),
    });
    expect(describeFailure(many).line).toBe(
      'error TEMPLATE_PARAMS_INVALID (HTTP 422): The values do not fit [template.body[1]: bad 1; template.body[2]: bad 2; template.body[3]: bad 3 (and 2 more)]',
    );
  });

  it('gives usage errors exit 2, configuration errors 78, failed outcomes 1', () => {
    expect(describeFailure(new UsageError('use either --text or --template, not both'))).toEqual({
      line: 'error: use either --text or --template, not both',
      exitCode: 2,
    });
    const config = new RecontactError('CONFIG_INVALID', 'Invalid environment', {
      details: [{ path: 'RECONTACT_URL', message: 'must be an http(s) URL' }],
      hint: 'Fix it.',
    });
    expect(describeFailure(config)).toEqual({
      line: 'error CONFIG_INVALID: Invalid environment [RECONTACT_URL: must be an http(s) URL] — hint: Fix it.',
      exitCode: 78,
    });
    expect(describeFailure(new CommandFailed('message msg_1 failed: not a WhatsApp user')).exitCode).toBe(1);
  });

  it("keeps commander's message, as a usage error; help and --version are not errors", () => {
    const unknown = new CommanderError(1, 'commander.unknownOption', "error: unknown option '--bogus'");
    expect(describeFailure(unknown)).toEqual({
      line: "error: unknown option '--bogus' (run the command with --help for its usage)",
      exitCode: 2,
    });
    expect(describeFailure(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toEqual({
      line: '',
      exitCode: 0,
    });
  });

  it('names a busy port and the variables that choose it', () => {
    const busy = Object.assign(new Error('listen EADDRINUSE'), {
      code: 'EADDRINUSE',
      syscall: 'listen',
      address: '127.0.0.1',
      port: 3000,
    });
    expect(describeFailure(busy)).toEqual({
      line: "error: port 127.0.0.1:3000 is already in use: stop the process that holds it, or choose another port (PORT, SANDBOX_PORT, or the command's --port)",
      exitCode: 1,
    });
  });

  it('reports a bug in one line too, with the frame where it happened', () => {
    const { line, exitCode } = describeFailure(new TypeError('x is not a function'));
    expect(exitCode).toBe(1);
    expect(line).toMatch(
      /^error: unexpected TypeError: x is not a function \(at .*errors\.test\.ts:\d+:\d+\)?\); this is a bug in recontact, please report it with the command you ran$/,
    );
    expect(line).not.toContain('\n');
  });
});
