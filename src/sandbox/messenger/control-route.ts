/**
 * /_sandbox/messenger: the Messenger side's control endpoints, loopback only like every
 * /_sandbox route (../control-route.ts), no auth. Errors: `{error: {message}}`.
 *
 *   GET  /_sandbox/messenger/pages
 *   POST /_sandbox/messenger/users                      {page_id, name?, psid?} → 201 user
 *   GET  /_sandbox/messenger/users[?page_id=]
 *   GET  /_sandbox/messenger/users/:psid                 the person, their windows
 *   GET  /_sandbox/messenger/users/:psid/inbox           what the page sent them
 *   POST /_sandbox/messenger/users/:psid/message         {text, timestamp?, reply_to?, ad?: {ad_id?, ref?}}
 *   POST /_sandbox/messenger/users/:psid/quick_reply     {payload?, text?, timestamp?}
 *   POST /_sandbox/messenger/users/:psid/postback        {payload?, title?, mid?, timestamp?}
 *   POST /_sandbox/messenger/users/:psid/reaction        {mid, reaction, action?: "react"|"unreact", timestamp?}
 *   POST /_sandbox/messenger/users/:psid/referral        {ref?, source?, type?, ad_id?, timestamp?}
 *   POST /_sandbox/messenger/users/:psid/block           {blocked: true|false}
 *   GET  /_sandbox/messenger/messages[?page_id=&recipient_id=&limit=]
 *   GET  /_sandbox/messenger/templates/:pageId
 *   POST /_sandbox/messenger/templates/:pageId/:name/:language/status   {status, reason?}
 *   POST /_sandbox/messenger/errors                      {code, subcode?, message?, page_id?, psid?, count?}
 *   GET | DELETE /_sandbox/messenger/errors
 *
 * Timestamps are Messenger's: epoch milliseconds.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { InjectedErrors, InjectedMessengerError, InjectMessengerError } from './send-api';
import type { MessengerState, PageTemplate } from './state';
import type { PageTemplates } from './templates';
import type { MessengerActOptions, MessengerSendTextOptions, MessengerUsers } from './users';

export interface MessengerControlDeps {
  state: MessengerState;
  users: MessengerUsers;
  templates: PageTemplates;
  injected: InjectedErrors;
}

type Obj = Record<string, unknown>;

function fail(reply: FastifyReply, status: number, message: string): undefined {
  reply.code(status).send({ error: { message } });
  return undefined;
}

function bodyOf(b: unknown): Obj {
  return typeof b === 'object' && b !== null && !Array.isArray(b) ? (b as Obj) : {};
}

function optString(b: Obj, key: string): string | undefined {
  const v = b[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new TypeError(`${key} must be a string`);
  return v;
}

function actOptions(b: Obj): MessengerActOptions {
  if (b.timestamp === undefined) return {};
  if (typeof b.timestamp !== 'number')
    throw new TypeError('timestamp must be epoch milliseconds (a number), as in Messenger webhooks');
  return { at: b.timestamp };
}

export function templateView(t: PageTemplate) {
  return {
    id: t.id,
    page_id: t.pageId,
    name: t.name,
    language: t.language,
    category: t.category,
    parameter_format: t.parameterFormat,
    components: t.components,
    status: t.status,
    rejected_reason: t.rejectedReason,
  };
}

export function injectedView(e: InjectedMessengerError) {
  return {
    code: e.code,
    ...(e.subcode === undefined ? {} : { subcode: e.subcode }),
    message: e.message,
    count: e.left,
    ...(e.pageId === undefined ? {} : { page_id: e.pageId }),
    ...(e.psid === undefined ? {} : { psid: e.psid }),
  };
}

export function registerMessengerControlRoutes(app: FastifyInstance, d: MessengerControlDeps): void {
  const { state, users } = d;

  /** Runs `fn`; a thrown Error becomes `status` with its message (a person's mistake, said plainly). */
  const attempt = <T>(reply: FastifyReply, status: number, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      return fail(reply, err instanceof TypeError ? 400 : status, (err as Error).message);
    }
  };
  const known = (psid: string, reply: FastifyReply): boolean => {
    if (state.users.has(psid)) return true;
    fail(
      reply,
      404,
      `no simulated Messenger user with PSID ${psid}; create one with POST /_sandbox/messenger/users`,
    );
    return false;
  };

  app.get('/_sandbox/messenger/pages', () => ({
    data: [...state.pages.values()].map((p) => ({
      id: p.id,
      name: p.name,
      webhook_url: p.webhookUrl ?? null,
      human_agent: p.humanAgent,
    })),
  }));

  app.post('/_sandbox/messenger/users', (req, reply) => {
    const b = bodyOf(req.body);
    if (typeof b.page_id !== 'string') return fail(reply, 400, 'page_id is required');
    if (!state.pages.has(b.page_id)) return fail(reply, 404, `unknown page id ${b.page_id}`);
    const user = attempt(reply, 400, () => {
      const opts: { name?: string; psid?: string } = {};
      const name = optString(b, 'name');
      const psid = optString(b, 'psid');
      if (name !== undefined) opts.name = name;
      if (psid !== undefined) opts.psid = psid;
      return users.create(b.page_id as string, opts);
    });
    if (user) reply.code(201);
    return user;
  });

  app.get<{ Querystring: { page_id?: string } }>('/_sandbox/messenger/users', (req) => ({
    data: users.list(req.query?.page_id),
  }));

  app.get<{ Params: { psid: string } }>('/_sandbox/messenger/users/:psid', (req, reply) => {
    if (!known(req.params.psid, reply)) return undefined;
    return users.get(req.params.psid);
  });

  app.get<{ Params: { psid: string } }>('/_sandbox/messenger/users/:psid/inbox', (req, reply) => {
    if (!known(req.params.psid, reply)) return undefined;
    return { data: users.inbox(req.params.psid) };
  });

  const act = (path: string, run: (psid: string, b: Obj) => Obj) =>
    app.post<{ Params: { psid: string } }>(`/_sandbox/messenger/users/:psid/${path}`, (req, reply) => {
      if (!known(req.params.psid, reply)) return undefined;
      return attempt(reply, 400, () => run(req.params.psid, bodyOf(req.body)));
    });

  act('message', (psid, b) => {
    if (typeof b.text !== 'string' || b.text === '') throw new TypeError('text is required');
    const opts: MessengerSendTextOptions = actOptions(b);
    const replyTo = optString(b, 'reply_to');
    if (replyTo !== undefined) opts.replyTo = replyTo;
    if (b.ad !== undefined) {
      const ad = bodyOf(b.ad);
      opts.ad = {};
      const adId = optString(ad, 'ad_id');
      const ref = optString(ad, 'ref');
      if (adId !== undefined) opts.ad.adId = adId;
      if (ref !== undefined) opts.ad.ref = ref;
    }
    const mid = users.sendText(psid, b.text, opts);
    return { mid, timestamp: opts.at ?? users.get(psid).lastActionAt };
  });

  act('quick_reply', (psid, b) => {
    const payload = optString(b, 'payload');
    const text = optString(b, 'text');
    if (payload === undefined && text === undefined) throw new TypeError('give payload or text (or both)');
    const choice: { payload?: string; text?: string } = {};
    if (payload !== undefined) choice.payload = payload;
    if (text !== undefined) choice.text = text;
    return { mid: users.tapQuickReply(psid, choice, actOptions(b)) };
  });

  act('postback', (psid, b) => {
    const payload = optString(b, 'payload');
    const title = optString(b, 'title');
    if (payload === undefined && title === undefined) throw new TypeError('give payload or title (or both)');
    const choice: { payload?: string; title?: string } = {};
    if (payload !== undefined) choice.payload = payload;
    if (title !== undefined) choice.title = title;
    const opts: MessengerActOptions & { mid?: string } = actOptions(b);
    const mid = optString(b, 'mid');
    if (mid !== undefined) opts.mid = mid;
    return { mid: users.postback(psid, choice, opts) };
  });

  act('reaction', (psid, b) => {
    const mid = optString(b, 'mid');
    if (!mid) throw new TypeError('mid is required: the message reacted to');
    const action = b.action ?? 'react';
    if (action !== 'react' && action !== 'unreact')
      throw new TypeError('action must be "react" or "unreact"');
    const reaction = optString(b, 'reaction') ?? '';
    if (action === 'react' && reaction === '')
      throw new TypeError('reaction is required: an emoji or a name');
    users.react(psid, mid, reaction, { ...actOptions(b), unreact: action === 'unreact' });
    return { success: true };
  });

  act('referral', (psid, b) => {
    const r: { ref?: string; source?: string; type?: string; adId?: string } = {};
    const ref = optString(b, 'ref');
    const source = optString(b, 'source');
    const type = optString(b, 'type');
    const adId = optString(b, 'ad_id');
    if (ref !== undefined) r.ref = ref;
    if (source !== undefined) r.source = source;
    if (type !== undefined) r.type = type;
    if (adId !== undefined) r.adId = adId;
    users.referral(psid, r, actOptions(b));
    return { success: true };
  });

  act('block', (psid, b) => {
    if (typeof b.blocked !== 'boolean') throw new TypeError('blocked must be true or false');
    users.setBlocked(psid, b.blocked);
    return { success: true, blocked: b.blocked };
  });

  app.get<{ Querystring: { page_id?: string; recipient_id?: string; limit?: string } }>(
    '/_sandbox/messenger/messages',
    (req) => {
      const { page_id: page, recipient_id: to, limit } = req.query ?? {};
      let data = state.sent.filter((r) => (!page || r.pageId === page) && (!to || r.recipientId === to));
      const n = limit === undefined ? 0 : Number(limit);
      if (Number.isInteger(n) && n > 0) data = data.slice(-n);
      return { data };
    },
  );

  app.get<{ Params: { pageId: string } }>('/_sandbox/messenger/templates/:pageId', (req, reply) => {
    const list = state.templates.get(req.params.pageId);
    if (!list) return fail(reply, 404, `unknown page id ${req.params.pageId}`);
    return { data: list.map(templateView) };
  });

  app.post<{ Params: { pageId: string; name: string; language: string } }>(
    '/_sandbox/messenger/templates/:pageId/:name/:language/status',
    (req, reply) => {
      const { pageId, name, language } = req.params;
      const b = bodyOf(req.body);
      if (typeof b.status !== 'string' || b.status === '') return fail(reply, 400, 'status is required');
      const t = state.findTemplate(pageId, name, language);
      if (!t) return fail(reply, 404, `no template ${name} (${language}) on page ${pageId}`);
      d.templates.setStatus(t, b.status.toUpperCase(), typeof b.reason === 'string' ? b.reason : undefined);
      return { success: true };
    },
  );

  app.post('/_sandbox/messenger/errors', (req, reply) => {
    const b = bodyOf(req.body);
    if (typeof b.code !== 'number')
      return fail(reply, 400, 'code is required: the Graph error code to answer with');
    for (const k of ['subcode', 'count'] as const)
      if (b[k] !== undefined && typeof b[k] !== 'number') return fail(reply, 400, `${k} must be a number`);
    return attempt(reply, 400, () => {
      const r: InjectMessengerError = { code: b.code as number };
      if (typeof b.subcode === 'number') r.subcode = b.subcode;
      if (typeof b.count === 'number') r.count = b.count;
      const message = optString(b, 'message');
      const pageId = optString(b, 'page_id');
      const psid = optString(b, 'psid');
      if (message !== undefined) r.message = message;
      if (pageId !== undefined) {
        if (!state.pages.has(pageId)) throw new TypeError(`unknown page id ${pageId}`);
        r.pageId = pageId;
      }
      if (psid !== undefined) r.psid = psid;
      return { queued: injectedView(d.injected.add(r)) };
    });
  });
  app.get('/_sandbox/messenger/errors', () => ({ data: d.injected.list().map(injectedView) }));
  app.delete('/_sandbox/messenger/errors', () => {
    d.injected.clear();
    return { success: true };
  });
}
