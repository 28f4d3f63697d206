import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { RULES } from '../domain/templates/lint/lint';
import { describeFailure } from './errors';
import { type LintReport, listLintRules, runTemplatesLint } from './templates-lint';

const EXAMPLE = fileURLToPath(new URL('../../examples/saludcenter.templates.yaml', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'recontact-lint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

/** The exit code main.ts would give: a thrown failure's, with its one stderr line in `error`. */
async function run(
  files: string[],
  json = false,
): Promise<{ code: number; lines: string[]; text: string; error?: string }> {
  const lines: string[] = [];
  try {
    const code = await runTemplatesLint(files, { json, out: (s) => lines.push(s) });
    return { code, lines, text: lines.join('\n') };
  } catch (err) {
    const { line, exitCode } = describeFailure(err);
    return { code: exitCode, lines, text: lines.join('\n'), error: line };
  }
}

const template = (
  over: Record<string, unknown> = {},
  body = 'Hola {{1}}, te recordamos tu turno en SaludCenter. ¿Podés confirmar?',
) => ({
  name: 'appointment_reminder',
  language: 'es_AR',
  category: 'UTILITY',
  components: [
    { type: 'BODY', text: body, example: { body_text: [['Emilia']] } },
    { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Confirmar' }] },
  ],
  ...over,
});

const longBody = `Hola {{1}}, ${'x'.repeat(1000)} ¿Podés confirmar tu turno?`; // 1,039 characters
const clean = write('clean.json', { templates: [template()] });
const warnings = write(
  'warnings.yaml',
  [
    'templates:',
    '  - name: agent_ready',
    '    language: es_AR',
    '    category: UTILITY',
    '    components:',
    '      - type: BODY',
    '        text: "Hola {{1}}, una persona de nuestro equipo ya puede ayudarte con tu consulta."',
    '        example:',
    '          body_text: [["Emilia"]]',
    '',
  ].join('\n'),
);
const errors = write('errors.json', [
  template({ name: 'long_reminder' }, longBody),
  template({ name: 'Bad Name' }),
]);
const broken = write('broken.yaml', 'templates:\n  - name: a\n    language: es\n   category: UTILITY\n');
const missing = join(dir, 'does-not-exist.yaml');

describe('runTemplatesLint: exit codes', () => {
  it('0 for the SaludCenter examples', async () => {
    const { code, text } = await run([EXAMPLE]);
    expect(code).toBe(0);
    expect(text).toContain('(Recontact format, 3 templates)');
    expect(text).toContain('no problems');
    expect(text.split('\n').at(-1)).toBe('3 templates, 0 errors, 0 warnings');
  });

  it('0 when there are only warnings', async () => {
    const { code, lines } = await run([warnings]);
    expect(code).toBe(0);
    expect(lines).toContain(
      'warning  recontact-reply-invite  agent_ready (es_AR) components[0].text: nothing invites an answer: no QUICK_REPLY button and no question in the body; the window reopens only when the user replies',
    );
    expect(lines.at(-1)).toBe('1 template, 0 errors, 1 warning');
  });

  it('1 when a template has errors', async () => {
    const { code } = await run([clean, errors]);
    expect(code).toBe(1);
  });

  it("1 when a template's routing is malformed, as `templates push` would refuse it", async () => {
    const file = write('routing.json', {
      templates: [template({ routing: { opt_out: { marketing: 'STOP_PROMOS' }, reply_to: 'agent' } })],
    });
    const r = await run([file], true);
    expect(r.code).toBe(1);
    const findings = (JSON.parse(r.text) as LintReport).files[0]!.findings;
    expect(findings.filter((f) => f.rule === 'routing').map((f) => f.path)).toEqual([
      'routing.opt_out.marketing',
      'routing.reply_to',
    ]);
    const good = write('routing-ok.json', {
      templates: [template({ routing: { opt_out: { marketing: ['STOP_PROMOS'] } } })],
    });
    expect((await run([good])).code).toBe(0);
  });

  it('1 when a file does not parse, with the line in the output', async () => {
    const { code, text } = await run([clean, broken]);
    expect(code).toBe(1);
    expect(text).toContain(`error  ${broken}:4:`);
    expect(text).toContain('hint: YAML is indentation-sensitive');
    expect(text.split('\n').at(-1)).toBe('1 template, 1 error, 0 warnings, 1 file not parsed');
  });

  it('2 when a file cannot be read, even if others have errors', async () => {
    const { code, text, error } = await run([errors, missing]);
    expect(code).toBe(2);
    expect(text).toContain(`error  cannot read ${missing}: ENOENT`);
    expect(text).toMatch(/1 file unreadable$/);
    expect(error).toBe(
      `error: cannot read ${missing} (no such file or directory): check the path (the example is examples/saludcenter.templates.yaml)`,
    );
  });

  it('reads through the injected readFile', async () => {
    const files: Record<string, string> = { 'mem.json': JSON.stringify([template()]) };
    const lines: string[] = [];
    const read = async (p: string) => {
      const text = files[p];
      if (text === undefined) throw new Error(`no such file ${p}`);
      return text;
    };
    expect(
      await runTemplatesLint(['mem.json'], { json: false, out: (s) => lines.push(s), readFile: read }),
    ).toBe(0);
    await expect(
      runTemplatesLint(['other.json'], { json: false, out: (s) => lines.push(s), readFile: read }),
    ).rejects.toThrow('cannot read other.json (no such file other.json): check the path');
  });
});

describe('runTemplatesLint: human output', () => {
  it('prints one line per finding and an indented fix, grouped per file and template', async () => {
    const { lines } = await run([errors]);
    expect(lines[0]).toBe(`${errors} (Recontact format, 2 templates)`);
    expect(lines[1]).toBe(
      'error  body-max-length  long_reminder (es_AR) components[0].text: body is 1,039 characters; Meta allows at most 1,024',
    );
    expect(lines[2]).toMatch(/^ {2}fix: shorten the body by 15 characters; .* \(Meta error 2388040\)$/);
    expect(lines).toContain(
      'error  name-charset  Bad Name (es_AR) name: name "Bad Name" contains "B", " ", "N"; Meta allows only lowercase letters, digits and underscores',
    );
    expect(lines).toContain('  fix: rename it to "bad_name"');
    // findings of one template are together, in file order
    const last = lines.findLastIndex((l) => l.includes(' long_reminder (es_AR) '));
    const first = lines.findIndex((l) => l.includes(' Bad Name (es_AR) '));
    expect(last).toBeLessThan(first);
    expect(lines.at(-1)).toBe('2 templates, 2 errors, 0 warnings');
  });

  it('reports the same name and language defined in two files', async () => {
    const other = write('other.json', { templates: [template()] });
    const { code, text } = await run([clean, other]);
    expect(code).toBe(1);
    expect(text).toContain(
      `error  template-duplicate  appointment_reminder (es_AR) name: appointment_reminder (es_AR) is defined twice: ${clean} and ${other} (entry 1)`,
    );
  });
});

describe('runTemplatesLint: --json', () => {
  it('prints { files, errors, warnings } with the findings', async () => {
    const { code, text } = await run([EXAMPLE, errors, warnings, broken, missing], true);
    expect(code).toBe(2);
    const report = JSON.parse(text) as LintReport;
    expect(report.errors).toBe(4); // 2 findings + 1 unparsable file + 1 unreadable file
    expect(report.warnings).toBe(1);
    expect(report.files.map((f) => [f.file, f.source, f.templates, f.findings.length])).toEqual([
      [EXAMPLE, 'recontact', 3, 0],
      [errors, 'recontact', 2, 2],
      [warnings, 'recontact', 1, 1],
      [broken, null, 0, 0],
      [missing, null, 0, 0],
    ]);
    expect(report.files[1]?.findings[0]).toEqual({
      severity: 'error',
      rule: 'body-max-length',
      template: 'long_reminder (es_AR)',
      path: 'components[0].text',
      component: 'BODY',
      message: 'body is 1,039 characters; Meta allows at most 1,024',
      fix: expect.stringContaining('shorten the body'),
      metaCode: 2388040,
    });
    expect(report.files[3]?.error).toMatchObject({ kind: 'invalid', line: 4, hint: expect.any(String) });
    expect(report.files[4]?.error).toMatchObject({
      kind: 'unreadable',
      message: expect.stringContaining('ENOENT'),
    });
  });

  it('is valid JSON for a clean run too', async () => {
    const { code, text } = await run([EXAMPLE], true);
    expect(code).toBe(0);
    expect(JSON.parse(text)).toEqual({
      files: [{ file: EXAMPLE, source: 'recontact', templates: 3, findings: [] }],
      errors: 0,
      warnings: 0,
    });
  });

  it('keeps the example file unchanged', () => {
    expect(readFileSync(EXAMPLE, 'utf8')).toContain('name: appointment_reminder');
  });
});

describe('listLintRules', () => {
  it('lists every rule with severity and description', () => {
    const lines: string[] = [];
    expect(listLintRules({ json: false, out: (s) => lines.push(s) })).toBe(0);
    expect(lines).toHaveLength(RULES.length);
    expect(lines.find((l) => l.includes(' body-max-length '))).toMatch(
      /^error {4}body-max-length +The BODY text/,
    );
    const json: string[] = [];
    listLintRules({ json: true, out: (s) => json.push(s) });
    expect(JSON.parse(json.join(''))).toEqual(RULES);
  });
});
