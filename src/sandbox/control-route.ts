/**
 * /_sandbox: JSON endpoints for people and other processes (the dashboard's phone view, the
 * demo, scripts). No auth: the sandbox is a local test double. Errors: `{error: {message}}`.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SandboxClock } from './clock';
import type { SandboxState } from './state';
import { templateView } from './state';
import type { TemplateManager } from './template-manager';
import { changeNumber, changeUserId, usernames } from './usernames';
import type { Users, UserWriteOptions } from './users';
import type { WebhookEmitter } from './webhook-emitter';

export interface ControlRouteDeps {
  state: SandboxState;
  users: Users;
  manager: TemplateManager;
  emitter: WebhookEmitter;
  clock: SandboxClock;
}

type Obj = Record<string, unknown>;

function fail(reply: FastifyReply, status: number, message: string): undefined {
  reply.code(status).send({ error: { message } });
  return undefined;
}

function bodyOf(b: unknown): Obj {
  return typeof b === 'object' && b !== null && !Array.isArray(b) ? (b as Obj) : {};
}

/** 127.0.0.0/8 and ::1, also IPv4-mapped: the only peers the control endpoints answer. */
export function isLoopbackPeer(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

export function registerControlRoutes(app: FastifyInstance, d: ControlRouteDeps): void {
  const { state, users, manager, emitter, clock } = d;

  // The control endpoints make users write and templates change without auth: when the sandbox
  // listens beyond loopback (a container, a LAN demo), only this machine may call them.
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/_sandbox') || isLoopbackPeer(req.socket.remoteAddress)) return;
    fail(reply, 403, `/_sandbox endpoints answer only on loopback; ${req.socket.remoteAddress} is not`);
    return reply;
  });

  app.get('/_sandbox/health', () => ({
    ok: true,
    accounts: state.accounts.size,
    messages: state.acceptedTotal,
    remembered: state.sent.length,
    webhooks: { ...emitter.stats, pending: emitter.pending() },
  }));

  app.get<{ Querystring: { to?: string; phone_number_id?: string; limit?: string } }>(
    '/_sandbox/messages',
    (req) => {
      const { to, phone_number_id: phone, limit } = req.query ?? {};
      let data = state.sent;
      if (to || phone)
        data = data.filter((r) => (!to || r.to === to) && (!phone || r.phoneNumberId === phone));
      const n = limit === undefined ? 0 : Number(limit);
      if (Number.isInteger(n) && n > 0) data = data.slice(-n);
      return { data };
    },
  );

  app.get<{ Params: { waId: string } }>('/_sandbox/users/:waId/inbox', (req) => ({
    data: users.inbox(req.params.waId),
  }));

  app.post<{ Params: { waId: string } }>('/_sandbox/users/:waId/messages', (req, reply) => {
    const b = bodyOf(req.body);
    if (typeof b.phone_number_id !== 'string' || typeof b.text !== 'string') {
      return fail(reply, 400, 'phone_number_id and text are required');
    }
    const opts: UserWriteOptions = {};
    if (typeof b.context_wamid === 'string') opts.contextWamid = b.context_wamid;
    if (b.timestamp !== undefined) {
      const seconds = unixSeconds(b.timestamp);
      if (typeof seconds === 'string') return fail(reply, 400, seconds);
      opts.at = seconds * 1000;
    }
    try {
      const id = users.sendText(b.phone_number_id, req.params.waId, b.text, opts);
      return { id, timestamp: String(Math.floor((opts.at ?? clock.now()) / 1000)) };
    } catch (err) {
      return fail(reply, 400, (err as Error).message);
    }
  });

  // The sandbox's view of time (clock.ts): what it stamps and how it judges windows and limits.
  const clockView = () => {
    const v = clock.view();
    return {
      now: Math.floor(v.now / 1000),
      now_iso: new Date(v.now).toISOString(),
      frozen: v.frozen,
      offset_seconds: Math.round(v.offsetMs / 1000),
    };
  };
  app.get('/_sandbox/clock', clockView);
  app.post('/_sandbox/clock', (req, reply) => {
    const b = bodyOf(req.body);
    const given = ['advance_seconds', 'set', 'freeze'].filter((k) => b[k] !== undefined);
    if (given.length !== 1)
      return fail(
        reply,
        400,
        `give exactly one of {"advance_seconds": n}, {"set": unix seconds}, {"freeze": true|false}; got ${given.length ? given.join(', ') : 'none'}`,
      );
    try {
      if (b.freeze !== undefined) {
        if (typeof b.freeze !== 'boolean') return fail(reply, 400, 'freeze must be true or false');
        if (b.freeze) clock.freeze();
        else clock.unfreeze();
      } else if (b.advance_seconds !== undefined) {
        const n = b.advance_seconds;
        if (typeof n !== 'number' || !Number.isFinite(n) || n < 0)
          return fail(
            reply,
            400,
            `advance_seconds must be a number of seconds ≥ 0, got ${JSON.stringify(n)}`,
          );
        clock.advance(n * 1000);
      } else {
        const seconds = unixSeconds(b.set);
        if (typeof seconds === 'string') return fail(reply, 400, seconds.replace('timestamp', 'set'));
        clock.set(seconds * 1000);
      }
    } catch (err) {
      return fail(reply, 400, (err as Error).message);
    }
    return clockView();
  });

  app.post<{ Params: { waId: string } }>('/_sandbox/users/:waId/tap', (req, reply) => {
    const b = bodyOf(req.body);
    const button = b.button;
    if (
      typeof b.phone_number_id !== 'string' ||
      typeof b.wamid !== 'string' ||
      (typeof button !== 'number' && typeof button !== 'string')
    ) {
      return fail(reply, 400, 'phone_number_id, wamid and button (index or text) are required');
    }
    try {
      return { id: users.tapButton(b.phone_number_id, req.params.waId, b.wamid, button) };
    } catch (err) {
      return fail(reply, 404, (err as Error).message);
    }
  });

  app.post<{ Params: { waId: string } }>('/_sandbox/users/:waId/marketing', (req, reply) => {
    const b = bodyOf(req.body);
    if (typeof b.phone_number_id !== 'string' || (b.value !== 'stop' && b.value !== 'resume')) {
      return fail(reply, 400, 'phone_number_id and value ("stop" or "resume") are required');
    }
    try {
      users.setMarketing(b.phone_number_id, req.params.waId, b.value);
    } catch (err) {
      return fail(reply, 400, (err as Error).message);
    }
    return { success: true, marketing: b.value === 'stop' ? 'stopped' : 'allowed' };
  });

  // Usernames (usernames.ts): a user gets a BSUID, may hide their phone, may change either.
  const names = usernames(state);
  emitter.useUsernames(names);
  const identityDeps = { state, emitter, now: () => users.now() };

  app.post<{ Params: { waId: string } }>('/_sandbox/users/:waId/username', (req, reply) => {
    const b = bodyOf(req.body);
    if (b.bsuid !== undefined && typeof b.bsuid !== 'string')
      return fail(reply, 400, 'bsuid must be a string');
    if (b.username_only !== undefined && typeof b.username_only !== 'boolean')
      return fail(reply, 400, 'username_only must be true or false');
    try {
      const opts: { bsuid?: string; usernameOnly?: boolean } = {};
      if (typeof b.bsuid === 'string') opts.bsuid = b.bsuid;
      if (typeof b.username_only === 'boolean') opts.usernameOnly = b.username_only;
      const identity = names.set(req.params.waId, opts);
      return { wa_id: req.params.waId, bsuid: identity.bsuid, username_only: identity.usernameOnly };
    } catch (err) {
      return fail(reply, 400, (err as Error).message);
    }
  });

  app.post<{ Params: { waId: string } }>('/_sandbox/users/:waId/number', (req, reply) => {
    const b = bodyOf(req.body);
    if (typeof b.phone_number_id !== 'string' || typeof b.new_wa_id !== 'string')
      return fail(reply, 400, 'phone_number_id and new_wa_id are required');
    try {
      return { id: changeNumber(identityDeps, b.phone_number_id, req.params.waId, b.new_wa_id) };
    } catch (err) {
      return fail(reply, 400, (err as Error).message);
    }
  });

  app.post<{ Params: { waId: string } }>('/_sandbox/users/:waId/user-id', (req, reply) => {
    const b = bodyOf(req.body);
    if (typeof b.phone_number_id !== 'string') return fail(reply, 400, 'phone_number_id is required');
    if (b.bsuid !== undefined && typeof b.bsuid !== 'string')
      return fail(reply, 400, 'bsuid must be a string');
    try {
      const bsuid = typeof b.bsuid === 'string' ? b.bsuid : undefined;
      return { id: changeUserId(identityDeps, b.phone_number_id, req.params.waId, bsuid) };
    } catch (err) {
      return fail(reply, 400, (err as Error).message);
    }
  });

  app.get<{ Params: { wabaId: string } }>('/_sandbox/templates/:wabaId', (req) => ({
    data: state.listTemplates(req.params.wabaId).map(templateView),
  }));

  app.post<{ Params: { wabaId: string; name: string; language: string } }>(
    '/_sandbox/templates/:wabaId/:name/:language/status',
    (req, reply) => {
      const { wabaId, name, language } = req.params;
      const b = bodyOf(req.body);
      if (typeof b.status !== 'string' || b.status === '') return fail(reply, 400, 'status is required');
      const t = state.findTemplate(wabaId, name, language);
      if (!t) return fail(reply, 404, `no template ${name} (${language}) in WABA ${wabaId}`);
      manager.setStatus(t, b.status.toUpperCase(), typeof b.reason === 'string' ? { reason: b.reason } : {});
      return { success: true };
    },
  );
}

/**
 * Meta's webhook timestamps are Unix seconds, as a string; either form is taken here. Returns
 * the seconds, or what was wrong (milliseconds are the usual mistake, so that is named).
 */
export function unixSeconds(v: unknown): number | string {
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0)
    return `timestamp must be Unix seconds, an integer or a string of digits (as in Meta's webhooks), got ${JSON.stringify(v)}`;
  if (n > 100_000_000_000)
    return `timestamp ${n} looks like milliseconds; give Unix seconds (${Math.floor(n / 1000)})`;
  return n;
}
