/**
 * Variables in TEXT headers and bodies: one format per template, {{1}}..{{n}} without gaps,
 * valid names, and the placement rules Meta enforces at review.
 */
import { parseVariables } from '../variables';
import { variableTexts } from './shape';
import type { RuleGroup } from './types';
import { describe, plural } from './util';

/** [UNCONFIRMED] whatsapp-api-js enforces 20; Meta documents no limit we could find. */
export const NAMED_VARIABLE_MAX_LENGTH = 20;
export const NAMED_VARIABLE_PATTERN = /^[a-z][a-z0-9_]*$/;

/**
 * Heuristic for Meta's "too many variables for the length" rejection (2388293), whose exact
 * ratio Meta does not publish: two BSPs independently report that a body with n variables
 * needs at least 2n + 1 words of fixed text (words = whitespace-separated, with a letter or digit).
 */
export function minFixedWords(variables: number): number {
  return 2 * variables + 1;
}

/** Letters, digits or emoji: what counts as text around a variable. */
const TEXTUAL = /[\p{L}\p{N}\p{Extended_Pictographic}]/u;

export function fixedWords(text: string): number {
  return text
    .replace(/\{\{[^{}]*\}\}/g, ' ')
    .split(/\s+/)
    .filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
}

export const variablesGroup: RuleGroup = {
  name: 'variables',
  rules: [
    {
      id: 'parameter-format-valid',
      severity: 'error',
      description: 'parameter_format, when given, is POSITIONAL or NAMED (POSITIONAL is the default).',
    },
    {
      id: 'variable-syntax',
      severity: 'error',
      description: 'Variables are written {{1}} or {{name}}: no empty braces, no stray {{ or }}.',
    },
    {
      id: 'variable-format',
      severity: 'error',
      description:
        'One variable format per template, matching parameter_format ({{1}} POSITIONAL, {{name}} NAMED).',
    },
    {
      id: 'variable-positional-sequence',
      severity: 'error',
      description:
        'Positional variables in a component are {{1}}..{{n}}: sequential from 1, no gaps (any order).',
    },
    {
      id: 'variable-repeated',
      severity: 'error',
      description:
        'A positional variable appears once per component [UNCONFIRMED: our decision; named variables may repeat].',
    },
    {
      id: 'variable-named-charset',
      severity: 'error',
      description: 'Named variables are lowercase letters, digits and underscores, starting with a letter.',
    },
    {
      id: 'variable-named-max-length',
      severity: 'error',
      description: `Named variables are at most ${NAMED_VARIABLE_MAX_LENGTH} characters [UNCONFIRMED: whatsapp-api-js limit].`,
    },
    {
      id: 'variable-edge',
      severity: 'error',
      description: 'The body neither starts nor ends with a variable (punctuation after it does not count).',
      metaCode: 2388299,
    },
    {
      id: 'variable-adjacent',
      severity: 'error',
      description:
        'Two variables always have words between them (INVALID_FORMAT: "parameters are adjacent").',
    },
    {
      id: 'variable-density',
      severity: 'error',
      description:
        'Enough fixed text per variable: at least 2n+1 words for n body variables [heuristic: Meta publishes no ratio].',
      metaCode: 2388293,
    },
  ],
  check({ t, report }) {
    if (!t.raw) return;
    const declared = t.raw.parameter_format;
    if (declared !== undefined && declared !== 'POSITIONAL' && declared !== 'NAMED') {
      const upper = typeof declared === 'string' ? declared.trim().toUpperCase() : undefined;
      report('parameter-format-valid', {
        path: 'parameter_format',
        message: `parameter_format ${typeof declared === 'string' ? JSON.stringify(declared) : describe(declared)} is not POSITIONAL or NAMED`,
        fix:
          upper === 'POSITIONAL' || upper === 'NAMED'
            ? `write parameter_format: ${upper}`
            : 'write parameter_format: POSITIONAL for {{1}} variables or NAMED for {{first_name}} variables',
      });
    }
    const format = declared === 'NAMED' ? 'NAMED' : 'POSITIONAL';
    const texts = variableTexts(t).map((x) => ({ ...x, vars: parseVariables(x.text) }));

    // One format per template, consistent with parameter_format.
    const all = texts.flatMap((x) => x.vars.map((v) => ({ v, x })));
    const positional = all.filter((a) => a.v.positional);
    const named = all.filter((a) => !a.v.positional && a.v.name !== '');
    if (positional.length > 0 && named.length > 0) {
      const odd = format === 'NAMED' ? positional[0]! : named[0]!;
      report('variable-format', {
        path: `${odd.x.comp.path}.text`,
        component: odd.x.kind,
        message: `the template mixes positional (${positional[0]!.v.raw}) and named (${named[0]!.v.raw}) variables`,
        fix: `use one format throughout: ${format === 'NAMED' ? '{{name}} variables, as parameter_format is NAMED' : '{{1}}, {{2}}… (or all named, with parameter_format: NAMED)'}`,
      });
    } else if (named.length > 0 && format === 'POSITIONAL') {
      report('variable-format', {
        path: declared === undefined ? 'parameter_format' : `${named[0]!.x.comp.path}.text`,
        component: declared === undefined ? undefined : named[0]!.x.kind,
        message: `the template uses named variables (${named[0]!.v.raw}) but parameter_format is ${declared === undefined ? 'not set (POSITIONAL by default)' : 'POSITIONAL'}`,
        fix: 'add parameter_format: NAMED',
      });
    } else if (positional.length > 0 && declared === 'NAMED') {
      report('variable-format', {
        path: `${positional[0]!.x.comp.path}.text`,
        component: positional[0]!.x.kind,
        message: `parameter_format is NAMED but the template uses positional variables (${positional[0]!.v.raw})`,
        fix: 'rename the variables ({{first_name}}…) or set parameter_format: POSITIONAL',
      });
    }

    for (const { comp, kind, text, vars } of texts) {
      const path = `${comp.path}.text`;
      const where = kind === 'BODY' ? 'body' : 'header';

      // Syntax: empty braces, stray braces.
      const empty = vars.find((v) => v.name === '');
      const spaced = vars.find((v) => v.name !== '' && v.raw !== `{{${v.name}}}`);
      const rest = text.replace(/\{\{[^{}]*\}\}/g, ' ');
      if (empty || spaced || rest.includes('{{') || rest.includes('}}')) {
        report('variable-syntax', {
          path,
          component: kind,
          message: empty
            ? `${where} has an empty variable ${empty.raw}`
            : spaced
              ? `${where} has spaces inside ${spaced.raw}`
              : `${where} has unbalanced braces (${rest.includes('{{') ? '"{{" without "}}"' : '"}}" without "{{"'})`,
          fix: spaced ? `write {{${spaced.name}}}` : 'write variables as {{1}}, {{2}}… or {{first_name}}',
        });
      }

      // Named variables: charset and length.
      for (const v of vars) {
        if (v.positional || v.name === '') continue;
        if (!NAMED_VARIABLE_PATTERN.test(v.name)) {
          const suggestion = v.name
            .normalize('NFD')
            .replace(/\p{M}/gu, '')
            .toLowerCase()
            .replace(/[^a-z0-9_]+/g, '_')
            .replace(/^[^a-z]+/, '')
            .replace(/_+$/, '');
          report('variable-named-charset', {
            path,
            component: kind,
            message: `variable ${v.raw} is not a valid name: use lowercase letters, digits and underscores, starting with a letter`,
            fix: suggestion ? `write {{${suggestion}}}` : 'rename it, e.g. {{first_name}}',
          });
        }
        if (v.name.length > NAMED_VARIABLE_MAX_LENGTH) {
          report('variable-named-max-length', {
            path,
            component: kind,
            message: `variable ${v.raw} is ${v.name.length} characters long; the limit we apply is ${NAMED_VARIABLE_MAX_LENGTH}`,
            fix: `use a shorter name, e.g. {{${v.name.slice(0, NAMED_VARIABLE_MAX_LENGTH).replace(/_+$/, '')}}}`,
          });
        }
      }

      // Positional: 1..n without gaps, each once.
      const pos = vars.filter((v) => v.positional);
      if (pos.length > 0) {
        const names = [...new Set(pos.map((v) => v.name))];
        const malformed = names.filter((n) => String(Number(n)) !== n || Number(n) < 1);
        const numbers = names
          .filter((n) => !malformed.includes(n))
          .map(Number)
          .sort((a, b) => a - b);
        const missing: number[] = [];
        const max = numbers[numbers.length - 1] ?? 0;
        for (let i = 1; i <= max; i++) if (!numbers.includes(i)) missing.push(i);
        if (malformed.length > 0 || missing.length > 0) {
          report('variable-positional-sequence', {
            path,
            component: kind,
            message:
              malformed.length > 0
                ? `${where} uses ${malformed.map((n) => `{{${n}}}`).join(', ')}; positional variables are numbered from {{1}}`
                : `${where} uses ${numbers.map((n) => `{{${n}}}`).join(', ')}; ${missing.map((n) => `{{${n}}}`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing`,
            fix:
              names.length === 1
                ? `write {{1}}`
                : `number the ${where} variables {{1}} to {{${names.length}}} without gaps`,
          });
        }
        const seen = new Set<string>();
        const repeated = new Set<string>();
        for (const v of pos) (seen.has(v.name) ? repeated : seen).add(v.name);
        if (repeated.size > 0) {
          const r = [...repeated].map((n) => `{{${n}}}`).join(', ');
          report('variable-repeated', {
            path,
            component: kind,
            message: `${where} uses ${r} more than once; each positional variable appears once per component`,
            fix: `give the second occurrence the next number ({{${names.length + 1}}}) and send the same value for both`,
          });
        }
      }

      // Adjacent variables.
      for (let i = 1; i < vars.length; i++) {
        const between = text.slice(vars[i - 1]!.end, vars[i]!.start);
        if (!TEXTUAL.test(between)) {
          report('variable-adjacent', {
            path,
            component: kind,
            message: `${vars[i - 1]!.raw} and ${vars[i]!.raw} have no words between them${between.trim() ? ` (only ${JSON.stringify(between)})` : ''}; Meta rejects adjacent parameters`,
            fix: `put descriptive words between them, e.g. "${vars[i - 1]!.raw} con ${vars[i]!.raw}", or merge them into one variable`,
          });
          break;
        }
      }

      if (kind !== 'BODY' || vars.length === 0) continue;

      // Leading / trailing variable.
      const first = vars[0]!;
      const last = vars[vars.length - 1]!;
      const leading = !TEXTUAL.test(text.slice(0, first.start));
      const trailing = !TEXTUAL.test(text.slice(last.end));
      if (leading || trailing) {
        report('variable-edge', {
          path,
          component: kind,
          message: leading
            ? `body starts with ${first.raw}; Meta rejects a variable at the start of the body`
            : `body ends with ${last.raw}${text.slice(last.end).trim() ? ' (only punctuation after it)' : ''}; Meta rejects a variable at the end of the body`,
          fix: leading
            ? `start with fixed text, e.g. "Hola ${first.raw}, …"`
            : 'end with fixed text after the variable, ideally the question that invites an answer',
        });
      }

      // Density heuristic.
      const words = fixedWords(text);
      const need = minFixedWords(vars.length);
      if (words < need) {
        report('variable-density', {
          path,
          component: kind,
          message: `body has ${plural(vars.length, 'variable')} and ${plural(words, 'word')} of fixed text; Meta rejects templates with too many variables for their length (heuristic: at least ${need} words)`,
          fix: `add ${plural(need - words, 'word')} of fixed text, or use fewer variables`,
        });
      }
    }
  },
};
