import { describe, expect, it } from 'vitest';
import { endOfValue, kindPayload } from './stored-content';

const TEMPLATE = {
  name: 'appointment_reminder',
  language: { code: 'es_AR', policy: 'deterministic' },
  components: [
    {
      type: 'body',
      parameters: [
        { type: 'text', text: 'Emilia "la Dra." \\ Gómez {1} [x], 👋 \n\t\u0000' },
        { type: 'currency', currency: { fallback_value: '$1', code: 'USD', amount_1000: -1.5e21 } },
      ],
    },
    {
      type: 'button',
      sub_type: 'quick_reply',
      index: '0',
      parameters: [{ type: 'payload', payload: '}]"' }],
    },
  ],
};

const CONTENTS = [
  { kind: 'template', template: TEMPLATE },
  { kind: 'text', text: { body: '\ud800 lone surrogate, "quoted", back\\slash', preview_url: false } },
  {
    kind: 'interactive',
    interactive: { type: 'button', action: { buttons: [] }, empty: {}, n: null, t: true },
  },
  { kind: 'text', text: 'a bare string' },
  { kind: 'text', text: 12 },
];

/** Strings made of the characters that matter to a scanner, from a seeded generator. */
function randomValue(next: () => number, depth = 0): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 4 : 6));
  const chars = ['"', '\\', '{', '}', '[', ']', ',', ':', 'a', 'ñ', '😀', '\n', '\u2028'];
  const str = () =>
    Array.from({ length: Math.floor(next() * 8) }, () => chars[Math.floor(next() * chars.length)]).join('');
  switch (pick) {
    case 0:
      return str();
    case 1:
      return Math.floor(next() * 2000) - 1000;
    case 2:
      return next() < 0.5 ? null : next() < 0.5;
    case 3:
      return next() * 1e-7;
    case 4:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: Math.floor(next() * 4) }, () => [str(), randomValue(next, depth + 1)]),
      );
  }
}

describe('kindPayload', () => {
  it.each(CONTENTS.map((c) => [c.kind, c] as const))(
    '%s: the member named by kind, as JSON.stringify writes it',
    (_k, c) => {
      const json = JSON.stringify(c);
      const member = (c as Record<string, unknown>)[c.kind];
      expect(kindPayload(json)).toStrictEqual({ kind: c.kind, value: JSON.stringify(member) });
    },
  );

  it('agrees with JSON.parse on 2,000 generated values full of quotes, escapes and brackets', () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 2_000; i++) {
      const value = randomValue(next);
      const json = JSON.stringify({ kind: 'text', text: value });
      const found = kindPayload(json);
      expect(found?.value, json).toBe(JSON.stringify(value));
      expect(JSON.parse(found!.value)).toStrictEqual(value);
    }
  });

  it.each([
    ['another key after the member', '{"kind":"text","text":{"body":"x"},"messaging":{"type":"RESPONSE"}}'],
    ['another key before it', '{"kind":"text","messaging":1,"text":{"body":"x"}}'],
    ['the keys the other way round', '{"text":{"body":"x"},"kind":"text"}'],
    ['whitespace', '{"kind": "text", "text": {"body": "x"}}'],
    ['a member named otherwise', '{"kind":"text","template":{"body":"x"}}'],
    ['an escape in the kind', '{"kind":"te\\u0078t","text":{}}'],
    ['a string that never closes', '{"kind":"text","text":"abc}'],
    ['an object that never closes', '{"kind":"text","text":{"a":{"b":1}}'],
    ['an object closed too early', '{"kind":"text","text":{"a":1}}}'],
    ['nothing after the member name', '{"kind":"text","text":}'],
    ['not an object', '"kind"'],
    ['empty', ''],
  ])('%s: undefined (the caller parses)', (_n, json) => {
    expect(kindPayload(json)).toBeUndefined();
  });
});

describe('endOfValue', () => {
  it('steps over strings, escapes and nested brackets', () => {
    const s = '{"a":"}\\"]","b":[1,{"c":[]}]},9';
    expect(endOfValue(s, 0)).toBe(s.indexOf(',9'));
    expect(endOfValue(s, s.indexOf('[1'))).toBe(s.indexOf('},9'));
    expect(endOfValue('12,3', 0)).toBe(2);
    expect(endOfValue('"abc', 0)).toBe(-1);
  });
});
