/**
 * The `recontact templates` commands against a running Recontact over HTTP, as a person or a CI
 * job runs them: output, exit codes, confirmation rules.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailure } from '../../src/cli/errors';
import { runTemplatesDiff } from '../../src/cli/templates-diff';
import { runTemplatesList } from '../../src/cli/templates-list';
import { runTemplatesPreview } from '../../src/cli/templates-preview';
import { runTemplatesPull } from '../../src/cli/templates-pull';
import { runTemplatesPush } from '../../src/cli/templates-push';
import { type Harness, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

const EXAMPLE = 'examples/saludcenter.templates.yaml';

describe.each(DIALECTS)('templates CLI on %s', (dialect) => {
  let h: Harness;
  let dir: string;
  beforeAll(async () => {
    h = await startHarness(dialect, { sandbox: { seedTemplates: [] } });
    dir = mkdtempSync(join(tmpdir(), 'recontact-cli-'));
  });
  afterAll(() => h.close());

  /**
   * Runs a command with captured output; `interactive: false` is CI. A failure ends the text with
   * the one line main.ts would print on stderr, and gives its exit code.
   */
  async function run(fn: (o: any) => Promise<number>, extra: Record<string, unknown> = {}) {
    const lines: string[] = [];
    let code: number;
    try {
      code = await fn({
        url: h.url,
        apiKey: h.key,
        interactive: false,
        out: (l: string) => lines.push(l),
        ...extra,
      });
    } catch (err) {
      const failure = describeFailure(err);
      lines.push(failure.line);
      code = failure.exitCode;
    }
    return { code, text: lines.join('\n') };
  }

  it('diff prints one line per template and language, and sends nothing', async () => {
    const { code, text } = await run((o) => runTemplatesDiff(EXAMPLE, o));
    expect(code).toBe(0);
    expect(text).toMatch(
      /^examples\/saludcenter\.templates\.yaml → WABA 200000000000001 \(account acc_default\)$/m,
    );
    expect(text).toMatch(/^ {2}create {8}appointment_reminder \(es_AR\) {2}UTILITY$/m);
    expect(text).toMatch(/^ {2}create {8}taxi_discount \(es_AR\) {2}MARKETING$/m);
    expect(text).toContain('3 to create, 0 to update, 0 unchanged, 0 only at Meta (never deleted)');
    expect(h.embedded.sandbox.templates(h.embedded.whatsapp.wabaId)).toHaveLength(0);
  });

  it('push refuses to run unattended without --yes or --dry-run, before any call', async () => {
    const { code, text } = await run((o) => runTemplatesPush(EXAMPLE, o));
    expect(code).toBe(2);
    expect(text).toBe(
      'error: stdin is not a terminal, so push cannot ask for confirmation: pass --yes to push, or --dry-run to only show the plan',
    );
  });

  it('push --dry-run shows the plan only', async () => {
    const { code, text } = await run((o) => runTemplatesPush(EXAMPLE, o), { dryRun: true });
    expect(code).toBe(0);
    expect(text).toContain('3 to create');
    expect(text).toMatch(/dry run: nothing was sent to Meta$/);
    expect(h.embedded.sandbox.templates(h.embedded.whatsapp.wabaId)).toHaveLength(0);
  });

  it('push on a terminal asks first, and a "no" pushes nothing (exit 1)', async () => {
    const questions: string[] = [];
    const { code, text } = await run((o) => runTemplatesPush(EXAMPLE, o), {
      interactive: true,
      confirm: async (q: string) => {
        questions.push(q);
        return false;
      },
    });
    expect(code).toBe(1);
    expect(questions).toEqual(['\ncreate 3 template(s) at WABA 200000000000001? [y/N] ']);
    expect(text).toMatch(/Not pushed\.$/);
    expect(h.embedded.sandbox.templates(h.embedded.whatsapp.wabaId)).toHaveLength(0);
  });

  it('push --yes creates them and prints what Meta answered', async () => {
    const { code, text } = await run((o) => runTemplatesPush(EXAMPLE, o), { yes: true });
    expect(code).toBe(0);
    expect(text).toMatch(/^ {2}created {4}appointment_reminder \(es_AR\) {2}id \d+ {2}PENDING$/m);
    expect(text).toContain('3 created, 0 updated, 0 unchanged, 0 only at Meta, 0 failed');
    await h.waitFor('three APPROVED', async () => {
      const r = await h.api('GET', '/v1/templates');
      return r.json.data.filter((t: any) => t.status === 'APPROVED').length === 3;
    });
  });

  it('list shows name, language, category, status, quality and rejection reason', async () => {
    const { code, text } = await run(runTemplatesList);
    expect(code).toBe(0);
    expect(text.split('\n')).toEqual([
      'NAME                  LANGUAGE  CATEGORY   STATUS    QUALITY  REJECTED REASON',
      'appointment_reminder  es_AR     UTILITY    APPROVED  -        -',
      'resume_conversation   es_AR     UTILITY    APPROVED  -        -',
      'taxi_discount         es_AR     MARKETING  APPROVED  -        -',
    ]);
  });

  it('pull reports what changed (quality scores Meta knows and we did not)', async () => {
    const { code, text } = await run(runTemplatesPull);
    expect(code).toBe(0);
    expect(text).toMatch(
      /^Pulled 3 template\(s\) from WABA 200000000000001 \(account acc_default\): 0 added, 3 changed, 0 unchanged, 0 marked DELETED$/m,
    );
    expect(text).toMatch(/^ {2}changed {2}taxi_discount \(es_AR\) {2}quality_score$/m);
  });

  it('diff of an edited file shows the changed field; push of a file with lint errors exits 1', async () => {
    const edited = join(dir, 'edited.yaml');
    writeFileSync(edited, readFileSync(EXAMPLE, 'utf8').replace('Quiero el código', 'Dame el código'));
    const diff = await run((o) => runTemplatesDiff(edited, o));
    expect(diff.text).toContain('update        taxi_discount (es_AR)  MARKETING  [APPROVED, id ');
    expect(diff.text).toContain('BUTTONS[0].text: Quiero el código → Dame el código');

    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'templates:\n  - name: Bad Name\n    language: es_AR\n    category: UTILITY\n    components: []\n',
    );
    const push = await run((o) => runTemplatesPush(bad, o), { yes: true });
    expect(push.code).toBe(1);
    expect(push.text).toMatch(
      /^error TEMPLATE_INVALID \(HTTP 422\): .*bad\.yaml: \d+ errors found by the linter; nothing was sent to Meta \[/m,
    );
    expect(push.text).toMatch(/Bad Name \(es_AR\) name: name-charset: /);
  });

  it('preview draws the phone bubble, lists what is missing, and exits 1 as a send would be refused', async () => {
    const { code, text } = await run((o) => runTemplatesPreview('taxi_discount', o), {
      language: 'es_AR',
      body: ['Emilia'],
      button: ['-', '-', 'url_suffix=taxi15', 'coupon_code=TAXI15'],
    });
    expect(code).toBe(1);
    expect(text.split('\n').at(-1)).toMatch(
      /^error: a send of taxi_discount \(es_AR\) with these values would be refused: template\.header: .+ \(and 1 more\); the preview above lists what to fix$/,
    );
    expect(text.split('\n').slice(0, 7)).toEqual([
      'taxi_discount (es_AR) · MARKETING · APPROVED',
      '╭──────────────────────────────────────────╮',
      '│ [image: taxi-promo.jpg]                  │',
      '│                                          │',
      '│ Hola Emilia, este mes tenés un 10% de    │',
      '│ descuento en taxis para llegar a tu      │',
      '│ turno. ¿Querés que te enviemos el        │',
    ]);
    expect(text).toContain('│            [Quiero el código]            │');
    expect(text).toContain('[Ver condiciones] → https://saludcenter.example/promos/taxi15');
    expect(text).toContain('[Copy offer code] copies TAXI15');
    expect(text).toContain("missing (shown with the template's examples): header.image, body.{{2}}");
  });

  it('preview takes bare button values where each button takes one, and exits 0 when a send would go', async () => {
    const { code, text } = await run((o) => runTemplatesPreview('taxi_discount', o), {
      language: 'es_AR',
      headerImage: 'https://cdn.example/taxi.jpg',
      body: ['Emilia', '15%'],
      button: ['TAXI:yes', '-', 'taxi15', 'TAXI15'],
    });
    expect(code, text).toBe(0);
    expect(text).toContain('[Quiero el código] payload TAXI:yes');
    expect(text).toContain('[Ver condiciones] → https://saludcenter.example/promos/taxi15');
    expect(text).toContain('[Copy offer code] copies TAXI15');
    expect(text).not.toContain('would be refused');
  });

  it('preview refuses a bare value for a button that takes none, or one too many, before any send', async () => {
    const extra = await run((o) => runTemplatesPreview('appointment_reminder', o), {
      language: 'es_AR',
      button: ['CONFIRM:1', 'CANCEL:1', 'MAYBE'],
    });
    expect(extra).toEqual({
      code: 2,
      text: 'error: --button value 3 ("MAYBE") has no button to go to: appointment_reminder (es_AR) has 2 buttons (quick reply "Confirmar", quick reply "Cancelar"); give one value per button, in order',
    });
    const unknown = await run((o) => runTemplatesPreview('no_such_template', o), {
      language: 'es_AR',
      button: ['X'],
    });
    expect(unknown.code).toBe(1);
    expect(unknown.text).toMatch(/^error TEMPLATE_NOT_FOUND \(HTTP 4\d\d\): .*no_such_template/);
  });

  it('commands without an API key, or without a server, fail clearly', async () => {
    const noKey = await run(runTemplatesList, { apiKey: undefined });
    expect(noKey).toEqual({
      code: 2,
      text: 'error: no API key: pass --api-key or set RECONTACT_API_KEY (`npm start` prints one on its first start)',
    });
    const down = await run(runTemplatesList, { url: 'http://127.0.0.1:9' });
    expect(down.code).toBe(1);
    expect(down.text).toBe(
      'error: cannot reach Recontact at http://127.0.0.1:9 (connection refused): start it with `npm start` (or `npx recontact serve`), or set RECONTACT_URL (or --url) to where it runs',
    );
  });
});
