/**
 * Reading what reply routing set and did: a template's routing (its API view, and setting it
 * without a push), a message's replies with each action's outcome, and a template's replies
 * counted per button.
 */
import { RecontactError } from '../../domain/errors';
import { isoTime } from '../../domain/iso-time';
import { checkReplyRouting, type ReplyRouting, type RoutingSource } from '../../domain/replies/reply-rules';
import { checkRouting, type TemplateRouting } from '../../domain/templates/routing';
import { getCampaign } from '../../store/campaigns-repo';
import { getMessage } from '../../store/messages-repo';
import { repliesOfMessage, templateReplyCounts } from '../../store/reply-routing-repo';
import { getTemplateRouting, listTemplateRoutings, setTemplateRouting } from '../../store/templates-repo';
import type { EngineContext } from '../context';
import { templateNotFound } from '../templates/not-found';

const key = (name: string, language: string) => `${name}\u0000${language}`;

/** Every routed template of an account: look one up with `routingOf(map, name, language)`. */
export async function templateRoutings(ctx: EngineContext, accountId: string) {
  return listTemplateRoutings(ctx.store.db, accountId);
}

export function routingOf(
  map: Map<string, TemplateRouting>,
  name: string,
  language: string,
): TemplateRouting | null {
  return map.get(key(name, language)) ?? null;
}

export async function templateRouting(
  ctx: EngineContext,
  accountId: string,
  name: string,
  language: string,
): Promise<TemplateRouting | null> {
  return (await getTemplateRouting(ctx.store.db, accountId, name, language))?.routing ?? null;
}

/**
 * Replaces a template's routing (opt_out, opt_in, on_reply) without a push: it is ours alone,
 * Meta never sees it. null clears it. Every problem is named under `body.`.
 */
export async function putTemplateRouting(
  ctx: EngineContext,
  accountId: string,
  name: string,
  language: string,
  raw: unknown,
): Promise<TemplateRouting | null> {
  const { db } = ctx.store;
  const check = checkRouting(raw);
  if (!check.ok) {
    const first = check.problems[0]!;
    throw new RecontactError(
      'INPUT_INVALID',
      `The routing has ${check.problems.length} problem${check.problems.length === 1 ? '' : 's'}: body.${first.path}: ${first.message}${check.problems.length > 1 ? ' (see details for the others)' : ''}`,
      {
        details: check.problems.map((p) => ({ path: `body.${p.path}`, message: p.message })),
        hint: 'Send the whole routing again with every listed path fixed; nothing was saved.',
      },
    );
  }
  if (!(await getTemplateRouting(db, accountId, name, language))) {
    throw await templateNotFound(db, { accountId, name, language, path: 'language' });
  }
  await setTemplateRouting(db, { accountId, name, language }, check.value, ctx.clock());
  return check.value;
}

/** A message's replies, each with the rule that matched and what its actions did. */
export async function messageReplies(ctx: EngineContext, messageId: string) {
  const { db } = ctx.store;
  const m = await getMessage(db, messageId);
  if (!m) {
    throw new RecontactError('MESSAGE_NOT_FOUND', `No message "${messageId}"`, {
      hint: 'Message ids (msg_…) come from POST /v1/messages and from events.',
    });
  }
  const inForce = await routingInForceFor(ctx, m);
  const replies = await repliesOfMessage(db, m.id);
  return {
    message_id: m.id,
    routing: inForce,
    replies: replies.map((r) => {
      const first = r.actions[0];
      return {
        id: r.id,
        provider_message_id: r.providerMessageId,
        type: r.type,
        text: r.text,
        payload: r.payload,
        received_at: isoTime(r.receivedAt),
        rule: first
          ? {
              source: first.ruleSource as RoutingSource,
              index: first.ruleIndex,
              match: first.ruleMatch,
            }
          : null,
        actions: r.actions.map((a) => ({
          index: a.actionIndex,
          type: a.type,
          outcome: a.outcome,
          detail: a.detail,
          ref: a.ref,
        })),
      };
    }),
  };
}

/** The table a reply to `m` would follow now: its own, its campaign's, or its template's. */
async function routingInForceFor(
  ctx: EngineContext,
  m: NonNullable<Awaited<ReturnType<typeof getMessage>>>,
): Promise<{ source: RoutingSource; on_reply: ReplyRouting['on_reply'] } | null> {
  const { db } = ctx.store;
  if (m.routing !== null) return { source: 'message', ...(JSON.parse(m.routing) as ReplyRouting) };
  if (m.campaign_id !== null) {
    const c = await getCampaign(db, m.account_id, m.campaign_id);
    const raw = c?.definition.routing;
    // Stored as written: read in its canonical form, as the router reads it.
    const checked = raw === undefined || raw === null ? undefined : checkReplyRouting(raw);
    if (checked?.ok) return { source: 'campaign', on_reply: checked.value.on_reply };
  }
  if (m.template_name !== null && m.template_language !== null) {
    const t = await getTemplateRouting(db, m.account_id, m.template_name, m.template_language);
    if (t?.routing?.on_reply) return { source: 'template', on_reply: t.routing.on_reply };
  }
  return null;
}

/** A template's replies per language: per button (payload and label), and all other replies. */
export async function templateReplies(
  ctx: EngineContext,
  q: { accountId: string; name: string; language?: string },
) {
  const { rows, totals } = await templateReplyCounts(ctx.store.db, q);
  const languages = totals
    .map((t) => ({
      language: t.language ?? '',
      replies: t.replies,
      contacts: t.contacts,
      buttons: rows
        .filter((r) => r.language === t.language && r.payload !== null)
        .map((r) => ({ payload: r.payload!, text: r.text, replies: r.replies, contacts: r.contacts }))
        .sort((a, b) => b.replies - a.replies || a.payload.localeCompare(b.payload)),
      other: (() => {
        const o = rows.find((r) => r.language === t.language && r.payload === null);
        return { replies: o?.replies ?? 0, contacts: o?.contacts ?? 0 };
      })(),
    }))
    .sort((a, b) => a.language.localeCompare(b.language));
  return { account_id: q.accountId, name: q.name, languages };
}
