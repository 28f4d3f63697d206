/**
 * Usernames: what a person types to sign in. They are compared without regard to case ("Ana"
 * and "ana" are one user), so they are stored folded to lower case; the display name keeps
 * whatever capitals and accents the person wants.
 */
import { RecontactError } from '../errors';

export const USERNAME_MAX = 64;
export const DISPLAY_NAME_MAX = 100;

/** Letters and digits first, then letters, digits and . _ - @ (an e-mail address fits). */
const USERNAME = /^[a-z0-9][a-z0-9._@-]*$/;

/** The stored (folded) form of a username, or INPUT_INVALID naming `path` and the rule broken. */
export function normalizeUsername(raw: string, path = 'body.username'): string {
  const name = raw.trim().toLowerCase();
  const problem =
    name.length === 0
      ? 'must not be empty'
      : name.length > USERNAME_MAX
        ? `must be at most ${USERNAME_MAX} characters (got ${name.length})`
        : !USERNAME.test(name)
          ? 'may hold only letters a–z, digits and . _ - @, and must start with a letter or a digit'
          : undefined;
  if (problem) {
    throw new RecontactError('INPUT_INVALID', `Username "${raw.slice(0, 80)}" ${problem}`, {
      details: [{ path, message: problem }],
      hint: 'Pick a username like "ana", "ana.perez" or "ana@clinic.example".',
    });
  }
  return name;
}

/** The display name as given, trimmed; INPUT_INVALID when it is blank or too long. */
export function checkDisplayName(raw: string, path = 'body.name'): string {
  const name = raw.trim();
  const problem =
    name.length === 0
      ? 'must not be blank'
      : [...name].length > DISPLAY_NAME_MAX
        ? `must be at most ${DISPLAY_NAME_MAX} characters`
        : undefined;
  if (problem) {
    throw new RecontactError('INPUT_INVALID', `The display name ${problem}`, {
      details: [{ path, message: problem }],
      hint: 'Give the name people know this user by, e.g. "Ana Pérez", or leave it out.',
    });
  }
  return name;
}
