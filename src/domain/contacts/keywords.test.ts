import { describe, expect, it } from 'vitest';
import { DEFAULT_MATCHER, KeywordMatcher, MAX_KEYWORD_LENGTH, normalizeKeyword } from './keywords';

describe('opt-out and opt-in keywords', () => {
  const m = (text: string) => DEFAULT_MATCHER.match(text);

  it('matches the whole message only', () => {
    expect(m('STOP')).toEqual({ keyword: 'STOP', scope: 'all', state: 'opted_out' });
    expect(m('please stop')).toBeUndefined();
    expect(m("please don't stop")).toBeUndefined();
    expect(m('stop it')).toBeUndefined();
    expect(m('cancelar mi turno')).toBeUndefined();
    expect(m('STOPPED')).toBeUndefined();
  });

  it('ignores case, accents, surrounding whitespace and punctuation', () => {
    expect(m('stop')?.keyword).toBe('STOP');
    expect(m('  Stop.  ')?.keyword).toBe('STOP');
    expect(m('¡Baja!')?.keyword).toBe('BAJA');
    expect(m('Cancelar suscripcion')?.keyword).toBe('CANCELAR SUSCRIPCIÓN');
    expect(m('CANCELAR   SUSCRIPCIÓN')?.keyword).toBe('CANCELAR SUSCRIPCIÓN');
    expect(m('cancelar inscricao')?.keyword).toBe('CANCELAR INSCRIÇÃO');
    expect(m('«sair»')?.keyword).toBe('SAIR');
    expect(m('stop!!!')?.keyword).toBe('STOP');
    expect(m('¿parar?')?.keyword).toBe('PARAR');
    // A non-breaking space and a zero-width space are whitespace and nothing.
    expect(m('opt\u00a0out')?.keyword).toBe('OPT OUT');
    expect(m('S\u200bTOP')?.keyword).toBe('STOP');
    // Decomposed accents (NFD input) compare like composed ones.
    expect(m('Cancelar suscripcio\u0301n')?.keyword).toBe('CANCELAR SUSCRIPCIÓN');
  });

  it('does not take emoji for punctuation', () => {
    expect(m('STOP 🙏')).toBeUndefined();
    expect(m('🛑')).toBeUndefined();
  });

  it('knows Spanish, Portuguese and English opt-outs of everything and of marketing', () => {
    for (const word of [
      'STOP',
      'UNSUBSCRIBE',
      'BAJA',
      'PARAR',
      'CANCELAR',
      'DESUSCRIBIR',
      'SAIR',
      'PARE',
      'STOPALL',
    ]) {
      expect(m(word), word).toMatchObject({ scope: 'all', state: 'opted_out' });
    }
    expect(m('No quiero promociones')).toMatchObject({ scope: 'marketing', state: 'opted_out' });
    expect(m('stop promos')).toMatchObject({ scope: 'marketing', state: 'opted_out' });
  });

  it('knows opt-ins', () => {
    for (const word of ['START', 'ALTA', 'SUSCRIBIR', 'VOLVER', 'INICIAR', 'VOLTAR', 'UNSTOP']) {
      expect(m(word.toLowerCase()), word).toMatchObject({ scope: 'all', state: 'opted_in' });
    }
  });

  it('is not fooled by empty, punctuation-only or very long messages', () => {
    expect(m('')).toBeUndefined();
    expect(m('...!!!')).toBeUndefined();
    expect(m(`${'STOP '.repeat(100)}`)).toBeUndefined();
    expect(m('S'.repeat(MAX_KEYWORD_LENGTH + 1))).toBeUndefined();
    expect(m('\u0000STOP')).toBeUndefined();
  });

  it('normalises the same way for keywords and messages', () => {
    expect(normalizeKeyword('  ¡Cancelar   Suscripción! ')).toBe('CANCELAR SUSCRIPCION');
    expect(normalizeKeyword('¿?')).toBe('');
  });

  it('uses configured lists; a text listed twice keeps its first meaning', () => {
    const custom = new KeywordMatcher({
      opt_out: { all: ['FIN'], marketing: ['MENOS'] },
      opt_in: { all: ['fin'], marketing: [] },
    });
    expect(custom.match('fin')).toEqual({ keyword: 'FIN', scope: 'all', state: 'opted_out' });
    expect(custom.match('menos')).toEqual({ keyword: 'MENOS', scope: 'marketing', state: 'opted_out' });
    expect(custom.match('STOP')).toBeUndefined();
  });
});
