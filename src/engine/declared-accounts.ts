/**
 * The accounts recontact.config.yaml declares, written at start (store/accounts-repo.ts
 * syncConfigAccounts holds the rules), and what changed said in the log: an account disabled
 * because it left the file must not go unnoticed.
 */
import { RecontactError } from '../domain/errors';
import type { SecretBox } from '../domain/secret-box';
import { type ConfigAccount, syncConfigAccounts } from '../store/accounts-repo';
import type { EngineContext } from './context';

export async function applyConfigAccounts(
  ctx: EngineContext,
  secrets: SecretBox,
  file: { path: string; accounts: ConfigAccount[] },
): Promise<void> {
  const r = await syncConfigAccounts(ctx.store.db, secrets, file.accounts, {
    now: ctx.clock(),
    newId: () => ctx.id('acc'),
    conflict: (i, err) => {
      const a = file.accounts[i]!;
      return new RecontactError(
        'CONFIG_INVALID',
        `${file.path}: account "${a.name}" conflicts with a stored account`,
        {
          details: (err.details ?? []).map((d) => ({
            path: `${file.path}: accounts[${i}].${d.path}`,
            message: d.message,
          })),
          hint: 'Rename the account in the file, or rename or disable the other one through /v1/channel-accounts; nothing was changed.',
          cause: err,
        },
      );
    },
  });
  const log = ctx.log.child({ config_file: file.path });
  if (r.created.length) log.info({ accounts: r.created }, 'channel accounts created from the config file');
  if (r.updated.length) log.info({ accounts: r.updated }, 'channel accounts updated from the config file');
  for (const t of r.takenOver) {
    log.warn(
      { account: t.name, was: t.from },
      'channel account is now managed by the config file (it was managed through the API or the environment)',
    );
  }
  if (r.removed.length) {
    log.warn(
      { accounts: r.removed },
      'channel accounts no longer in the config file: disabled (their rows stay) and now managed through the API',
    );
  }
}
