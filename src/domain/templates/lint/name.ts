/** Template name: Meta's charset and length. */
import type { RuleGroup } from './types';
import { charCount, describe, num } from './util';

export const NAME_MAX_LENGTH = 512;
const NAME_PATTERN = /^[a-z0-9_]+$/;

/** "Appointment Reminder!" → "appointment_reminder". */
export function suggestName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, NAME_MAX_LENGTH);
}

export const nameGroup: RuleGroup = {
  name: 'name',
  rules: [
    { id: 'name-required', severity: 'error', description: 'Every template has a name: a non-empty string.' },
    {
      id: 'name-charset',
      severity: 'error',
      description: 'Names use only lowercase letters, digits and underscores (^[a-z0-9_]+$).',
    },
    {
      id: 'name-max-length',
      severity: 'error',
      description: `Names are at most ${num(NAME_MAX_LENGTH)} characters.`,
      metaCode: 2388040,
    },
  ],
  check({ t, report }) {
    if (!t.raw) return;
    const name = t.raw.name;
    if (typeof name !== 'string' || name.trim() === '') {
      report('name-required', {
        path: 'name',
        message: name === undefined ? 'the template has no name' : `name is ${describe(name)}`,
        fix: 'add name: a lowercase identifier such as appointment_reminder',
      });
      return;
    }
    if (!NAME_PATTERN.test(name)) {
      const bad = [...new Set(name.replace(/[a-z0-9_]/g, ''))].map((c) => JSON.stringify(c)).join(', ');
      const suggestion = suggestName(name);
      report('name-charset', {
        path: 'name',
        message: `name ${JSON.stringify(name)} contains ${bad}; Meta allows only lowercase letters, digits and underscores`,
        fix: suggestion
          ? `rename it to ${JSON.stringify(suggestion)}`
          : 'use lowercase letters, digits and underscores only',
      });
    }
    const length = charCount(name);
    if (length > NAME_MAX_LENGTH) {
      report('name-max-length', {
        path: 'name',
        message: `name is ${num(length)} characters; Meta allows at most ${num(NAME_MAX_LENGTH)}`,
        fix: 'use a shorter name; the name identifies the template, the body carries the content',
      });
    }
  },
};
