/** WhatsApp's formatting as the phone preview draws it (web/src/components/phone/whatsapp-format.ts). */
import { describe, expect, it } from 'vitest';
import { formatWhatsApp } from '../../web/src/components/phone/whatsapp-format';

describe('formatWhatsApp', () => {
  it('draws bold, italic, strikethrough and monospace', () => {
    expect(formatWhatsApp('Hola *Emilia*, tu _turno_ ~no~ es ```A-12```.')).toEqual([
      { text: 'Hola ' },
      { text: 'Emilia', bold: true },
      { text: ', tu ' },
      { text: 'turno', italic: true },
      { text: ' ' },
      { text: 'no', strike: true },
      { text: ' es ' },
      { text: 'A-12', mono: true },
      { text: '.' },
    ]);
  });

  it('nests markers', () => {
    expect(formatWhatsApp('*_urgente_* hoy')).toEqual([
      { text: 'urgente', bold: true, italic: true },
      { text: ' hoy' },
    ]);
    expect(formatWhatsApp('*muy _importante_ ya*')).toEqual([
      { text: 'muy ', bold: true },
      { text: 'importante', bold: true, italic: true },
      { text: ' ya', bold: true },
    ]);
  });

  it('leaves markers that have no partner, or sit inside a word or next to a space, as text', () => {
    for (const text of [
      '2 * 3 * 4',
      'snake_case_name',
      '* not bold*',
      '*not bold *',
      'a*b*c',
      'solo *uno',
      '**',
    ]) {
      expect(formatWhatsApp(text)).toEqual([{ text }]);
    }
  });

  it('closes before punctuation and opens after it', () => {
    expect(formatWhatsApp('(*ok*)!')).toEqual([{ text: '(' }, { text: 'ok', bold: true }, { text: ')!' }]);
  });

  it('never formats across a line break', () => {
    expect(formatWhatsApp('*uno\ndos*')).toEqual([{ text: '*uno\ndos*' }]);
    expect(formatWhatsApp('*uno*\n_dos_')).toEqual([
      { text: 'uno', bold: true },
      { text: '\n' },
      { text: 'dos', italic: true },
    ]);
  });

  it('keeps monospace literal', () => {
    expect(formatWhatsApp('```*no* _format_```')).toEqual([{ text: '*no* _format_', mono: true }]);
    expect(formatWhatsApp('``` ```x')).toEqual([{ text: ' ', mono: true }, { text: 'x' }]);
    expect(formatWhatsApp('``````')).toEqual([{ text: '``````' }]);
  });

  it('gives back the text without its markers, emoji and accents included', () => {
    const text = 'Hola *Émilia* 👋, ¿_confirmás_?';
    expect(
      formatWhatsApp(text)
        .map((s) => s.text)
        .join(''),
    ).toBe('Hola Émilia 👋, ¿confirmás?');
  });
});
