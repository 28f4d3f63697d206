import { describe, expect, it } from 'vitest';
import {
  attributeFromCell,
  checkAttributes,
  checkLanguage,
  checkName,
  checkTags,
  checkTimeZone,
  splitTags,
} from './contact-fields';
import { zoneForCountry } from './country-zones';

describe('contact fields', () => {
  it('normalises languages to BCP-47 and refuses nonsense', () => {
    expect(checkLanguage('es_AR')).toEqual({ ok: true, value: 'es-AR' });
    expect(checkLanguage('pt-br')).toEqual({ ok: true, value: 'pt-BR' });
    expect(checkLanguage('')).toEqual({ ok: true, value: null });
    const r = checkLanguage('spanish please');
    expect(r.ok).toBe(false);
  });

  it('accepts IANA zones only, spelled canonically', () => {
    expect(checkTimeZone('america/bogota')).toEqual({ ok: true, value: 'America/Bogota' });
    expect(checkTimeZone('UTC')).toEqual({ ok: true, value: 'UTC' });
    expect(checkTimeZone('-03:00').ok).toBe(false);
    expect(checkTimeZone('ART').ok).toBe(false);
    expect(checkTimeZone('Mars/Olympus').ok).toBe(false);
  });

  it('infers the most populous zone of a country', () => {
    expect(zoneForCountry('BR')).toBe('America/Sao_Paulo');
    expect(zoneForCountry('AR')).toBe('America/Argentina/Buenos_Aires');
    expect(zoneForCountry('ZZ')).toBeUndefined();
  });

  it('cleans names and refuses control characters and overlong ones', () => {
    expect(checkName('  Emilia ')).toEqual({ ok: true, value: 'Emilia' });
    expect(checkName('a\u0007b').ok).toBe(false);
    expect(checkName('x'.repeat(300)).ok).toBe(false);
    expect(checkName(12).ok).toBe(false);
  });

  it('dedupes and sorts tags, refusing separators inside one', () => {
    expect(checkTags(['vip', 'promo', 'vip'])).toEqual({ ok: true, value: ['promo', 'vip'] });
    expect(checkTags(['a|b']).ok).toBe(false);
    expect(checkTags(['']).ok).toBe(false);
    expect(splitTags('vip| promo ;;x')).toEqual(['vip', 'promo', 'x']);
  });

  it('types CSV cells: numbers, booleans, dates; keeps identifiers as text', () => {
    expect(attributeFromCell('42')).toEqual({ ok: true, value: 42 });
    expect(attributeFromCell('007')).toEqual({ ok: true, value: '007' });
    expect(attributeFromCell('true')).toEqual({ ok: true, value: true });
    expect(attributeFromCell('2026-03-01')).toEqual({ ok: true, value: '2026-03-01' });
    expect(attributeFromCell('2026-02-30').ok).toBe(false);
    expect(attributeFromCell('')).toEqual({ ok: true, value: undefined });
  });

  it('keeps attributes flat and named sensibly', () => {
    expect(checkAttributes({ plan: 'gold', visits: 3 }).ok).toBe(true);
    expect(checkAttributes({ nested: { a: 1 } }).ok).toBe(false);
    expect(checkAttributes({ 'bad name': 1 }).ok).toBe(false);
    expect(checkAttributes({ phone: '1' }).ok).toBe(false);
    expect(checkAttributes([]).ok).toBe(false);
  });
});
