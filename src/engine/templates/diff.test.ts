import { describe, expect, it } from 'vitest';
import type { ProviderTemplate } from '../../channels/channel';
import type { TemplateDefinition } from '../../domain/templates/model';
import { diffTemplate, inlineChange, planTemplates } from './diff';

const REMINDER: TemplateDefinition = {
  name: 'appointment_reminder',
  language: 'es_AR',
  category: 'UTILITY',
  parameter_format: 'POSITIONAL',
  components: [
    {
      type: 'BODY',
      text: 'Hola {{1}}, tu turno es el {{2}}. ¿Confirmás?',
      example: { body_text: [['Emilia', 'lunes']] },
    },
    { type: 'FOOTER', text: 'SaludCenter' },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Confirmar' },
        { type: 'QUICK_REPLY', text: 'Cancelar' },
      ],
    },
  ],
};

function atMeta(def: TemplateDefinition, over: Partial<ProviderTemplate> = {}): ProviderTemplate {
  return {
    providerTemplateId: '111',
    name: def.name,
    language: def.language,
    status: 'APPROVED',
    category: def.category,
    parameter_format: def.parameter_format ?? 'POSITIONAL',
    components: structuredClone(def.components) as unknown as Array<Record<string, unknown>>,
    ...over,
  };
}

const withComponents = (components: unknown[]): TemplateDefinition =>
  ({ ...REMINDER, components }) as TemplateDefinition;

describe('diffTemplate', () => {
  it('finds nothing between a template and its own listing', () => {
    expect(diffTemplate(REMINDER, atMeta(REMINDER))).toEqual([]);
  });

  it('ignores what Meta rewrites: key order, letter case, media samples, the coupon label, example shapes', () => {
    const file = withComponents([
      { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['4::upload-handle'] } },
      { type: 'BODY', text: 'Hola {{1}}. ¿Confirmás?', example: { body_text: [['Emilia']] } },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'URL', text: 'Ver', url: 'https://x.example/{{1}}', example: 'https://x.example/a' },
          { type: 'COPY_CODE', example: 'TAXI10' },
        ],
      },
    ]);
    const meta = atMeta(file, {
      components: [
        { example: { body_text: [['Emilia']] }, text: 'Hola {{1}}. ¿Confirmás?', type: 'body' },
        {
          type: 'HEADER',
          format: 'image',
          example: { header_handle: ['https://scontent.whatsapp.net/v/x.jpg'] },
        },
        {
          type: 'BUTTONS',
          buttons: [
            { type: 'url', text: 'Ver', url: 'https://x.example/{{1}}', example: ['https://x.example/a'] },
            { type: 'COPY_CODE', text: 'Copy offer code', example: ['TAXI10'] },
          ],
        },
      ],
    });
    expect(diffTemplate(file, meta)).toEqual([]);
  });

  it('names each changed field, with only the differing words of a text', () => {
    const file = withComponents([
      { ...REMINDER.components[0], text: 'Hola {{1}}, tu cita es el {{2}}. ¿Confirmás?' },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'QUICK_REPLY', text: 'Confirmo' },
          { type: 'QUICK_REPLY', text: 'Cancelar' },
          { type: 'QUICK_REPLY', text: 'Reprogramar' },
        ],
      },
    ]);
    const changes = diffTemplate({ ...file, category: 'MARKETING' }, atMeta(REMINDER));
    expect(changes).toEqual([
      {
        path: 'category',
        kind: 'changed',
        before: 'UTILITY',
        after: 'MARKETING',
        inline: '"UTILITY" → "MARKETING"',
      },
      {
        path: 'BODY.text',
        kind: 'changed',
        before: 'Hola {{1}}, tu turno es el {{2}}. ¿Confirmás?',
        after: 'Hola {{1}}, tu cita es el {{2}}. ¿Confirmás?',
        inline: '"turno" → "cita"',
      },
      { path: 'FOOTER', kind: 'removed', before: { text: 'SaludCenter', type: 'FOOTER' } },
      {
        path: 'BUTTONS[0].text',
        kind: 'changed',
        before: 'Confirmar',
        after: 'Confirmo',
        inline: '"Confirmar" → "Confirmo"',
      },
      { path: 'BUTTONS[2]', kind: 'added', after: { text: 'Reprogramar', type: 'QUICK_REPLY' } },
    ]);
  });

  it('reports an example change inside a component', () => {
    const file = withComponents([
      { ...REMINDER.components[0], example: { body_text: [['Ana', 'martes']] } },
      REMINDER.components[1],
      REMINDER.components[2],
    ]);
    expect(diffTemplate(file, atMeta(REMINDER))).toEqual([
      {
        path: 'BODY.example.body_text',
        kind: 'changed',
        before: [['Emilia', 'lunes']],
        after: [['Ana', 'martes']],
      },
    ]);
  });
});

describe('inlineChange', () => {
  it.each([
    ['a b c d', 'a x c d', '"b" → "x"'],
    ['Hola {{1}}.', 'Hola {{1}}, ¿todo bien?', '"{{1}}." → "{{1}}, ¿todo bien?"'],
    ['uno dos', 'uno', '"dos" → (nothing)'],
    ['same', 'same', '(nothing) → (nothing)'],
  ])('%s | %s', (before, after, expected) => {
    expect(inlineChange(before, after)).toBe(expected);
  });
});

describe('planTemplates', () => {
  const resume: TemplateDefinition = { ...REMINDER, name: 'resume_conversation' };
  const holiday: TemplateDefinition = { ...REMINDER, name: 'aviso_feriado' };

  it('lists file entries in file order, then what only Meta has, with counts', () => {
    const changed = withComponents([
      { type: 'BODY', text: 'Hola {{1}}, ¿seguimos?', example: { body_text: [['E']] } },
    ]);
    const plan = planTemplates(
      [{ ...holiday, name: 'zeta_nuevo' }, changed, resume],
      [
        atMeta(REMINDER),
        atMeta(resume, { status: 'REJECTED', rejectedReason: 'INVALID_FORMAT' }),
        atMeta(holiday),
      ],
    );
    expect(plan.entries.map((e) => [e.name, e.action])).toEqual([
      ['zeta_nuevo', 'create'],
      ['appointment_reminder', 'update'],
      ['resume_conversation', 'unchanged'],
      ['aviso_feriado', 'only_at_meta'],
    ]);
    expect(plan.counts).toEqual({ create: 1, update: 1, unchanged: 1, only_at_meta: 1 });
    expect(plan.entries[1]!.notes[0]).toMatch(/1 edit per 24 h and 10 per 30 days/);
    expect(plan.entries[2]!.notes[0]).toBe(
      'rejected at Meta (INVALID_FORMAT): change the template to resubmit it',
    );
    expect(plan.entries[3]!.notes[0]).toMatch(/push never deletes/);
  });

  it('blocks a parameter_format change, which an edit cannot make', () => {
    const named: TemplateDefinition = {
      ...REMINDER,
      parameter_format: 'NAMED',
      components: [
        {
          type: 'BODY',
          text: 'Hola {{first_name}}, ¿confirmás?',
          example: { body_text_named_params: [{ param_name: 'first_name', example: 'E' }] },
        },
      ],
    };
    const [entry] = planTemplates([named], [atMeta(REMINDER, { status: 'PENDING' })]).entries;
    expect(entry!.action).toBe('update');
    expect(entry!.blocked).toMatch(/parameter_format cannot be changed by an edit/);
    expect(entry!.notes).toEqual(['in review at Meta: Meta refuses edits until the review ends']);
  });
});
