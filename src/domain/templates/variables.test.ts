import { describe, expect, it } from 'vitest';
import { PARSED_TEXT_MAX, parseVariables, variableNames } from './variables';

describe('template variables', () => {
  it('finds positional and named variables with their places', () => {
    expect(parseVariables('Hola {{1}}, tu turno es el {{ 2 }}')).toEqual([
      { name: '1', raw: '{{1}}', start: 5, end: 10, positional: true },
      { name: '2', raw: '{{ 2 }}', start: 27, end: 34, positional: true },
    ]);
    expect(variableNames('{{first_name}} y {{first_name}} y {{plan}}')).toEqual(['first_name', 'plan']);
  });

  it('parses a text once and shares the frozen result', () => {
    const text = 'Hola {{1}}, este mes tenés un {{2}} de descuento';
    const first = parseVariables(text);
    expect(parseVariables(text)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first[0])).toBe(true);
  });

  it('parses a text longer than any Meta accepts every time, keeping nothing of it', () => {
    const text = `${'x'.repeat(PARSED_TEXT_MAX)} {{nombre}}`;
    const first = parseVariables(text);
    expect(first.map((v) => v.name)).toEqual(['nombre']);
    expect(first[0]!.start).toBe(PARSED_TEXT_MAX + 1);
    expect(parseVariables(text)).not.toBe(first);
    expect(parseVariables(text)).toEqual(first);
  });
});
