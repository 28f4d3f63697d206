import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RecontactError } from '../errors';
import { parseTemplateFile } from './file-format';
import { lintTemplates } from './lint/lint';

const EXAMPLE = fileURLToPath(new URL('../../../examples/saludcenter.templates.yaml', import.meta.url));

/** The create body of the reference (whatsapp-cloud-api.md §3.2), trailing variable fixed. */
const CREATE_BODY = {
  name: 'order_shipped',
  language: 'en_US',
  category: 'UTILITY',
  parameter_format: 'POSITIONAL',
  components: [
    {
      type: 'HEADER',
      format: 'IMAGE',
      example: { header_handle: ['4::aW1hZ2UvanBlZw==:ARb...upload-handle'] },
    },
    {
      type: 'BODY',
      text: 'Hi {{1}}, order {{2}} has shipped. Total charged: {{3}}. Any questions? Just reply here.',
      example: { body_text: [['Ada', '#8812', '$42.50']] },
    },
    { type: 'FOOTER', text: 'Reply STOP to opt out' },
    {
      type: 'BUTTONS',
      buttons: [
        {
          type: 'URL',
          text: 'Track package',
          url: 'https://shop.example.com/{{1}}',
          example: ['https://shop.example.com/track/8812'],
        },
        { type: 'PHONE_NUMBER', text: 'Call support', phone_number: '+15550783881' },
        { type: 'QUICK_REPLY', text: 'Stop updates' },
      ],
    },
  ],
};

function parseError(text: string, file: string): RecontactError {
  try {
    parseTemplateFile(text, file);
  } catch (e) {
    if (e instanceof RecontactError) return e;
    throw e;
  }
  throw new Error('expected a parse error');
}

describe('parseTemplateFile: our format', () => {
  it('reads the SaludCenter YAML file', () => {
    const parsed = parseTemplateFile(readFileSync(EXAMPLE, 'utf8'), 'saludcenter.templates.yaml');
    expect(parsed.source).toBe('recontact');
    expect(parsed.templates.map((t) => `${t.name} (${t.language})`)).toEqual([
      'appointment_reminder (es_AR)',
      'resume_conversation (es_AR)',
      'taxi_discount (es_AR)',
    ]);
    expect(parsed.templates.every((t) => t.meta === undefined)).toBe(true);
    expect(lintTemplates(parsed.templates)).toEqual([]);
  });

  it('reads a bare JSON array and a { templates } object the same way', () => {
    const list = [CREATE_BODY];
    const a = parseTemplateFile(JSON.stringify(list), 'a.json');
    const b = parseTemplateFile(JSON.stringify({ templates: list }), 'b.json');
    expect(a).toEqual({ source: 'recontact', templates: list });
    expect(b).toEqual(a);
  });

  it('reads a bare YAML array', () => {
    const parsed = parseTemplateFile(
      '- name: a\n  language: es\n  category: UTILITY\n  components: []\n',
      'x.yml',
    );
    expect(parsed.source).toBe('recontact');
    expect(parsed.templates[0]).toEqual({ name: 'a', language: 'es', category: 'UTILITY', components: [] });
  });

  it('accepts the language as a string or as { code }', () => {
    const parsed = parseTemplateFile(
      'templates:\n  - name: a\n    language: es_AR\n  - name: b\n    language: { code: en_US, policy: deterministic }\n',
      'x.yaml',
    );
    expect(parsed.templates.map((t) => t.language)).toEqual(['es_AR', 'en_US']);
  });

  it('sniffs JSON by content when the extension says nothing', () => {
    expect(parseTemplateFile(JSON.stringify(CREATE_BODY), 'template.txt').source).toBe('meta-create');
    expect(parseTemplateFile('templates: []\n', 'templates').source).toBe('recontact');
  });
});

describe('parseTemplateFile: Meta formats', () => {
  it('reads a POST message_templates body as one template', () => {
    const parsed = parseTemplateFile(JSON.stringify(CREATE_BODY, null, 2), 'order_shipped.json');
    expect(parsed.source).toBe('meta-create');
    expect(parsed.templates).toEqual([CREATE_BODY]);
    expect(lintTemplates(parsed.templates)).toEqual([]);
  });

  it('flags the reference sample as written: it ends with {{3}}. and has 6 fixed words for 3 variables', () => {
    const body = {
      ...CREATE_BODY.components[1],
      text: 'Hi {{1}}, order {{2}} has shipped. Total charged: {{3}}.',
    };
    const sample = { ...CREATE_BODY, components: CREATE_BODY.components.map((c, i) => (i === 1 ? body : c)) };
    const parsed = parseTemplateFile(JSON.stringify(sample), 'order_shipped.json');
    expect(lintTemplates(parsed.templates).map((f) => [f.rule, f.metaCode])).toEqual([
      ['variable-edge', 2388299],
      ['variable-density', 2388293],
    ]);
  });

  it('reads a GET listing, keeping review fields aside in meta', () => {
    const listing = {
      data: [
        {
          ...CREATE_BODY,
          id: '594425479261596',
          status: 'APPROVED',
          quality_score: { score: 'GREEN', date: 1751247548 },
          rejected_reason: 'NONE',
        },
        {
          name: 'abandoned_cart',
          language: 'en',
          status: 'REJECTED',
          rejected_reason: 'INVALID_FORMAT',
          id: '2',
        },
      ],
      paging: { cursors: { before: 'QVFI', after: 'QVFJ' } },
    };
    const parsed = parseTemplateFile(JSON.stringify(listing), 'listing.json');
    expect(parsed.source).toBe('meta-list');
    expect(parsed.templates).toHaveLength(2);
    const [first, second] = parsed.templates;
    expect(first).toEqual({
      ...CREATE_BODY,
      meta: {
        id: '594425479261596',
        status: 'APPROVED',
        quality_score: { score: 'GREEN', date: 1751247548 },
        rejected_reason: 'NONE',
      },
    });
    expect(second?.meta).toEqual({ id: '2', status: 'REJECTED', rejected_reason: 'INVALID_FORMAT' });
    // The review fields do not reach the linter; the incomplete second entry becomes findings.
    const findings = lintTemplates(parsed.templates);
    expect(findings.filter((f) => f.template === 'order_shipped (en_US)')).toEqual([]);
    expect(findings.filter((f) => f.template === 'abandoned_cart (en)').map((f) => f.rule)).toEqual(
      expect.arrayContaining(['template-shape', 'category-valid']),
    );
  });
});

describe('parseTemplateFile: errors', () => {
  it('gives the line and column of a YAML error, with a hint', () => {
    const e = parseError('templates:\n  - name: a\n    language: es\n   category: UTILITY\n', 'bad.yaml');
    expect(e.code).toBe('TEMPLATE_INVALID');
    expect(e.message).toMatch(/^bad\.yaml:4:\d+: invalid YAML: /);
    expect(e.data).toMatchObject({ file: 'bad.yaml', line: 4 });
    expect(e.hint).toContain('indentation');
  });

  it('explains an unquoted {{1}} at the start of a YAML value', () => {
    const e = parseError(
      'templates:\n  - name: a\n    components:\n      - type: BODY\n        text: {{1}}, hola\n',
      'b.yaml',
    );
    expect(e.data).toMatchObject({ line: 5 });
    expect(e.hint).toContain('quote the text on line 5');
  });

  it('reports duplicate YAML keys', () => {
    const e = parseError('name: a\nname: b\n', 'dup.yaml');
    expect(e.data).toMatchObject({ line: 2, column: 1 });
    expect(e.hint).toContain('twice');
  });

  it('gives the line and column of a JSON error', () => {
    const e = parseError('{\n  "name": "a",\n  "language": "es",\n}\n', 'bad.json');
    expect(e.code).toBe('TEMPLATE_INVALID');
    expect(e.message).toMatch(/^bad\.json:4:1: invalid JSON: /);
    expect(e.message).not.toContain('position');
    expect(e.data).toEqual({ file: 'bad.json', line: 4, column: 1 });
    expect(e.details).toEqual([{ path: 'bad.json:4:1', message: expect.stringContaining('invalid JSON') }]);
    expect(e.hint).toContain('comma');
  });

  it('points at the end of a truncated JSON file', () => {
    const e = parseError('{\n  "name": "a"', 'cut.json');
    expect(e.data).toMatchObject({ line: 2 });
  });

  it('rejects empty files, scalars and files without templates', () => {
    expect(parseError('  \n', 'empty.yaml').message).toContain('empty');
    expect(parseError('42\n', 'n.yaml').message).toContain('not templates');
    expect(parseError('templates: 5\n', 't.yaml').message).toContain('templates is not a list');
    expect(parseError('{"data": {}}', 'l.json').message).toContain('data is not a list');
    const e = parseError('version: 1\nitems: []\n', 'x.yaml');
    expect(e.message).toContain('no templates found (top-level keys: version, items)');
    expect(e.hint).toContain('Meta listing');
  });

  it('passes malformed entries through for the linter instead of throwing', () => {
    const parsed = parseTemplateFile(
      'templates:\n  - just a string\n  - name: 7\n    components: nope\n',
      'x.yaml',
    );
    expect(parsed.templates).toEqual(['just a string', { name: 7, components: 'nope' }]);
    const rules = lintTemplates(parsed.templates).map((f) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(['template-shape', 'name-required', 'language-code']));
  });
});
