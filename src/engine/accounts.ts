import type { ChannelKind } from '../domain/channels/channel-kind';
import { RecontactError } from '../domain/errors';
import type { SecretBox } from '../domain/secret-box';
import { type AccountWithLimits, listAccounts } from '../store/accounts-repo';
import type { EngineContext } from './context';

export type { AccountWithLimits } from '../store/accounts-repo';

export interface AccountRefreshOptions {
  /** How often every process re-reads the accounts, to see what another process changed. */
  everyMs: number;
  /** An unknown id or signature re-reads them at most this often (anyone can post a webhook). */
  throttleMs: number;
}

export const DEFAULT_ACCOUNT_REFRESH: AccountRefreshOptions = { everyMs: 10_000, throttleMs: 1_000 };

/**
 * Channel accounts change rarely and are read on every send and webhook, so they are cached
 * in memory. The process that changes one reloads at once; the others see it within ten seconds
 * (DEFAULT_ACCOUNT_REFRESH), or sooner when a webhook names an id or carries a signature they do
 * not know yet (refreshSoon).
 */
export class AccountRegistry {
  private byId = new Map<string, AccountWithLimits>();
  private byName = new Map<string, AccountWithLimits>();
  private byExternal = new Map<string, AccountWithLimits>();
  private ordered: AccountWithLimits[] = [];
  /** Reloads may overlap (a timer and a request): only a newer read replaces the cache. */
  private started = 0;
  private applied = 0;
  private lastReloadAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: EngineContext,
    /** Opens (and, for account changes, seals) the credentials the repository keeps encrypted. */
    readonly secrets: SecretBox,
    private readonly opts: AccountRefreshOptions = DEFAULT_ACCOUNT_REFRESH,
  ) {}

  async reload(): Promise<void> {
    const generation = ++this.started;
    this.lastReloadAt = performance.now();
    const accounts = await listAccounts(this.ctx.store.db, this.secrets);
    if (generation < this.applied) return;
    this.applied = generation;
    this.ordered = accounts;
    this.byId = new Map(this.ordered.map((a) => [a.id, a]));
    this.byName = new Map(this.ordered.map((a) => [a.name, a]));
    // Graph ids are unique across object types: a page id never equals a phone-number id.
    this.byExternal = new Map(this.ordered.map((a) => [a.externalId, a]));
  }

  /**
   * Reloads unless that was done less than `throttleMs` ago (then waits for a
   * reload in flight, if any). Returns whether the cache may have changed.
   */
  async refreshSoon(): Promise<boolean> {
    if (this.inFlight) {
      await this.inFlight;
      return true;
    }
    if (performance.now() - this.lastReloadAt < this.opts.throttleMs) return false;
    this.inFlight = this.reload().finally(() => {
      this.inFlight = undefined;
    });
    await this.inFlight;
    return true;
  }

  /** Re-reads the accounts every `everyMs` until stopRefresh (a few rows: cheap). */
  startRefresh(everyMs = this.opts.everyMs): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      // A database outage is reported by the loops that need it; the cache stays as it was.
      this.reload().catch((err: unknown) => this.ctx.log.debug({ err }, 'channel accounts not reloaded'));
    }, everyMs);
    this.timer.unref();
  }

  stopRefresh(): void {
    clearInterval(this.timer);
    this.timer = undefined;
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
