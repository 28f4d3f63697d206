/**
 * Reply routing: a declarative table of what a reply to one of our messages does, read from a
 * template file (`routing.on_reply`), a send (`"routing"` on POST /v1/messages) or a campaign
 * definition (`routing`). Pure: checked here when saved, matched here when a reply arrives; the
 * engine (engine/inbound/reply-router.ts) carries the actions out.
 *
 *   on_reply:
 *     - match: { payload: [CONFIRM] }          # or { text: ["sí", "si"] }, or { any: true }
 *       actions:
 *         - answer: { text: "¡Gracias! Te esperamos." }
 *         - set_attribute: { appointment_status: confirmed }
 *         - tag: [confirmed]
 *     - match: { payload: [CANCEL] }
 *       actions: [ { untag: [confirmed] }, { handoff: { reason: cancel } } ]
 *     - match: { any: true }
 *       actions: [ { wait: { reason: agent } } ]
 *
 * Decisions where the issue is silent:
 *   - The first rule whose match fits wins; the rest are not looked at.
 *   - A match lists payloads, texts or both (either fits); `any: true` stands alone. A payload
 *     is compared exactly (it is ours), or by its start when written with a final "*"
 *     ("CONFIRM:*" fits "CONFIRM:appt-123": payloads often carry an id); a text is compared
 *     trimmed and case-insensitively, and also with a tapped button's label, so
 *     `text: [Confirmar]` fits the button.
 *   - Each rule does 1 to 10 actions, in order; `wait` and `clear_waiting` together, or the same
 *     tag added and removed, contradict each other and are refused when saved.
 *   - Every value is held to what it is written into: an answer to Meta's 4096 characters, a tag
 *     and an attribute to the contact book's own rules, metadata to the send's limits.
 */

import { CONSENT_SCOPES, type ConsentScope } from '../contacts/consent';
import {
  type AttributeValue,
  checkAttributeName,
  checkAttributeValue,
  checkTag,
} from '../contacts/contact-fields';
import type { ErrorDetail } from '../errors';
import { cut, isRecord, typeName } from '../input-words';
import { metadataProblems } from '../metadata-limits';

export interface ReplyMatch {
  payload?: string[];
  text?: string[];
  any?: true;
}

/** One action, in its canonical written form: one key naming what it does. */
export type ReplyAction =
  | { answer: { text: string } }
  | { set_attribute: Record<string, AttributeValue> }
  | { tag: string[] }
  | { untag: string[] }
  | { opt_out: ConsentScope }
  | { wait: { reason: string; question?: string; metadata?: Record<string, unknown> } }
  | { clear_waiting: true }
  | { handoff: { reason?: string } };

export type ReplyActionType =
  | 'answer'
  | 'set_attribute'
  | 'tag'
  | 'untag'
  | 'opt_out'
  | 'wait'
  | 'clear_waiting'
  | 'handoff';

export const REPLY_ACTION_TYPES: readonly ReplyActionType[] = [
  'answer',
  'set_attribute',
  'tag',
  'untag',
  'opt_out',
  'wait',
  'clear_waiting',
  'handoff',
];

export interface ReplyRule {
  match: ReplyMatch;
  actions: ReplyAction[];
}

/** What a template, a message or a campaign says replies do. */
export interface ReplyRouting {
  on_reply: ReplyRule[];
}

export const REPLY_ROUTING_LIMITS = Object.freeze({
  rules: 20,
  actionsPerRule: 10,
  matchValues: 50,
  /** Meta's limit on a quick-reply payload. */
  payloadLength: 256,
  matchTextLength: 1024,
  /** Meta's limit on a free-form text message's body. */
  answerLength: 4096,
  attributesPerAction: 20,
  tagsPerAction: 20,
  reasonLength: 64,
  questionLength: 1024,
});

export type ReplyRoutingCheck = { ok: true; value: ReplyRouting } | { ok: false; problems: ErrorDetail[] };

const L = REPLY_ROUTING_LIMITS;
const RULE_KEYS = ['match', 'actions'];
const MATCH_KEYS = ['payload', 'text', 'any'];
const REASON = /^[a-z0-9][a-z0-9_.-]*$/i;

export function actionType(a: ReplyAction): ReplyActionType {
  return Object.keys(a)[0] as ReplyActionType;
}

/**
 * Checks a routing table as written: `{ on_reply: [ … ] }` at `path` ("routing", or
 * "body.routing" for an API body). Every problem is listed with its path.
 */
export function checkReplyRouting(raw: unknown, path = 'routing'): ReplyRoutingCheck {
  const problems: ErrorDetail[] = [];
  if (!isRecord(raw)) {
    return {
      ok: false,
      problems: [
        { path, message: `must be an object { on_reply: [ { match, actions }, … ] }, not ${typeName(raw)}` },
      ],
    };
  }
  for (const key of Object.keys(raw)) {
    if (key !== 'on_reply')
      problems.push({ path: `${path}.${key}`, message: 'unknown key; routing here holds on_reply only' });
  }
  const rules = checkRules(raw.on_reply, `${path}.on_reply`, problems);
  return problems.length || !rules ? { ok: false, problems } : { ok: true, value: { on_reply: rules } };
}

/** Checks an `on_reply` list at `path`, adding what is wrong to `problems`. */
export function checkRules(raw: unknown, path: string, problems: ErrorDetail[]): ReplyRule[] | undefined {
  if (!Array.isArray(raw)) {
    problems.push({
      path,
      message: `must be a list of rules [ { match, actions }, … ], not ${typeName(raw)}`,
    });
    return undefined;
  }
  if (raw.length > L.rules) {
    problems.push({
      path,
      message: `has ${raw.length} rules; at most ${L.rules} (the first match wins: merge rules that do the same)`,
    });
    return undefined;
  }
  const before = problems.length;
  const rules: ReplyRule[] = [];
  raw.forEach((r, i) => {
    const rule = checkRule(r, `${path}[${i}]`, problems);
    if (rule) rules.push(rule);
  });
  return problems.length > before ? undefined : rules;
}

function checkRule(raw: unknown, path: string, problems: ErrorDetail[]): ReplyRule | undefined {
  if (!isRecord(raw)) {
    problems.push({ path, message: `a rule is { match, actions }, not ${typeName(raw)}` });
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (!RULE_KEYS.includes(key))
      problems.push({ path: `${path}.${key}`, message: 'unknown key; a rule has match and actions' });
  }
  const match = checkMatch(raw.match, `${path}.match`, problems);
  const actions = checkActions(raw.actions, `${path}.actions`, problems);
  return match && actions ? { match, actions } : undefined;
}

function checkMatch(raw: unknown, path: string, problems: ErrorDetail[]): ReplyMatch | undefined {
  if (raw === undefined || raw === null) {
    problems.push({ path, message: 'is required: { payload: [ … ] }, { text: [ … ] } or { any: true }' });
    return undefined;
  }
  if (!isRecord(raw)) {
    problems.push({
      path,
      message: `must be { payload: [ … ] }, { text: [ … ] } or { any: true }, not ${typeName(raw)}`,
    });
    return undefined;
  }
  const before = problems.length;
  for (const key of Object.keys(raw)) {
    if (!MATCH_KEYS.includes(key))
      problems.push({ path: `${path}.${key}`, message: 'unknown key; a match has payload, text or any' });
  }
  const match: ReplyMatch = {};
  if (raw.any !== undefined) {
    if (raw.any !== true) problems.push({ path: `${path}.any`, message: 'is true or left out' });
    else if (raw.payload !== undefined || raw.text !== undefined) {
      problems.push({
        path: `${path}.any`,
        message: 'any: true matches every reply; leave payload and text out',
      });
    } else match.any = true;
  }
  const payload = valueList(raw.payload, `${path}.payload`, L.payloadLength, problems);
  if (payload) match.payload = payload;
  const text = valueList(raw.text, `${path}.text`, L.matchTextLength, problems);
  if (text) match.text = text;
  if (problems.length > before) return undefined;
  if (!match.any && !match.payload && !match.text) {
    problems.push({
      path,
      message: 'is empty: list payloads or texts to match, or write { any: true } for every reply',
    });
    return undefined;
  }
  return match;
}

/** A list of 1 to matchValues non-empty strings (a single string is taken as a list of one). */
function valueList(raw: unknown, path: string, max: number, problems: ErrorDetail[]): string[] | undefined {
  if (raw === undefined) return undefined;
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || list.length === 0 || list.length > L.matchValues) {
    problems.push({ path, message: `must be a list of 1 to ${L.matchValues} texts` });
    return undefined;
  }
  const out: string[] = [];
  list.forEach((v, i) => {
    if (typeof v !== 'string' || v.trim() === '')
      problems.push({ path: `${path}[${i}]`, message: 'must be a non-empty text' });
    else if (v.length > max)
      problems.push({ path: `${path}[${i}]`, message: `is ${v.length} characters long; at most ${max}` });
    else out.push(v);
  });
  return out.length === list.length ? [...new Set(out)] : undefined;
}

function checkActions(raw: unknown, path: string, problems: ErrorDetail[]): ReplyAction[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push({
      path,
      message: `must be a list of 1 to ${L.actionsPerRule} actions (${REPLY_ACTION_TYPES.join(', ')})`,
    });
    return undefined;
  }
  if (raw.length > L.actionsPerRule) {
    problems.push({ path, message: `has ${raw.length} actions; at most ${L.actionsPerRule}` });
    return undefined;
  }
  const before = problems.length;
  const actions = raw.map((a, i) => checkAction(a, `${path}[${i}]`, problems));
  if (problems.length > before) return undefined;
  const checked = actions as ReplyAction[];
  const types = checked.map(actionType);
  for (const once of ['answer', 'opt_out', 'wait', 'clear_waiting', 'handoff'] as const) {
    const at = types.indexOf(once);
    if (at >= 0 && types.indexOf(once, at + 1) >= 0) {
      problems.push({
        path: `${path}[${types.indexOf(once, at + 1)}].${once}`,
        message: `a rule does ${once} at most once`,
      });
    }
  }
  if (types.includes('wait') && types.includes('clear_waiting')) {
    problems.push({
      path: `${path}[${types.indexOf('clear_waiting')}].clear_waiting`,
      message: 'a rule cannot both mark and clear waiting',
    });
  }
  const added = new Set(checked.flatMap((a) => ('tag' in a ? a.tag : [])));
  checked.forEach((a, i) => {
    if (!('untag' in a)) return;
    const both = a.untag.find((t) => added.has(t));
    if (both !== undefined)
      problems.push({
        path: `${path}[${i}].untag`,
        message: `"${cut(both)}" is also added by tag in this rule`,
      });
  });
  return problems.length > before ? undefined : checked;
}

function checkAction(raw: unknown, path: string, problems: ErrorDetail[]): ReplyAction | undefined {
  if (!isRecord(raw) || Object.keys(raw).length !== 1) {
    problems.push({
      path,
      message: `an action is an object with one key, one of ${REPLY_ACTION_TYPES.join(', ')} (e.g. { tag: [confirmed] })`,
    });
    return undefined;
  }
  const [type, value] = Object.entries(raw)[0]!;
  const at = `${path}.${type}`;
  const fail = (message: string) => {
    problems.push({ path: at, message });
    return undefined;
  };
  switch (type) {
    case 'answer': {
      const text = isRecord(value) ? value.text : value;
      if (isRecord(value) && Object.keys(value).some((k) => k !== 'text')) return fail('is { text: "…" }');
      if (typeof text !== 'string' || text.trim() === '')
        return fail('is { text: "…" }: the free-form text to send');
      if (text.length > L.answerLength) {
        return fail(
          `text is ${text.length} characters long; Meta takes at most ${L.answerLength} in a text message`,
        );
      }
      return { answer: { text } };
    }
    case 'set_attribute': {
      if (!isRecord(value) || Object.keys(value).length === 0)
        return fail('is { name: value, … }: the attributes to set');
      const entries = Object.entries(value);
      if (entries.length > L.attributesPerAction)
        return fail(`sets ${entries.length} attributes; at most ${L.attributesPerAction}`);
      const out: Record<string, AttributeValue> = {};
      const before = problems.length;
      for (const [name, v] of entries) {
        const n = checkAttributeName(name);
        if (!n.ok) {
          problems.push({ path: `${at}.${name}`, message: n.problem });
          continue;
        }
        const c = checkAttributeValue(v);
        if (!c.ok) problems.push({ path: `${at}.${name}`, message: c.problem });
        else out[name] = c.value;
      }
      return problems.length > before ? undefined : { set_attribute: out };
    }
    case 'tag':
    case 'untag': {
      const list = typeof value === 'string' ? [value] : value;
      if (!Array.isArray(list) || list.length === 0 || list.length > L.tagsPerAction) {
        return fail(`is a list of 1 to ${L.tagsPerAction} tags`);
      }
      const tags: string[] = [];
      const before = problems.length;
      list.forEach((t, i) => {
        const c = checkTag(t);
        if (c.ok) tags.push(c.value);
        else problems.push({ path: `${at}[${i}]`, message: c.problem });
      });
      if (problems.length > before) return undefined;
      const unique = [...new Set(tags)];
      return type === 'tag' ? { tag: unique } : { untag: unique };
    }
    case 'opt_out': {
      if (typeof value !== 'string' || !(CONSENT_SCOPES as readonly string[]).includes(value)) {
        return fail(
          `is the scope: ${CONSENT_SCOPES.join(' or ')} (marketing: marketing templates only; all: every message we start)`,
        );
      }
      return { opt_out: value as ConsentScope };
    }
    case 'wait': {
      if (!isRecord(value)) return fail('is { reason: agent, question?: "…", metadata?: { … } }');
      const before = problems.length;
      for (const k of Object.keys(value)) {
        if (!['reason', 'question', 'metadata'].includes(k))
          problems.push({
            path: `${at}.${k}`,
            message: 'unknown key; wait has reason, question and metadata',
          });
      }
      const reason = checkReason(value.reason, `${at}.reason`, true, problems);
      const out: { reason: string; question?: string; metadata?: Record<string, unknown> } = {
        reason: reason ?? '',
      };
      if (value.question !== undefined) {
        if (
          typeof value.question !== 'string' ||
          value.question.trim() === '' ||
          value.question.length > L.questionLength
        ) {
          problems.push({
            path: `${at}.question`,
            message: `is a text of 1 to ${L.questionLength} characters; leave it out to take the reply's text`,
          });
        } else out.question = value.question;
      }
      if (value.metadata !== undefined) {
        if (!isRecord(value.metadata))
          problems.push({
            path: `${at}.metadata`,
            message: `must be an object, not ${typeName(value.metadata)}`,
          });
        else {
          problems.push(...metadataProblems(value.metadata, `${at}.metadata`));
          out.metadata = value.metadata;
        }
      }
      return problems.length > before ? undefined : { wait: out };
    }
    case 'clear_waiting':
      if (value !== true && !(isRecord(value) && Object.keys(value).length === 0)) return fail('is true');
      return { clear_waiting: true };
    case 'handoff': {
      if (value === true || value === null) return { handoff: {} };
      if (!isRecord(value) || Object.keys(value).some((k) => k !== 'reason'))
        return fail('is true or { reason: cancel }');
      if (value.reason === undefined) return { handoff: {} };
      const reason = checkReason(value.reason, `${at}.reason`, false, problems);
      return reason === undefined ? undefined : { handoff: { reason } };
    }
    default:
      return fail(`unknown action; an action is one of ${REPLY_ACTION_TYPES.join(', ')}`);
  }
}

function checkReason(
  raw: unknown,
  path: string,
  required: boolean,
  problems: ErrorDetail[],
): string | undefined {
  if (raw === undefined && !required) return undefined;
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > L.reasonLength || !REASON.test(raw)) {
    problems.push({
      path,
      message: `is a word of 1 to ${L.reasonLength} letters, digits, "_", "." or "-" (agent, callback, cancel, …)`,
    });
    return undefined;
  }
  return raw;
}

// ─── Matching ──────────────────────────────────────────────────────────────────────────────

/** What a reply offers to be matched: a tapped button's payload and label, or the text written. */
export interface ReplyFacts {
  payload: string | null;
  text: string | null;
  buttonText: string | null;
}

export interface RuleHit {
  index: number;
  rule: ReplyRule;
  /** What matched: "payload:" and the reply's payload, "text:" and the rule's text, or "any". */
  matched: string;
}

const fold = (s: string) => s.normalize('NFC').trim().toLocaleLowerCase();

/** "CONFIRM:*" fits every payload starting "CONFIRM:" (payloads often carry an id); others exactly. */
function payloadFits(pattern: string, payload: string): boolean {
  return pattern.endsWith('*') ? payload.startsWith(pattern.slice(0, -1)) : pattern === payload;
}

/** The first rule that fits the reply, or undefined when none does. */
export function matchReply(rules: readonly ReplyRule[], reply: ReplyFacts): RuleHit | undefined {
  const texts = [reply.text, reply.buttonText].filter((t): t is string => t !== null).map(fold);
  for (const [index, rule] of rules.entries()) {
    const m = rule.match;
    if (m.any) return { index, rule, matched: 'any' };
    const payload = reply.payload;
    if (payload !== null && m.payload?.some((p) => payloadFits(p, payload))) {
      return { index, rule, matched: `payload:${payload}` };
    }
    const text = m.text?.find((t) => texts.includes(fold(t)));
    if (text !== undefined) return { index, rule, matched: `text:${text}` };
  }
  return undefined;
}

/** How the three levels combine: the message's table, else the campaign's, else the template's. */
export type RoutingSource = 'message' | 'campaign' | 'template';

export function routingInForce(levels: {
  message: ReplyRouting | null;
  campaign: ReplyRouting | null;
  template: ReplyRouting | null;
}): { source: RoutingSource; routing: ReplyRouting } | undefined {
  for (const source of ['message', 'campaign', 'template'] as const) {
    const routing = levels[source];
    // Whole tables, never merged: an empty list given on a message silences the template's.
    if (routing) return { source, routing };
  }
  return undefined;
}
