/**
 * /_sandbox control endpoints for Meta's limits and quality (meta-limits.ts), loopback only like
 * every /_sandbox route (control-route.ts). Errors: `{error: {message}}`.
 *
 *   GET  /_sandbox/accounts/{phone}/messaging-limit         {limit, reached, code} or {limit: null}
 *   POST /_sandbox/accounts/{phone}/messaging-limit         {"limit": 250 | null, "code"?: 131026}
 *   POST /_sandbox/accounts/{phone}/marketing-cap           {"users": ["549…"]} | {"all": true}, "lift"?: true
 *   POST /_sandbox/accounts/{phone}/quality                 {"event": "FLAGGED", "current_limit"?, "old_limit"?}
 *   POST /_sandbox/errors                                   {"code", "to"?, "phone_number_id"?, "mode"?, "count"?, "details"?}
 *   GET | DELETE /_sandbox/errors
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { type InjectRequest, type MetaLimits, QUALITY_EVENTS, type QualityEvent } from './meta-limits';
import type { AccountState, SandboxState } from './state';

export interface LimitsRouteDeps {
  state: SandboxState;
  limits: MetaLimits;
  /** Sends a quality webhook for the number (sandbox.ts: setQuality). */
  setQuality(
    phoneNumberId: string,
    update: { event: QualityEvent; currentLimit?: string; oldLimit?: string },
  ): void;
}

type Obj = Record<string, unknown>;

function fail(reply: FastifyReply, status: number, message: string): undefined {
  reply.code(status).send({ error: { message } });
  return undefined;
}

function bodyOf(b: unknown): Obj {
  return typeof b === 'object' && b !== null && !Array.isArray(b) ? (b as Obj) : {};
}

const WA_ID = /^\d{7,15}$/;

export function registerLimitsRoutes(app: FastifyInstance, d: LimitsRouteDeps): void {
  const { state, limits } = d;
  const accountOf = (phone: string, reply: FastifyReply): AccountState | undefined => {
    const a = state.accounts.get(phone);
    if (!a) fail(reply, 404, `unknown phone number id ${phone}`);
    return a;
  };

  app.get<{ Params: { phone: string } }>('/_sandbox/accounts/:phone/messaging-limit', (req, reply) => {
    if (!accountOf(req.params.phone, reply)) return undefined;
    return limits.messagingLimit(req.params.phone) ?? { limit: null };
  });

  app.post<{ Params: { phone: string } }>('/_sandbox/accounts/:phone/messaging-limit', (req, reply) => {
    if (!accountOf(req.params.phone, reply)) return undefined;
    const b = bodyOf(req.body);
    if (!('limit' in b))
      return fail(reply, 400, 'limit is required: a whole number of users, or null for none');
    const limit = b.limit;
    if (limit !== null && !(typeof limit === 'number' && Number.isInteger(limit) && limit >= 0)) {
      return fail(reply, 400, `limit must be a whole number of users or null, got ${JSON.stringify(limit)}`);
    }
    if (b.code !== undefined && !(typeof b.code === 'number' && Number.isInteger(b.code) && b.code > 0)) {
      return fail(reply, 400, `code must be an error code, got ${JSON.stringify(b.code)}`);
    }
    limits.setMessagingLimit(req.params.phone, limit as number | null, b.code as number | undefined);
    return limits.messagingLimit(req.params.phone) ?? { limit: null };
  });

  app.post<{ Params: { phone: string } }>('/_sandbox/accounts/:phone/marketing-cap', (req, reply) => {
    if (!accountOf(req.params.phone, reply)) return undefined;
    const b = bodyOf(req.body);
    if (b.lift !== undefined && typeof b.lift !== 'boolean')
      return fail(reply, 400, 'lift must be true or false');
    const on = b.lift !== true;
    if (b.all === true) {
      limits.capMarketing(req.params.phone, 'all', on);
      return { success: true, capped: on ? 'all' : 'none' };
    }
    const users = b.users;
    if (
      !Array.isArray(users) ||
      users.length === 0 ||
      !users.every((u) => typeof u === 'string' && WA_ID.test(u))
    ) {
      return fail(reply, 400, 'give "all": true, or "users": a non-empty list of wa_ids (7 to 15 digits)');
    }
    limits.capMarketing(req.params.phone, users as string[], on);
    return { success: true, users, capped: on };
  });

  app.post<{ Params: { phone: string } }>('/_sandbox/accounts/:phone/quality', (req, reply) => {
    if (!accountOf(req.params.phone, reply)) return undefined;
    const b = bodyOf(req.body);
    if (
      typeof b.event !== 'string' ||
      !(QUALITY_EVENTS as readonly string[]).includes(b.event.toUpperCase())
    ) {
      return fail(reply, 400, `event must be one of ${QUALITY_EVENTS.join(', ')}`);
    }
    for (const k of ['current_limit', 'old_limit'] as const) {
      if (b[k] !== undefined && typeof b[k] !== 'string')
        return fail(reply, 400, `${k} must be a string such as TIER_2K`);
    }
    const update: { event: QualityEvent; currentLimit?: string; oldLimit?: string } = {
      event: b.event.toUpperCase() as QualityEvent,
    };
    if (typeof b.current_limit === 'string') update.currentLimit = b.current_limit;
    if (typeof b.old_limit === 'string') update.oldLimit = b.old_limit;
    d.setQuality(req.params.phone, update);
    return { success: true };
  });

  app.post('/_sandbox/errors', (req, reply) => {
    const b = bodyOf(req.body);
    if (typeof b.code !== 'number')
      return fail(reply, 400, 'code is required: the Meta error code to answer with');
    for (const k of ['to', 'phone_number_id', 'details', 'mode'] as const) {
      if (b[k] !== undefined && typeof b[k] !== 'string') return fail(reply, 400, `${k} must be a string`);
    }
    if (b.count !== undefined && typeof b.count !== 'number')
      return fail(reply, 400, 'count must be a number');
    const r: InjectRequest = { code: b.code };
    if (typeof b.to === 'string') r.to = b.to;
    if (typeof b.phone_number_id === 'string') r.phoneNumberId = b.phone_number_id;
    if (typeof b.details === 'string') r.details = b.details;
    if (b.mode !== undefined) r.mode = b.mode as InjectRequest['mode'];
    if (typeof b.count === 'number') r.count = b.count;
    try {
      return { queued: view(limits.inject(r)) };
    } catch (err) {
      return fail(reply, 400, (err as Error).message);
    }
  });
  app.get('/_sandbox/errors', () => ({ data: limits.injectedErrors().map(view) }));
  app.delete('/_sandbox/errors', () => {
    limits.clearInjected();
    return { success: true };
  });
}

function view(e: ReturnType<MetaLimits['injectedErrors']>[number]) {
  return {
    code: e.code,
    mode: e.mode,
    count: e.left,
    details: e.details,
    ...(e.to === undefined ? {} : { to: e.to }),
    ...(e.phoneNumberId === undefined ? {} : { phone_number_id: e.phoneNumberId }),
  };
}
