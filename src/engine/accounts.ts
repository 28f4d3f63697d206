import type { ChannelKind } from '../domain/channels/channel-kind';
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
  private byName = new Map<string, AccountWithLimits>();
  private byExternal = new Map<string, AccountWithLimits>();
  private ordered: AccountWithLimits[] = [];

  constructor(
    private readonly ctx: EngineContext,
    /** Opens the credentials the accounts repository keeps encrypted. */
    private readonly secrets: SecretBox,
  ) {}

  async reload(): Promise<void> {
    this.ordered = await listAccounts(this.ctx.store.db, this.secrets);
    this.byId = new Map(this.ordered.map((a) => [a.id, a]));
    this.byName = new Map(this.ordered.map((a) => [a.name, a]));
    // Graph ids are unique across object types: a page id never equals a phone-number id.
    this.byExternal = new Map(this.ordered.map((a) => [a.externalId, a]));
  }

  /** Every account, disabled ones included (they still receive webhooks for what they sent). */
  all(): AccountWithLimits[] {
    return this.ordered;
  }

  /** The accounts that may send. */
  enabled(): AccountWithLimits[] {
    return this.ordered.filter((a) => a.disabledAt === null);
  }

  /** The account a webhook item belongs to: by Meta's phone-number id or page id. */
  byExternalId(externalId: string): AccountWithLimits | undefined {
    return this.byExternal.get(externalId);
  }

  get(id: string): AccountWithLimits | undefined {
    return this.byId.get(id);
  }

  /** An account by its id or its name (URLs and people use names). */
  find(idOrName: string): AccountWithLimits | undefined {
    return this.byId.get(idOrName) ?? this.byName.get(idOrName);
  }

  /**
   * The account a request names (by id or name). Naming none: the only enabled account of
   * `channel` when the request implies one (a `psid:` recipient is Messenger), else the only
   * enabled account, else the only WhatsApp number (a page beside one number does not make
   * every WhatsApp request name its account). With more to choose from, the request must say
   * which: guessing could send from the wrong number or page.
   */
  resolve(
    idOrName: string | undefined,
    opts: { path?: string; channel?: ChannelKind } = {},
  ): AccountWithLimits {
    const path = opts.path ?? 'account_id';
    if (idOrName === undefined) {
      const usable = this.enabled().filter((a) => opts.channel === undefined || a.channel === opts.channel);
      const whatsapp = usable.filter((a) => a.channel === 'whatsapp');
      if (usable.length === 1) return usable[0]!;
      if (opts.channel === undefined && whatsapp.length === 1) return whatsapp[0]!;
      if (usable.length === 0) {
        const what = opts.channel ? `${opts.channel} account` : 'channel account';
        throw new RecontactError('ACCOUNT_NOT_FOUND', `No enabled ${what} is configured`, {
          hint: 'Create one with POST /v1/channel-accounts, declare it in recontact.config.yaml, or set the WHATSAPP_* variables (with no credentials at all, serve embeds the sandbox).',
        });
      }
      throw new RecontactError(
        'INPUT_INVALID',
        `${usable.length} ${opts.channel ?? 'channel'} accounts are enabled; say which one to use`,
        {
          details: [
            {
              path,
              message: `one of: ${usable.map((a) => `${a.name} (${a.id}, ${a.channel})`).join(', ')}`,
            },
          ],
          hint: 'Give account_id as the id or the name of a channel account (GET /v1/channel-accounts lists them).',
        },
      );
    }
    const a = this.find(idOrName);
    if (!a) {
      throw new RecontactError('ACCOUNT_NOT_FOUND', `No channel account "${idOrName}"`, {
        details: [
          {
            path,
            message: `known accounts: ${this.ordered.map((x) => x.name).join(', ') || 'none'}`,
          },
        ],
      });
    }
    return a;
  }

  /** The account a send names (resolve), refused when disabled: a disabled account sends nothing. */
  resolveForSending(
    idOrName: string | undefined,
    opts: { path?: string; channel?: ChannelKind } = {},
  ): AccountWithLimits {
    const a = this.resolve(idOrName, opts);
    if (a.disabledAt !== null) {
      throw new RecontactError('ACCOUNT_DISABLED', `Channel account "${a.name}" is disabled`, {
        details: [
          { path: opts.path ?? 'account_id', message: `disabled at ${new Date(a.disabledAt).toISOString()}` },
        ],
        hint: 'Enable it with PATCH /v1/channel-accounts/{account} {"disabled": false}, or use another account.',
      });
    }
    return a;
  }

  appSecrets(): string[] {
    return [...new Set(this.ordered.map((a) => a.appSecret))];
  }
}
