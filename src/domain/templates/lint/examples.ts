/**
 * Examples: Meta reviews every variable with a sample value and rejects templates without
 * them. One value per distinct positional variable, one entry per name, and values that could
 * really be sent (no newlines, tabs or runs of 5+ spaces: Meta refuses those in parameters).
 */
import { parseVariables } from '../variables';
import { variableTexts } from './shape';
import type { LintContext, RuleGroup } from './types';
import { describe, isRecord, plural, quote } from './util';

function checkValue(ctx: LintContext, kind: string, path: string, value: unknown): void {
  let problem: string | undefined;
  if (typeof value !== 'string') problem = `is ${describe(value)}, not a string`;
  else if (value.trim() === '') problem = 'is empty';
  else if (/[\n\r]/.test(value)) problem = 'contains a line break';
  else if (/\t/.test(value)) problem = 'contains a tab';
  else if (/ {5,}/.test(value)) problem = 'contains 5 or more consecutive spaces';
  if (!problem) return;
  ctx.report('example-value', {
    path,
    component: kind,
    message: `example value ${typeof value === 'string' ? `${quote(value)} ` : ''}${problem}`,
    fix:
      typeof value !== 'string'
        ? 'write the example as text (in YAML, put it in quotes)'
        : 'use a realistic one-line value; at send time too, Meta refuses parameters with line breaks, tabs or more than 4 consecutive spaces',
  });
}

export const examplesGroup: RuleGroup = {
  name: 'examples',
  rules: [
    {
      id: 'example-missing',
      severity: 'error',
      description:
        'Every variable has an example: body_text / header_text (positional), *_named_params (named).',
    },
    {
      id: 'example-count',
      severity: 'error',
      description:
        'Examples match the variables: one value per distinct positional variable, one entry per name, no extras.',
    },
    {
      id: 'example-value',
      severity: 'error',
      description: 'Example values are non-empty strings without line breaks, tabs or 5+ consecutive spaces.',
    },
  ],
  check(ctx) {
    const { t, report } = ctx;
    for (const { comp, kind, text } of variableTexts(t)) {
      const vars = parseVariables(text).filter((v) => v.name !== '');
      if (vars.length === 0) continue;
      const where = kind === 'BODY' ? 'body' : 'header';
      const positionalKey = kind === 'BODY' ? 'body_text' : 'header_text';
      const namedKey = kind === 'BODY' ? 'body_text_named_params' : 'header_text_named_params';
      const example = comp.example ?? {};
      const base = `${comp.path}.example`;

      const positional = [...new Set(vars.filter((v) => v.positional).map((v) => v.name))];
      if (positional.length > 0) {
        const ex = example[positionalKey];
        const sample = JSON.stringify(positional.map((_, i) => `value ${i + 1}`));
        if (ex === undefined) {
          report('example-missing', {
            path: `${base}.${positionalKey}`,
            component: kind,
            message: `the ${where} has ${plural(positional.length, 'variable')} but no example.${positionalKey}`,
            fix:
              kind === 'BODY'
                ? `add example: { body_text: [${sample}] } with one realistic value per variable, in order`
                : `add example: { header_text: ${sample} }`,
          });
        } else {
          const values = kind === 'BODY' ? (Array.isArray(ex) ? ex[0] : undefined) : ex;
          if (!Array.isArray(values)) {
            report('example-count', {
              path: `${base}.${positionalKey}`,
              component: kind,
              message:
                kind === 'BODY'
                  ? `example.body_text is ${describe(ex)}; Meta expects a list holding one list of values`
                  : `example.header_text is ${describe(ex)}; Meta expects a list of values`,
              fix:
                kind === 'BODY'
                  ? `write body_text: [${sample}] (note the double brackets)`
                  : `write header_text: ${sample}`,
            });
          } else {
            const vpath = kind === 'BODY' ? `${base}.body_text[0]` : `${base}.header_text`;
            if (values.length !== positional.length) {
              report('example-count', {
                path: vpath,
                component: kind,
                message: `${positionalKey} has ${plural(values.length, 'value')}; the ${where} has ${plural(positional.length, 'distinct variable')}`,
                fix: `give exactly ${plural(positional.length, 'value')}, one per variable {{1}}..{{${positional.length}}}, in order`,
              });
            }
            values.forEach((v, i) => {
              checkValue(ctx, kind, `${vpath}[${i}]`, v);
            });
          }
        }
      }

      const named = [...new Set(vars.filter((v) => !v.positional).map((v) => v.name))];
      if (named.length > 0) {
        const ex = example[namedKey];
        if (ex === undefined) {
          report('example-missing', {
            path: `${base}.${namedKey}`,
            component: kind,
            message:
              example[positionalKey] !== undefined
                ? `the ${where} uses named variables; example.${positionalKey} is for positional ones, ${namedKey} is missing`
                : `the ${where} has ${plural(named.length, 'named variable')} but no example.${namedKey}`,
            fix: `add example: { ${namedKey}: [${named.map((n) => `{ param_name: ${n}, example: … }`).join(', ')}] }`,
          });
          continue;
        }
        if (!Array.isArray(ex)) {
          report('example-count', {
            path: `${base}.${namedKey}`,
            component: kind,
            message: `example.${namedKey} is ${describe(ex)}; Meta expects a list of { param_name, example }`,
            fix: `write ${namedKey}: [{ param_name: ${named[0]}, example: … }, …]`,
          });
          continue;
        }
        const given: string[] = [];
        ex.forEach((entry, i) => {
          const epath = `${base}.${namedKey}[${i}]`;
          if (!isRecord(entry) || typeof entry.param_name !== 'string') {
            report('template-shape', {
              path: epath,
              component: kind,
              message: `entry ${i} of ${namedKey} is ${isRecord(entry) ? 'missing param_name' : describe(entry)}`,
              fix: 'write each entry as { param_name: <variable name>, example: <sample value> }',
            });
            return;
          }
          given.push(entry.param_name);
          checkValue(ctx, kind, `${epath}.example`, entry.example);
        });
        const missing = named.filter((n) => !given.includes(n));
        if (missing.length > 0) {
          report('example-missing', {
            path: `${base}.${namedKey}`,
            component: kind,
            message: `no example for ${missing.map((n) => `{{${n}}}`).join(', ')}`,
            fix: `add ${missing.map((n) => `{ param_name: ${n}, example: … }`).join(', ')} to ${namedKey}`,
          });
        }
        const extra = [...new Set(given.filter((n) => !named.includes(n)))];
        const dup = [...new Set(given.filter((n, i) => given.indexOf(n) !== i))];
        if (extra.length > 0 || dup.length > 0) {
          report('example-count', {
            path: `${base}.${namedKey}`,
            component: kind,
            message:
              extra.length > 0
                ? `${namedKey} names ${extra.map((n) => JSON.stringify(n)).join(', ')}, which the ${where} does not use`
                : `${namedKey} gives ${dup.map((n) => JSON.stringify(n)).join(', ')} more than once`,
            fix: `give exactly one entry per variable of the ${where}: ${named.join(', ')}`,
          });
        }
      }
    }
  },
};
