/**
 * `routing` is Recontact's, not Meta's (domain/templates/routing.ts): what a reply to the
 * template means (e.g. STOP_PROMOS is an opt-out of marketing). Linted with the rest so that
 * `recontact templates lint` and the API refuse the same files.
 */
import { checkRouting } from '../routing';
import type { RuleGroup } from './types';

export const routingGroup: RuleGroup = {
  name: 'routing',
  rules: [
    {
      id: 'routing',
      severity: 'error',
      description:
        "A template's routing (opt-out and opt-in replies, on_reply rules) is not in the shape Recontact reads",
    },
  ],
  check({ t, report }) {
    const check = checkRouting((t.raw as { routing?: unknown }).routing);
    if (check.ok) return;
    for (const p of check.problems) {
      report('routing', {
        path: p.path,
        message: p.message,
        fix: p.path.startsWith('routing.on_reply')
          ? 'write on_reply as a list of { match: { payload: [CONFIRM] } | { text: [sí] } | { any: true }, actions: [ { answer: { text } }, { tag: [x] }, … ] }'
          : 'write routing: { opt_out: { marketing: [PAYLOAD or button text, …], all: […] }, opt_in: {…}, on_reply: […] }',
      });
    }
  },
};
