/**
 * Resume-contact rules: checking one (shape, then its template: it must exist and be APPROVED
 * now, the parameters must fit it, and the channel's send policy must allow it — on a Messenger
 * page only a utility template, which goes as UTILITY), and the per-account rule (PUT/GET/DELETE
 * /v1/accounts/{account_id}/resume-rule). A mark's own rule is checked the same way when marked.
 */
import type { Kysely } from 'kysely';
import { decideSend } from '../../domain/channels/send-policy';
import { checkResumeSpec, type ResumeSpec, sampleResumeTemplate } from '../../domain/conversations/resume';
import { RecontactError } from '../../domain/errors';
import { bindTemplate } from '../../domain/templates/bind';
import { accountChannel } from '../../store/account-channel';
import type { Database } from '../../store/schema';
import { getTemplate } from '../../store/templates-repo';
import {
  deleteResumeRule,
  getResumeRule,
  putResumeRule,
  type ResumeRuleRecord,
} from '../../store/waiting-repo';
import type { EngineContext } from '../context';
import { templateNotFound } from '../templates/not-found';

/** A rule as given: checked before use (domain/conversations/resume.ts). */
export type ResumeInput = {
  template: { name: string; language: string } & Record<string, unknown>;
  before_close_minutes?: number;
  handoff?: boolean;
};

/**
 * The checked rule, or INPUT_INVALID / TEMPLATE_NOT_FOUND / TEMPLATE_NOT_APPROVED /
 * SEND_POLICY_REFUSED / TEMPLATE_PARAMS_INVALID.
 */
export async function checkResumeRule(
  db: Kysely<Database>,
  accountId: string,
  input: unknown,
  path: string,
): Promise<ResumeSpec> {
  const checked = checkResumeSpec(input, path);
  if (!checked.ok) {
    throw new RecontactError('INPUT_INVALID', `The resume rule at "${path}" is not valid`, {
      details: checked.problems,
      hint: 'A resume rule is {"template": {"name", "language", "body"?: […]}, "before_close_minutes"?: 0, "handoff"?: false}.',
    });
  }
  const spec = checked.value;
  const { name, language } = spec.template;
  const tpl = await getTemplate(db, accountId, name, language);
  if (!tpl)
    throw await templateNotFound(db, { accountId, name, language, path: `${path}.template.language` });
  if (tpl.status !== 'APPROVED') {
    throw new RecontactError(
      'TEMPLATE_NOT_APPROVED',
      `Template "${name}" (${language}) is ${tpl.status}; a resume rule needs an APPROVED template`,
      {
        details: [{ path: `${path}.template.name`, message: `is ${tpl.status}` }],
        data: { status: tpl.status, rejected_reason: tpl.rejectedReason },
        hint: 'Wait for Meta to approve it, or name another approved template.',
      },
    );
  }
  // The template's verdict does not depend on the window: a category the channel refuses is
  // refused now, not on the day a contact waits for it.
  const channel = (await accountChannel(db, accountId)) ?? 'whatsapp';
  const verdict = decideSend({
    channel,
    content: 'template',
    templateCategory: tpl.category,
    lastInboundAt: null,
    lastUserMessageAt: null,
    now: 0,
  });
  if (!verdict.ok) {
    throw new RecontactError(
      'SEND_POLICY_REFUSED',
      `${verdict.reason}: "${name}" (${language}) is ${tpl.category}`,
      {
        details: [
          {
            path: `${path}.template.name`,
            message: `is ${tpl.category}; a ${channel} resume rule cannot send it`,
          },
        ],
        hint: verdict.hint,
        data: { rule: verdict.rule, intent: verdict.intent, category: tpl.category },
      },
    );
  }
  try {
    const { name: _n, language: _l, ...params } = sampleResumeTemplate(spec.template);
    bindTemplate(tpl, params);
  } catch (e) {
    if (e instanceof RecontactError) {
      throw new RecontactError(e.code, e.message, {
        details: e.details.map((d) => ({ ...d, path: `${path}.template.${d.path}` })),
        ...(e.hint ? { hint: e.hint } : {}),
      });
    }
    throw e;
  }
  return spec;
}

export interface ResumeRuleView {
  account_id: string;
  /** As saved (ResumeSpec), defaults filled in. */
  rule: { template: Record<string, unknown>; before_close_minutes: number; handoff: boolean };
  created_at: string;
  updated_at: string;
}

function view(r: ResumeRuleRecord): ResumeRuleView {
  return {
    account_id: r.accountId,
    rule: r.rule as ResumeRuleView['rule'],
    created_at: new Date(r.createdAt).toISOString(),
    updated_at: new Date(r.updatedAt).toISOString(),
  };
}

export async function saveAccountResumeRule(
  ctx: EngineContext,
  accountId: string,
  input: unknown,
): Promise<ResumeRuleView> {
  const db = ctx.store.db;
  const spec = await checkResumeRule(db, accountId, input, 'body');
  return view(await putResumeRule(db, accountId, spec, ctx.clock()));
}

export async function readAccountResumeRule(ctx: EngineContext, accountId: string): Promise<ResumeRuleView> {
  const r = await getResumeRule(ctx.store.db, accountId);
  if (!r) throw noRule(accountId);
  return view(r);
}

export async function removeAccountResumeRule(ctx: EngineContext, accountId: string): Promise<void> {
  if (!(await deleteResumeRule(ctx.store.db, accountId))) throw noRule(accountId);
}

function noRule(accountId: string): RecontactError {
  return new RecontactError('RESUME_RULE_NOT_FOUND', `Account ${accountId} has no resume-contact rule`, {
    hint: 'PUT /v1/accounts/{account_id}/resume-rule sets one; marks made without one resume nothing unless they bring their own.',
  });
}
