/**
 * What a password must be. Length is what makes a password strong, so the rule is a minimum
 * length and nothing about character classes (NIST SP 800-63B); the maximum only keeps one
 * sign-in from hashing megabytes. NUL is refused: some clients and stores cut a string there,
 * which would silently shorten the password.
 */
import { RecontactError } from '../errors';

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 1_024;

/** Throws INPUT_INVALID, naming `path`, when the password breaks a rule. */
export function checkPasswordRules(password: string, path = 'body.password'): void {
  const length = [...password].length;
  const problem =
    length < PASSWORD_MIN
      ? `must be at least ${PASSWORD_MIN} characters (got ${length})`
      : length > PASSWORD_MAX
        ? `must be at most ${PASSWORD_MAX} characters (got ${length})`
        : password.includes('\0')
          ? 'must not contain the NUL character'
          : undefined;
  if (problem) {
    throw new RecontactError('INPUT_INVALID', `The password ${problem}`, {
      details: [{ path, message: problem }],
      hint: `Use a passphrase of ${PASSWORD_MIN} characters or more, e.g. four unrelated words; any characters but NUL are allowed.`,
    });
  }
}
