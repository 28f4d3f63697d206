/** BODY: a non-empty text of at most 1,024 characters. */
import { componentsOfType } from './shape';
import type { RuleGroup } from './types';
import { charCount, num, plural } from './util';

export const BODY_MAX_LENGTH = 1024;

export const bodyGroup: RuleGroup = {
  name: 'body',
  rules: [
    { id: 'body-text-required', severity: 'error', description: 'The BODY has a non-empty text.' },
    {
      id: 'body-max-length',
      severity: 'error',
      description: `The BODY text is at most ${num(BODY_MAX_LENGTH)} characters (variables counted as written).`,
      metaCode: 2388040,
    },
  ],
  check({ t, report }) {
    for (const comp of componentsOfType(t, 'BODY')) {
      const text = comp.text;
      if (text === undefined || text.trim() === '') {
        if (comp.raw.text !== undefined && text === undefined) continue; // wrong type: template-shape
        report('body-text-required', {
          path: `${comp.path}.text`,
          component: 'BODY',
          message: text === undefined ? 'the BODY has no text' : 'the BODY text is empty',
          fix: 'write the message text in text',
        });
        continue;
      }
      const length = charCount(text);
      if (length > BODY_MAX_LENGTH) {
        report('body-max-length', {
          path: `${comp.path}.text`,
          component: 'BODY',
          message: `body is ${num(length)} characters; Meta allows at most ${num(BODY_MAX_LENGTH)}`,
          fix: `shorten the body by ${plural(length - BODY_MAX_LENGTH, 'character')}; a re-contact message works best short, with one question`,
        });
      }
    }
  },
};
