/**
 * A template's `routing`: what replies to it mean to Recontact, beyond "a reply". It lives in
 * the template file beside the definition and in templates.routing, and never goes to Meta
 * (push sends only what Meta reviews; diff compares only that).
 *
 *   routing:
 *     opt_out:
 *       marketing: [STOP_PROMOS, "No quiero promociones"]   # payloads or button texts
 *       all: [STOP_ALL]
 *     opt_in:
 *       marketing: [YES_PROMOS]
 *     on_reply:                                            # domain/replies/reply-rules.ts
 *       - match: { payload: [CONFIRM] }
 *         actions: [ { answer: { text: "¡Gracias!" } }, { tag: [confirmed] } ]
 *
 * Without routing, a MARKETING template's quick reply whose text reads as an opt-out ("No
 * quiero promociones", "Stop", "Sair": isOptOutLabel) still opts out of marketing when tapped.
 */
import type { ConsentChange, ConsentScope } from '../contacts/consent';
import { checkRules, type ReplyRule } from '../replies/reply-rules';
import { isOptOutLabel } from './lint/recontact';
import type { TemplateComponent } from './model';

export type ConsentRouting = Partial<Record<ConsentScope, string[]>>;

export interface TemplateRouting {
  opt_out?: ConsentRouting;
  opt_in?: ConsentRouting;
  /** What a reply does (answer, tag, opt out, wait, hand off…): the first matching rule's actions. */
  on_reply?: ReplyRule[];
}

const DIRECTIONS = ['opt_out', 'opt_in'] as const;
const SCOPES = ['all', 'marketing'] as const;
/** Meta's limits: a quick-reply payload is at most 256 characters, a button text 25. */
const MAX_VALUE = 256;
const MAX_VALUES = 50;

export type RoutingCheck =
  | { ok: true; value: TemplateRouting | null }
  | { ok: false; problems: Array<{ path: string; message: string }> };

/** Checks a `routing` value as written in a template file; undefined and null mean none. */
export function checkRouting(raw: unknown): RoutingCheck {
  if (raw === undefined || raw === null) return { ok: true, value: null };
  const problems: Array<{ path: string; message: string }> = [];
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      ok: false,
      problems: [
        { path: 'routing', message: 'routing is a mapping: { opt_out: { marketing: [PAYLOAD, …] } }' },
      ],
    };
  }
  const value: TemplateRouting = {};
  for (const [key, part] of Object.entries(raw as Record<string, unknown>)) {
    if (key === 'on_reply') {
      const rules = checkRules(part, 'routing.on_reply', problems);
      if (rules) value.on_reply = rules;
      continue;
    }
    if (!(DIRECTIONS as readonly string[]).includes(key)) {
      problems.push({
        path: `routing.${key}`,
        message: `unknown key; routing knows ${DIRECTIONS.join(', ')} and on_reply`,
      });
      continue;
    }
    const direction = key as (typeof DIRECTIONS)[number];
    if (typeof part !== 'object' || part === null || Array.isArray(part)) {
      problems.push({
        path: `routing.${key}`,
        message: 'a mapping of scope (marketing, all) to a list of payloads or button texts',
      });
      continue;
    }
    const scopes: ConsentRouting = {};
    for (const [scope, list] of Object.entries(part as Record<string, unknown>)) {
      const path = `routing.${key}.${scope}`;
      if (!(SCOPES as readonly string[]).includes(scope)) {
        problems.push({ path, message: 'the scope is marketing or all' });
        continue;
      }
      if (
        !Array.isArray(list) ||
        list.length > MAX_VALUES ||
        list.some((v) => typeof v !== 'string' || v.length === 0 || v.length > MAX_VALUE)
      ) {
        problems.push({
          path,
          message: `a list of up to ${MAX_VALUES} payloads or button texts, each 1 to ${MAX_VALUE} characters`,
        });
        continue;
      }
      scopes[scope as ConsentScope] = [...new Set(list as string[])];
    }
    value[direction] = scopes;
  }
  return problems.length ? { ok: false, problems } : { ok: true, value };
}

/** What tapping a quick reply (payload, text) of a template means for consent, if anything. */
export function routedConsent(
  template: { category: string; components: TemplateComponent[]; routing: TemplateRouting | null },
  tap: { payload: string; text: string },
): { scope: ConsentScope; state: ConsentChange; rule: 'routing' | 'opt_out_label' } | undefined {
  for (const direction of DIRECTIONS) {
    for (const scope of SCOPES) {
      const list = template.routing?.[direction]?.[scope];
      if (list && (list.includes(tap.payload) || list.includes(tap.text))) {
        return { scope, state: direction === 'opt_out' ? 'opted_out' : 'opted_in', rule: 'routing' };
      }
    }
  }
  if (template.category !== 'MARKETING' || !isOptOutLabel(tap.text)) return undefined;
  // The label must be one of the template's own quick replies, not any text the tap claims.
  const quickReplies = template.components
    .flatMap((c) => (c.type === 'BUTTONS' ? c.buttons : []))
    .filter((b) => b.type === 'QUICK_REPLY')
    .map((b) => b.text);
  return quickReplies.includes(tap.text)
    ? { scope: 'marketing', state: 'opted_out', rule: 'opt_out_label' }
    : undefined;
}
