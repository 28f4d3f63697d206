/**
 * `recontact secrets rotate`: re-encrypts every stored credential with RECONTACT_SECRET_KEY.
 * It works on the database directly (like `migrate`), because the old keys it needs to read
 * the values are part of the deployment's environment, not something the API should accept.
 */
import { type Config, loadConfig } from '../config';
import { resealAccountSecrets } from '../store/accounts-repo';
import { openStore, type Store } from '../store/database';
import { migrateToLatest } from '../store/migrate';
import { openSecretBox } from '../store/secret-key-file';

export interface RotateOptions {
  config?: Config;
  /** An already-open store (tests); otherwise opened from config.databaseUrl. */
  store?: Store;
  out?: (line: string) => void;
}

export async function rotateSecrets(o: RotateOptions = {}): Promise<number> {
  const config = o.config ?? loadConfig();
  const out = o.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const store = o.store ?? (await openStore({ url: config.databaseUrl }));
  try {
    await migrateToLatest(store.db, store.schema);
    const box = openSecretBox(config.secrets, store, {
      warn: (_fields, message) => process.stderr.write(`warning: ${message}\n`),
    });
    const rewritten = await resealAccountSecrets(store.db, box, 'all');
    out(
      rewritten > 0
        ? `re-encrypted the credentials of ${rewritten} account(s) with key ${box.currentKeyId} (${store.location})`
        : `every stored credential is already encrypted with key ${box.currentKeyId} (${store.location})`,
    );
    if (config.secrets.previous.length > 0) {
      out('RECONTACT_SECRET_KEY_PREVIOUS is no longer needed: remove it and restart the processes.');
    }
    return 0;
  } finally {
    if (!o.store) await store.close();
  }
}
