import { describe, expect, it } from 'vitest';
import type { PreviewReport } from '../engine/templates/preview';
import { formatBubble, wrap } from './templates-bubble';

describe('wrap', () => {
  it('wraps at word boundaries, keeps blank lines and cuts words longer than the width', () => {
    expect(wrap('uno dos tres\n\ncuatro', 7)).toEqual(['uno dos', 'tres', '', 'cuatro']);
    expect(wrap('https://example.com/x', 8)).toEqual(['https://', 'example.', 'com/x']);
    expect(wrap('¿Querés 🙂 seguir?', 9)).toEqual(['¿Querés 🙂', 'seguir?']);
  });
});

describe('formatBubble', () => {
  const report: PreviewReport = {
    template: {
      name: 'payment_reminder',
      language: 'es_AR',
      category: 'UTILITY',
      parameter_format: 'POSITIONAL',
      status: 'REJECTED',
      rejected_reason: 'INVALID_FORMAT',
    },
    rendered: {
      header: { kind: 'text', text: 'Factura A-1' },
      body: 'Hola Emilia, tu factura vence el lunes. ¿Te mando el enlace?',
      footer: 'SaludCenter',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Sí', payload: 'PAY:1' },
        { type: 'PHONE_NUMBER', text: 'Llamar', phone: '+5491100000000' },
      ],
    },
    missing: [],
    sources: { 'body.{{first_name}}': 'contact.name' },
    problems: [],
    sendable: false,
    notes: ['the template is REJECTED (INVALID_FORMAT): sends are refused until Meta approves it'],
  };

  it('draws header, body, footer and centred buttons, then what each button does', () => {
    expect(formatBubble(report, 30)).toEqual([
      'payment_reminder (es_AR) · UTILITY · REJECTED (INVALID_FORMAT)',
      '╭────────────────────────────╮',
      '│ *Factura A-1*              │',
      '│                            │',
      '│ Hola Emilia, tu factura    │',
      '│ vence el lunes. ¿Te mando  │',
      '│ el enlace?                 │',
      '│                            │',
      '│ SaludCenter                │',
      '├────────────────────────────┤',
      '│            [Sí]            │',
      '│          [Llamar]          │',
      '╰────────────────────────────╯',
      '[Sí] payload PAY:1',
      '[Llamar] calls +5491100000000',
      'note: the template is REJECTED (INVALID_FORMAT): sends are refused until Meta approves it',
      'from the contact: body.{{first_name}} ← contact.name',
    ]);
  });
});
