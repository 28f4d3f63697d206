/** FOOTER: a non-empty text of at most 60 characters, without variables. */
import { parseVariables } from '../variables';
import { componentsOfType } from './shape';
import type { RuleGroup } from './types';
import { charCount, num, plural } from './util';

export const FOOTER_MAX_LENGTH = 60;

export const footerGroup: RuleGroup = {
  name: 'footer',
  rules: [
    { id: 'footer-text-required', severity: 'error', description: 'A FOOTER has a non-empty text.' },
    {
      id: 'footer-max-length',
      severity: 'error',
      description: `A FOOTER is at most ${FOOTER_MAX_LENGTH} characters.`,
      metaCode: 2388040,
    },
    {
      id: 'footer-variables',
      severity: 'error',
      description: 'A FOOTER holds no variables.',
      metaCode: 2388073,
    },
  ],
  check({ t, report }) {
    for (const comp of componentsOfType(t, 'FOOTER')) {
      const text = comp.text;
      if (text === undefined || text.trim() === '') {
        if (comp.raw.text !== undefined && text === undefined) continue; // wrong type: template-shape
        report('footer-text-required', {
          path: `${comp.path}.text`,
          component: 'FOOTER',
          message: text === undefined ? 'the FOOTER has no text' : 'the FOOTER text is empty',
          fix: 'write the footer text, or remove the FOOTER component',
        });
        continue;
      }
      const length = charCount(text);
      if (length > FOOTER_MAX_LENGTH) {
        report('footer-max-length', {
          path: `${comp.path}.text`,
          component: 'FOOTER',
          message: `footer is ${num(length)} characters; Meta allows at most ${FOOTER_MAX_LENGTH}`,
          fix: `shorten the footer by ${plural(length - FOOTER_MAX_LENGTH, 'character')}`,
        });
      }
      const vars = parseVariables(text);
      if (vars.length > 0) {
        report('footer-variables', {
          path: `${comp.path}.text`,
          component: 'FOOTER',
          message: `footer contains ${vars.map((v) => v.raw).join(', ')}; Meta allows no variables in a footer`,
          fix: 'write the footer as fixed text and move the variable to the body',
        });
      }
    }
  },
};
