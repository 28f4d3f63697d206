/**
 * `recontact users create|list|disable|enable|password`: the people who sign in to the web app.
 * These work on the database directly (DATABASE_URL), like `migrate` and `secrets rotate`: the
 * first admin must exist before anyone can sign in, and whoever runs the deployment's commands
 * already holds its database. The same rules hold as through /v1/users (engine/access/users.ts).
 * Passwords are asked on the terminal without echo, or read from stdin with --password-stdin;
 * never from a flag, which would land in the shell's history and in `ps`.
 */

import { openUsers } from '../admin';
import { ROLES, type Role } from '../engine/access/api-keys';
import type { Users, UserView } from '../engine/access/users';
import { UsageError } from './errors';
import { stdoutLines } from './output';

export interface UsersCliOptions {
  databaseUrl: string;
  json?: boolean;
  out?: (line: string) => void;
  /** The password, read once; default: asked on the terminal, or stdin with --password-stdin. */
  readPassword?: () => Promise<string>;
  passwordStdin?: boolean;
}

async function withUsers<T>(o: UsersCliOptions, fn: (users: Users) => Promise<T>): Promise<T> {
  const opened = await openUsers(o.databaseUrl);
  try {
    return await fn(opened.users);
  } finally {
    await opened.close();
  }
}

const when = (iso: string | null) => (iso === null ? '-' : `${iso.slice(0, 16).replace('T', ' ')}Z`);

const COLUMNS = ['USERNAME', 'NAME', 'ROLE', 'STATUS', 'CREATED', 'LAST SIGN-IN'] as const;

export function formatUsers(list: UserView[]): string[] {
  if (list.length === 0)
    return ['No users. Create the first admin: recontact users create --username <name> --role admin'];
  const rows = list.map((u) => [
    u.username,
    u.name ?? '-',
    u.role,
    u.status === 'disabled' ? `disabled ${when(u.disabled_at)}` : 'active',
    when(u.created_at),
    when(u.last_sign_in_at),
  ]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length))).join('  ');
  return [line(COLUMNS), ...rows.map(line)];
}

function parseRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new UsageError(`--role must be one of ${ROLES.join(', ')}; got "${role}"`);
  }
  return role as Role;
}

/** The new password: from stdin (--password-stdin), else asked twice on the terminal. */
async function newPassword(o: UsersCliOptions): Promise<string> {
  if (o.readPassword) return o.readPassword();
  if (o.passwordStdin) return readStdinPassword();
  if (!process.stdin.isTTY) {
    throw new UsageError(
      'stdin is not a terminal, so the password cannot be asked: pipe it in with --password-stdin (e.g. from a secret file)',
    );
  }
  const first = await askHidden('Password (12 characters or more): ');
  const again = await askHidden('Password again: ');
  if (first !== again) throw new UsageError('the two passwords differ; nothing was changed');
  return first;
}

/** All of stdin, less one line ending: `echo "$PASSWORD" | recontact users create …` works. */
async function readStdinPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (text === '') throw new UsageError('--password-stdin read nothing: pipe the password in');
  return text;
}

/** Reads one line from the terminal without showing it (raw mode: no echo). */
function askHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new UsageError('cancelled; nothing was changed'));
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else if (ch >= ' ') typed += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

export async function runUsersCreate(
  o: UsersCliOptions & { username: string; role: string; name?: string | undefined },
): Promise<number> {
  const out = o.out ?? stdoutLines;
  const role = parseRole(o.role);
  const password = await newPassword(o);
  const user = await withUsers(o, (users) =>
    users.create({ username: o.username, role, password, ...(o.name !== undefined ? { name: o.name } : {}) }),
  );
  if (o.json) out(JSON.stringify(user, null, 2));
  else
    out(
      `created ${user.role} "${user.username}" (${user.id}); they sign in to the web app with that password`,
    );
  return 0;
}

export async function runUsersList(o: UsersCliOptions): Promise<number> {
  const out = o.out ?? stdoutLines;
  const list = await withUsers(o, (users) => users.list());
  if (o.json) out(JSON.stringify(list, null, 2));
  else for (const l of formatUsers(list)) out(l);
  return 0;
}

export async function runUsersDisable(
  username: string,
  o: UsersCliOptions,
  disabled = true,
): Promise<number> {
  const out = o.out ?? stdoutLines;
  const user = await withUsers(o, (users) => users.update(username, { disabled }));
  if (o.json) out(JSON.stringify(user, null, 2));
  else {
    out(
      disabled
        ? `disabled "${user.username}": they cannot sign in, and their sessions ended`
        : `enabled "${user.username}": they can sign in again`,
    );
  }
  return 0;
}

export async function runUsersPassword(username: string, o: UsersCliOptions): Promise<number> {
  const out = o.out ?? stdoutLines;
  const password = await newPassword(o);
  const user = await withUsers(o, (users) => users.update(username, { password }));
  if (o.json) out(JSON.stringify(user, null, 2));
  else out(`set a new password for "${user.username}"; their sessions ended`);
  return 0;
}
