import { RecontactError } from '../domain/errors';
import type { SecretBox } from '../domain/secret-box';
import { type AccountWithLimits, listAccounts } from '../store/accounts-repo';
import type { EngineContext } from './context';

/**
 * Channel accounts change rarely and are read on every send and webhook, so they are cached
 * in memory and reloaded on demand (after an upsert) or when an unknown id shows up.
 */
export class AccountRegistry {
  private byId = new Map<string, AccountWithLimits>();
  private byPhone = new Map<string, AccountWithLimits>();
  private ordered: AccountWithLimits[] = [];

  constructor(
    private readonly ctx: EngineContext,
    /** Opens the credentials the accounts repository keeps encrypted. */
    private readonly secrets: SecretBox,
  ) {}

  async reload(): Promise<void> {
    this.ordered = await listAccounts(this.ctx.store.db, this.secrets);
    this.byId = new Map(this.ordered.map((a) => [a.id, a]));
    this.byPhone = new Map(this.ordered.map((a) => [a.phoneNumberId, a]));
  }

  all(): AccountWithLimits[] {
    return this.ordered;
  }

  byPhoneNumberId(phoneNumberId: string): AccountWithLimits | undefined {
    return this.byPhone.get(phoneNumberId);
  }

  get(id: string): AccountWithLimits | undefined {
    return this.byId.get(id);
  }

  /** The account a request names, or the only/first one when it names none. */
  resolve(id: string | undefined): AccountWithLimits {
    if (id === undefined) {
      const first = this.ordered[0];
      if (!first) {
        throw new RecontactError('ACCOUNT_NOT_FOUND', 'No WhatsApp account is configured', {
          hint: 'Set the WHATSAPP_* variables, or start with no credentials to use the embedded sandbox.',
        });
      }
      return first;
    }
    const a = this.byId.get(id);
    if (!a) {
      throw new RecontactError('ACCOUNT_NOT_FOUND', `No channel account "${id}"`, {
        details: [
          { path: 'account_id', message: `known accounts: ${[...this.byId.keys()].join(', ') || 'none'}` },
        ],
      });
    }
    return a;
  }

  appSecrets(): string[] {
    return [...new Set(this.ordered.map((a) => a.appSecret))];
  }
}
