import { describe, expect, it } from 'vitest';
import { RecontactError } from '../errors';
import { parseTemplateFile } from './file-format';

// Files come from the API too (POST /v1/templates/diff, /push): hostile text must be refused
// with a TEMPLATE_INVALID the caller can read, never a stack overflow or a long pause.
const refused = (text: string, fileName: string): RecontactError => {
  try {
    parseTemplateFile(text, fileName);
  } catch (e) {
    expect(e).toBeInstanceOf(RecontactError);
    return e as RecontactError;
  }
  throw new Error('parsed without error');
};

const BOMB = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  'templates: [*f]',
].join('\n');

describe('template files from hostile hands', () => {
  it('refuses a YAML alias bomb', () => {
    const e = refused(BOMB, 'bomb.yaml');
    expect(e.code).toBe('TEMPLATE_INVALID');
    expect(e.message).toContain('aliases');
    expect(e.hint).toContain('anchors');
  });

  it('refuses deeply nested YAML flow collections before parsing them', () => {
    const e = refused(`templates: ${'['.repeat(100_000)}`, 'deep.yaml');
    expect(e.code).toBe('TEMPLATE_INVALID');
    expect(e.message).toContain('more than 64 levels');
    expect(e.data).toMatchObject({ line: 1 });
  });

  it('ignores brackets inside YAML scalars', () => {
    const text = `templates:\n  - name: x\n    note: "${'['.repeat(200)}"\n    other: a [b] c\n`;
    expect(parseTemplateFile(text, 't.yaml').templates).toHaveLength(1);
  });

  it('refuses deeply nested JSON', () => {
    const e = refused(`{"templates": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`, 'deep.json');
    expect(e.code).toBe('TEMPLATE_INVALID');
    expect(e.message).toContain('more than 64 levels');
  });
});
