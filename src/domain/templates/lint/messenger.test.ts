import { describe, expect, it } from 'vitest';
import { lintTemplate } from './lint';

const page = { channel: 'messenger' as const };
const rulesOf = (def: unknown, opts = page) =>
  lintTemplate(def, opts).map((f) => `${f.rule} ${f.path ?? ''}`);

const REMINDER = {
  name: 'turno_confirmacion',
  language: 'es',
  category: 'UTILITY',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Tu turno' },
    {
      type: 'BODY',
      text: 'Hola {{1}}, tu turno es el {{2}}. ¿Lo confirmás?',
      example: { body_text: [['Emilia', 'lunes']] },
    },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Confirmar' },
        {
          type: 'URL',
          text: 'Ver turno',
          url: 'https://saludcenter.example/turnos/{{1}}',
          example: ['https://saludcenter.example/turnos/123'],
        },
      ],
    },
  ],
};

describe("a Messenger page's own template rules", () => {
  it('passes a plain utility template with a quick reply and a URL button', () => {
    expect(rulesOf(REMINDER).filter((r) => r.startsWith('messenger-'))).toEqual([]);
  });

  it('refuses marketing, WhatsApp-only buttons, headers and components, naming each place', () => {
    const def = {
      ...REMINDER,
      category: 'MARKETING',
      components: [
        { type: 'HEADER', format: 'VIDEO', example: { header_handle: ['h'] } },
        REMINDER.components[1],
        {
          type: 'BUTTONS',
          buttons: [
            { type: 'COPY_CODE', example: 'SAVE10' },
            { type: 'QUICK_REPLY', text: 'Sí' },
          ],
        },
        { type: 'CAROUSEL', cards: [] },
      ],
    };
    expect(rulesOf(def).filter((r) => r.startsWith('messenger-'))).toEqual([
      'messenger-category-utility category',
      'messenger-button-type components[2].buttons[0].type',
      'messenger-header-format components[0].format',
      'messenger-component-type components[3].type',
    ]);
  });

  it('leaves a WhatsApp number’s templates alone', () => {
    const marketing = { ...REMINDER, category: 'MARKETING' };
    expect(rulesOf(marketing, {} as typeof page).filter((r) => r.startsWith('messenger-'))).toEqual([]);
  });
});
