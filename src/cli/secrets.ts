/**
 * `recontact secrets rotate`: re-encrypts every stored credential with RECONTACT_SECRET_KEY.
 * It works on the database directly (like `migrate`), because the old keys it needs to read
 * the values are part of the deployment's environment, not something the API should accept.
 */
import { reencryptSecrets, type Store } from '../admin';
import { type Config, loadConfig } from '../config';

export interface RotateOptions {
  config?: Config;
  /** An already-open store (tests); otherwise opened from config.databaseUrl. */
  store?: Store;
  out?: (line: string) => void;
}

export async function rotateSecrets(o: RotateOptions = {}): Promise<number> {
  const config = o.config ?? loadConfig();
  const out = o.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const { rewritten, keyId, location } = await reencryptSecrets(config, {
    ...(o.store ? { store: o.store } : {}),
    warn: (message) => process.stderr.write(`warning: ${message}\n`),
  });
  out(
    rewritten > 0
      ? `re-encrypted the credentials of ${rewritten} account(s) with key ${keyId} (${location})`
      : `every stored credential is already encrypted with key ${keyId} (${location})`,
  );
  if (config.secrets.previous.length > 0) {
    out('RECONTACT_SECRET_KEY_PREVIOUS is no longer needed: remove it and restart the processes.');
  }
  return 0;
}
