/**
 * Connect-time guard for requests to addresses someone else chose (event webhooks): every
 * address a name resolves to is classified after DNS, so `bot.example` resolving to 127.0.0.1
 * or 169.254.169.254 is refused, however it was written when it was stored (DNS can change
 * after the creation-time check, see domain/url-policy.ts). The socket connects to the very
 * address that was checked, so there is no second lookup to race.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector, Pool } from 'undici';
import { type AddressClass, classifyAddress, describeAddress } from '../domain/url-policy';

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;
export type LookupFunction = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

export interface SafeConnectOptions {
  /** Allow loopback, private, link-local... targets (local development, tests with the sandbox). */
  allowPrivate: boolean;
  /** Connect timeout (ms); undici's default is 10 s. */
  timeoutMs?: number;
  /** The resolver; tests pass one that answers what they need. */
  lookup?: LookupFunction;
}

/** The error a refused connection fails with; `code` lets callers tell it from network errors. */
export class ForbiddenTargetError extends Error {
  readonly code = 'ERR_RECONTACT_TARGET_FORBIDDEN';
  constructor(
    readonly host: string,
    readonly address: AddressClass,
  ) {
    super(
      `refused to connect to ${host === address.canonical ? '' : `${host} → `}${describeAddress(address)}; ` +
        'private targets are not allowed (RECONTACT_ALLOW_PRIVATE_TARGETS=true allows them for local development)',
    );
    this.name = 'ForbiddenTargetError';
  }
}

function forbidden(host: string, address: string): ForbiddenTargetError | undefined {
  const c = classifyAddress(address);
  // A resolver only answers addresses; anything unreadable is refused rather than trusted.
  if (!c)
    return new ForbiddenTargetError(host, { kind: 'reserved', range: 'unreadable', canonical: address });
  return c.kind === 'public' ? undefined : new ForbiddenTargetError(host, c);
}

/**
 * A `lookup` for net/tls.connect that drops every non-public address and fails when none is
 * left. Supports both callback shapes (single address, or `all: true` as used by Node's
 * happy-eyeballs connect).
 */
export function guardedLookup(base: LookupFunction = dnsLookup as unknown as LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    base(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, options.all ? [] : '');
      const list = (
        Array.isArray(addresses) ? addresses : [{ address: addresses, family: 4 }]
      ) as LookupAddress[];
      let refusal: ForbiddenTargetError | undefined;
      const allowed = list.filter((a) => {
        const f = forbidden(hostname, a.address);
        refusal ??= f;
        return f === undefined;
      });
      if (allowed.length === 0) {
        return callback(
          refusal ?? Object.assign(new Error(`${hostname} resolved to no address`), { code: 'ENOTFOUND' }),
          options.all ? [] : '',
        );
      }
      if (options.all) return callback(null, allowed);
      callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

/**
 * An undici connector that refuses non-public targets: literal addresses are checked here (the
 * resolver is never asked about them), names through `guardedLookup`. With `allowPrivate` it is
 * undici's own connector.
 */
export function safeConnector(opts: SafeConnectOptions): buildConnector.connector {
  const base = buildConnector({
    ...(opts.timeoutMs === undefined ? {} : { timeout: opts.timeoutMs }),
    ...(opts.allowPrivate ? {} : { lookup: guardedLookup(opts.lookup) }),
  } as buildConnector.BuildOptions);
  if (opts.allowPrivate) return base;
  return (options, callback) => {
    const host = options.hostname;
    if (isIP(host) !== 0) {
      const refusal = forbidden(host, host);
      if (refusal) {
        queueMicrotask(() => callback(refusal, null));
        return;
      }
    }
    return base(options, callback);
  };
}

/** An Agent (any origin) whose connections go through `safeConnector`. */
export function createSafeAgent(opts: SafeConnectOptions, agent: Agent.Options = {}): Agent {
  return new Agent({ ...agent, connect: safeConnector(opts) });
}

/** A Pool for one origin whose connections go through `safeConnector`. */
export function createSafePool(
  origin: string | URL,
  opts: SafeConnectOptions,
  pool: Pool.Options = {},
): Pool {
  return new Pool(origin, { ...pool, connect: safeConnector(opts) });
}
