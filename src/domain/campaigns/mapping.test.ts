import { describe, expect, it } from 'vitest';
import { type CampaignDefinition, type CampaignTemplate, parseCampaignDefinition } from './definition';
import {
  assignVariant,
  compileCampaign,
  compileMapping,
  compileMetadata,
  firstName,
  fnv1a32,
  type MappingContact,
  pickLanguage,
  stableHash,
  templateNeeds,
} from './mapping';

const emilia: MappingContact = {
  name: 'Emilia Fernández',
  phone_e164: '+5491155551234',
  language: 'es-AR',
  attributes: { first_name: 'Emi', points: 1500, vip: true, city: 'Rosario', empty: '', blank: '   ' },
};

const nobody: MappingContact = { name: null, phone_e164: null, language: null, attributes: {} };

/** A campaign definition through the real parser, so tests use only shapes it accepts. */
function campaign(input: Record<string, unknown>): CampaignDefinition {
  const result = parseCampaignDefinition({ name: 'c', audience: { all: true }, ...input });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

function template(t: Record<string, unknown>): CampaignTemplate {
  return campaign({ template: { name: 'taxi_discount', language: 'es_AR', ...t } }).variants[0]!.template;
}

describe('compileMapping', () => {
  it('fills the issue example in the 1:1 send shape', () => {
    const resolve = compileMapping(
      template({
        body: [{ attribute: 'first_name', default: 'cliente' }, '10%'],
        buttons: [{ payload: 'TAXI_YES' }, { payload: 'STOP_PROMOS' }],
      }),
    );
    expect(resolve(emilia)).toEqual({
      ok: true,
      value: {
        name: 'taxi_discount',
        language: 'es_AR',
        body: ['Emi', '10%'],
        buttons: [{ payload: 'TAXI_YES' }, { payload: 'STOP_PROMOS' }],
      },
    });
    expect(resolve(nobody)).toEqual({
      ok: true,
      value: {
        name: 'taxi_discount',
        language: 'es_AR',
        body: ['cliente', '10%'],
        buttons: [{ payload: 'TAXI_YES' }, { payload: 'STOP_PROMOS' }],
      },
    });
  });

  it('leaves out the parts the template does not use', () => {
    expect(compileMapping(template({}))(emilia)).toEqual({
      ok: true,
      value: { name: 'taxi_discount', language: 'es_AR' },
    });
  });

  it('reports a missing attribute with its path, and every one of them', () => {
    const resolve = compileMapping(
      template({
        header: { text: { attribute: 'city' } },
        body: [{ attribute: 'first_name' }, { attribute: 'empty' }, { attribute: 'blank' }],
        buttons: [null, { url_suffix: { attribute: 'token' } }],
      }),
    );
    expect(resolve(nobody)).toEqual({
      ok: false,
      reason: 'missing_value',
      missing: [
        { path: 'template.header.text', attribute: 'city', problem: 'absent' },
        { path: 'template.body[0]', attribute: 'first_name', problem: 'absent' },
        { path: 'template.body[1]', attribute: 'empty', problem: 'absent' },
        { path: 'template.body[2]', attribute: 'blank', problem: 'absent' },
        { path: 'template.buttons[1].url_suffix', attribute: 'token', problem: 'absent' },
      ],
    });
    expect(resolve(emilia)).toEqual({
      ok: false,
      reason: 'missing_value',
      missing: [
        { path: 'template.body[1]', attribute: 'empty', problem: 'empty' },
        { path: 'template.body[2]', attribute: 'blank', problem: 'empty' },
        { path: 'template.buttons[1].url_suffix', attribute: 'token', problem: 'absent' },
      ],
    });
  });

  it('answers each recipient with its own list of missing values', () => {
    const resolve = compileMapping(template({ body: [{ attribute: 'x' }] }));
    const a = resolve(nobody);
    const b = resolve(nobody);
    if (a.ok || b.ok) throw new Error('filled');
    a.missing[0]!.path = 'changed';
    expect(b.missing[0]!.path).toBe('template.body[0]');
  });

  it('uses the default for absent, empty and too long values', () => {
    const resolve = compileMapping(
      template({
        header: { text: { field: 'name', default: 'Hola' } },
        body: [
          { attribute: 'empty', default: 'x' },
          { attribute: 'blank', default: 'y' },
          { attribute: 'none', default: 'z' },
        ],
      }),
    );
    const longName = { ...emilia, name: 'N'.repeat(61) };
    const result = resolve(longName);
    expect(result.ok && result.value).toMatchObject({ header: { text: 'Hola' }, body: ['x', 'y', 'z'] });
  });

  it('never cuts a value: too long without default is missing', () => {
    const resolve = compileMapping(template({ header: { text: { field: 'name' } } }));
    expect(resolve({ ...emilia, name: 'N'.repeat(61) })).toEqual({
      ok: false,
      reason: 'missing_value',
      missing: [{ path: 'template.header.text', field: 'name', problem: 'too_long' }],
    });
    // 60 emoji are 120 UTF-16 units but 60 characters: they fit.
    const emoji = resolve({ ...emilia, name: '🙂'.repeat(60) });
    expect(emoji.ok && emoji.value.header).toEqual({ text: '🙂'.repeat(60) });
    const body = compileMapping(template({ body: [{ attribute: 'bio' }] }));
    expect(body({ ...emilia, attributes: { bio: 'b'.repeat(1024) } }).ok).toBe(true);
    expect(body({ ...emilia, attributes: { bio: 'b'.repeat(1025) } }).ok).toBe(false);
    const coupon = compileMapping(template({ buttons: [{ coupon_code: { attribute: 'code' } }] }));
    expect(coupon({ ...emilia, attributes: { code: 'C'.repeat(16) } })).toMatchObject({
      ok: false,
      missing: [{ path: 'template.buttons[0].coupon_code', attribute: 'code', problem: 'too_long' }],
    });
  });

  it('writes numbers and booleans as text', () => {
    const resolve = compileMapping(
      template({
        body: [{ attribute: 'points' }, { attribute: 'vip' }, { attribute: 'zero' }, { attribute: 'no' }],
      }),
    );
    const result = resolve({ ...emilia, attributes: { ...emilia.attributes, zero: 0, no: false } });
    expect(result.ok && result.value.body).toEqual(['1500', 'true', '0', 'false']);
  });

  it('folds whitespace WhatsApp refuses, and trims', () => {
    const resolve = compileMapping(
      template({ body: [{ attribute: 'a' }, { attribute: 'b' }, { attribute: 'c' }, { attribute: 'd' }] }),
    );
    const result = resolve({
      ...emilia,
      attributes: { a: ' Emi\n', b: 'Av.\tSiempre\r\nViva', c: 'uno     dos', d: 'tres    cuatro' },
    });
    // Four spaces are allowed and kept; five fold into one.
    expect(result.ok && result.value.body).toEqual(['Emi', 'Av. Siempre Viva', 'uno dos', 'tres    cuatro']);
  });

  it('reads contact fields: name, first_name, phone', () => {
    const resolve = compileMapping(
      template({
        body: { full: { field: 'name' }, first: { field: 'first_name' }, phone: { field: 'phone' } },
      }),
    );
    expect(resolve(emilia)).toEqual({
      ok: true,
      value: {
        name: 'taxi_discount',
        language: 'es_AR',
        body: { full: 'Emilia Fernández', first: 'Emilia', phone: '+5491155551234' },
      },
    });
    expect(resolve(nobody)).toEqual({
      ok: false,
      reason: 'missing_value',
      missing: [
        { path: 'template.body.full', field: 'name', problem: 'absent' },
        { path: 'template.body.first', field: 'first_name', problem: 'absent' },
        { path: 'template.body.phone', field: 'phone', problem: 'absent' },
      ],
    });
    expect(resolve({ ...emilia, name: '  ' })).toMatchObject({
      ok: false,
      missing: [
        { path: 'template.body.full', problem: 'empty' },
        { path: 'template.body.first', problem: 'empty' },
      ],
    });
  });

  it('reads only own attributes of value types', () => {
    const resolve = compileMapping(
      template({ body: [{ attribute: 'toString' }, { attribute: 'valueOf', default: 'v' }] }),
    );
    expect(resolve(nobody)).toEqual({
      ok: false,
      reason: 'missing_value',
      missing: [{ path: 'template.body[0]', attribute: 'toString', problem: 'absent' }],
    });
  });

  it('copies constants per recipient, so one recipient cannot change another', () => {
    const resolve = compileMapping(
      template({
        header: { image: { link: 'https://example.com/taxi.png' } },
        body: [{ currency: { fallback_value: '$1.500', code: 'ARS', amount_1000: 1_500_000 } }, 'x'],
      }),
    );
    const a = resolve(emilia);
    const b = resolve(emilia);
    if (!a.ok || !b.ok) throw new Error('missing');
    expect(a.value).toEqual(b.value);
    expect(a.value.header).not.toBe(b.value.header);
    expect((a.value.body as unknown[])[0]).not.toBe((b.value.body as unknown[])[0]);
    expect(a.value.header).toEqual({ image: { link: 'https://example.com/taxi.png' } });
  });

  it('names paths under a variant', () => {
    const resolve = compileMapping(template({ body: [{ attribute: 'x' }] }), {
      path: 'variants[1].template',
    });
    expect(resolve(nobody)).toMatchObject({ missing: [{ path: 'variants[1].template.body[0]' }] });
  });

  it("picks each contact's language, cached per language", () => {
    const resolve = compileMapping(template({ language: { contact_language: true, fallback: 'es_AR' } }), {
      availableLanguages: ['es_AR', 'en_US', 'pt_BR'],
    });
    const lang = (language: string | null) => {
      const r = resolve({ ...emilia, language });
      return r.ok ? r.value.language : 'missing';
    };
    expect([lang('en-US'), lang('pt-BR'), lang('pt'), lang('de'), lang(null), lang('en-US')]).toEqual([
      'en_US',
      'pt_BR',
      'pt_BR',
      'es_AR',
      'es_AR',
      'en_US',
    ]);
    // Without the approved languages nothing can be confirmed: everyone gets the fallback.
    const blind = compileMapping(template({ language: { contact_language: true, fallback: 'es_AR' } }));
    const r = blind({ ...emilia, language: 'en-US' });
    expect(r.ok && r.value.language).toBe('es_AR');
  });

  it('fills 200,000 recipients from one compiled mapping', () => {
    const resolve = compileMapping(
      template({
        header: { text: { field: 'first_name', default: 'Hola' } },
        body: [{ attribute: 'first_name', default: 'cliente' }, { attribute: 'points' }, '10%'],
        buttons: [{ payload: 'TAXI_YES' }, { payload: 'STOP_PROMOS' }],
      }),
    );
    let ok = 0;
    for (let i = 0; i < 200_000; i++) if (resolve(emilia).ok) ok++;
    // A sanity check, not a benchmark: the closures do the work, not a walk of the definition.
    expect(ok).toBe(200_000);
  });
});

describe('pickLanguage', () => {
  const contact = { kind: 'contact', fallback: 'en_US' } as const;
  const available = ['es', 'es_AR', 'es_MX', 'en_US', 'pt_BR', 'zh_TW', 'nb', 'fil'];

  it('uses a fixed language as is', () => {
    expect(pickLanguage({ kind: 'fixed', code: 'es_AR' }, 'en-US', available)).toBe('es_AR');
    expect(pickLanguage({ kind: 'fixed', code: 'es_AR' }, 'en-US', [])).toBe('es_AR');
  });

  it('tries exact, then the base language, then the fallback', () => {
    expect(pickLanguage(contact, 'es-AR', available)).toBe('es_AR');
    expect(pickLanguage(contact, 'es-CL', available)).toBe('es');
    expect(pickLanguage(contact, 'es', available)).toBe('es');
    expect(pickLanguage(contact, 'fr-FR', available)).toBe('en_US');
    expect(pickLanguage(contact, null, available)).toBe('en_US');
    expect(pickLanguage(contact, undefined, available)).toBe('en_US');
    expect(pickLanguage(contact, '', available)).toBe('en_US');
  });

  it('reads tags written in any case, with underscores or scripts', () => {
    expect(pickLanguage(contact, 'ES-ar', available)).toBe('es_AR');
    expect(pickLanguage(contact, 'es_AR', available)).toBe('es_AR');
    expect(pickLanguage(contact, 'zh-Hant-TW', available)).toBe('zh_TW');
    expect(pickLanguage(contact, 'not a tag!', available)).toBe('en_US');
  });

  it('maps BCP-47 names Meta spells differently', () => {
    expect(pickLanguage(contact, 'no-NO', available)).toBe('nb');
    expect(pickLanguage(contact, 'tl', available)).toBe('fil');
  });

  it('prefers the same language in another region to a foreign fallback', () => {
    const regional = ['es_MX', 'es_ES', 'en_US', 'pt_BR', 'pt_PT'];
    // Same-language fallback first…
    expect(pickLanguage({ kind: 'contact', fallback: 'es_ES' }, 'es-CL', regional)).toBe('es_ES');
    // …else the first region of that language, in code order, rather than English.
    expect(pickLanguage({ kind: 'contact', fallback: 'en_US' }, 'es-CL', regional)).toBe('es_ES');
    expect(pickLanguage({ kind: 'contact', fallback: 'en_US' }, 'pt', regional)).toBe('pt_BR');
    expect(pickLanguage({ kind: 'contact', fallback: 'en_US' }, 'pt-PT', regional)).toBe('pt_PT');
  });

  it('returns the fallback even when no language is known to be approved', () => {
    expect(pickLanguage({ kind: 'contact', fallback: 'es_AR' }, 'en-US', [])).toBe('es_AR');
  });
});

describe('assignVariant', () => {
  const ab = [
    { label: 'A', weight: 50 },
    { label: 'B', weight: 50 },
  ];
  const keys = Array.from({ length: 10_000 }, (_, i) => `cmp_01JD2Q:ctc_${String(i).padStart(8, '0')}`);

  it('hashes with FNV-1a (the published test vectors) and a finaliser, pinned', () => {
    expect([fnv1a32(''), fnv1a32('a'), fnv1a32('foobar')]).toEqual([0x811c9dc5, 0xe40c292c, 0xbf9cf968]);
    // Pinned: a change of hash would re-split a running campaign after an upgrade.
    expect([stableHash('a'), stableHash('ctc_1'), stableHash('cmp_1:ctc_1')]).toEqual([
      444641715, 22523901, 837897067,
    ]);
    expect(stableHash('ñandú')).toBeLessThan(2 ** 32);
    expect(stableHash('ñandú')).toBeGreaterThanOrEqual(0);
  });

  it('gives a key the same variant on every run and for equal lists', () => {
    const first = keys.map((k) => assignVariant(k, ab).label);
    const again = keys.map((k) => assignVariant(k, [{ ...ab[0]! }, { ...ab[1]! }]).label);
    expect(again).toEqual(first);
  });

  it('splits 10,000 keys 50/50 within ±3%', () => {
    const a = keys.filter((k) => assignVariant(k, ab).label === 'A').length;
    expect(a).toBeGreaterThan(4700);
    expect(a).toBeLessThan(5300);
  });

  it('follows uneven and three-way weights', () => {
    const split = [
      { label: 'A', weight: 90 },
      { label: 'B', weight: 10 },
    ];
    const b = keys.filter((k) => assignVariant(k, split).label === 'B').length;
    expect(b).toBeGreaterThan(700);
    expect(b).toBeLessThan(1300);
    const three = [
      { label: 'A', weight: 1 },
      { label: 'B', weight: 1 },
      { label: 'C', weight: 2 },
    ];
    const counts = { A: 0, B: 0, C: 0 } as Record<string, number>;
    for (const k of keys) counts[assignVariant(k, three).label]!++;
    expect(counts.A).toBeGreaterThan(2200);
    expect(counts.A).toBeLessThan(2800);
    expect(counts.B).toBeGreaterThan(2200);
    expect(counts.B).toBeLessThan(2800);
    expect(counts.C).toBeGreaterThan(4700);
    expect(counts.C).toBeLessThan(5300);
  });

  it('splits keys that differ only in their last character', () => {
    const near = Array.from({ length: 1000 }, (_, i) => `ctc_01JD2Q8ZK3ABCDEFGHJKMN${i}`);
    const a = near.filter((k) => assignVariant(k, ab).label === 'A').length;
    expect(a).toBeGreaterThan(430);
    expect(a).toBeLessThan(570);
  });

  it('splits keys spelled only with even character codes (raw FNV-1a would not)', () => {
    const even = '02468BDFHJ';
    const spelled = Array.from(
      { length: 1000 },
      (_, i) =>
        `ctc_${String(i)
          .padStart(4, '0')
          .split('')
          .map((d) => even[Number(d)])
          .join('')}`,
    );
    expect(spelled.every((k) => fnv1a32(k) % 2 === fnv1a32(spelled[0]!) % 2)).toBe(true);
    const a = spelled.filter((k) => assignVariant(k, ab).label === 'A').length;
    expect(a).toBeGreaterThan(430);
    expect(a).toBeLessThan(570);
  });

  it('gives a different split per campaign when the key holds the campaign id', () => {
    const contacts = Array.from({ length: 1000 }, (_, i) => `ctc_${i}`);
    const one = contacts.map((c) => assignVariant(`cmp_1:${c}`, ab).label);
    const two = contacts.map((c) => assignVariant(`cmp_2:${c}`, ab).label);
    const same = one.filter((label, i) => label === two[i]).length;
    expect(same).toBeGreaterThan(400);
    expect(same).toBeLessThan(600);
  });

  it('returns the only variant, and refuses none', () => {
    expect(assignVariant('k', [{ label: 'A', weight: 7 }]).label).toBe('A');
    expect(() => assignVariant('k', [])).toThrow(RangeError);
  });
});

describe('compileMetadata', () => {
  it('keeps constants and JSON types, fills sources, leaves out missing ones', () => {
    const def = campaign({
      template: { name: 't', language: 'es' },
      metadata: {
        offer: 'taxi10',
        round: 2,
        points: { attribute: 'points' },
        vip: { attribute: 'vip' },
        city: { attribute: 'nowhere', default: 'desconocida' },
        gone: { attribute: 'nowhere' },
        empty: { attribute: 'empty' },
        phone: { field: 'phone' },
      },
    });
    const resolve = compileMetadata(def.metadata);
    expect(resolve(emilia)).toEqual({
      ok: true,
      value: {
        offer: 'taxi10',
        round: 2,
        points: 1500,
        vip: true,
        city: 'desconocida',
        phone: '+5491155551234',
      },
    });
    const a = resolve(emilia);
    const b = resolve(emilia);
    expect(a.ok && b.ok && a.value !== b.value).toBe(true);
  });

  it('refuses metadata grown too large by a recipient, keeping room for campaign_id', () => {
    const def = campaign({
      template: { name: 't', language: 'es' },
      metadata: {
        a: { attribute: 'a' },
        b: { attribute: 'b' },
        c: { attribute: 'c' },
        d: { attribute: 'd' },
      },
    });
    const resolve = compileMetadata(def.metadata);
    const big = (n: number) => ({
      ...emilia,
      attributes: { a: 'x'.repeat(n), b: 'x'.repeat(n), c: 'x'.repeat(n), d: 'x'.repeat(n) },
    });
    expect(resolve(big(900)).ok).toBe(true);
    expect(resolve(big(1000))).toEqual({
      ok: false,
      reason: 'missing_value',
      missing: [{ path: 'metadata', problem: 'too_long' }],
    });
  });

  it('returns a fresh object each time even without sources', () => {
    const resolve = compileMetadata({ offer: { kind: 'constant', value: 'x' } });
    const a = resolve(nobody);
    const b = resolve(nobody);
    if (!a.ok || !b.ok) throw new Error('refused');
    a.value.campaign_id = 'cmp_1';
    expect(b.value).toEqual({ offer: 'x' });
  });
});

describe('compileCampaign', () => {
  it('fills one template for everyone, with metadata', () => {
    const resolve = compileCampaign(
      campaign({
        template: {
          name: 'taxi_discount',
          language: 'es_AR',
          body: [{ attribute: 'first_name', default: 'cliente' }],
        },
        metadata: { offer: 'taxi10', customer: { attribute: 'city' } },
      }),
    );
    expect(resolve('cmp_1:ctc_1', emilia)).toEqual({
      ok: true,
      variant: 'A',
      template: { name: 'taxi_discount', language: 'es_AR', body: ['Emi'] },
      metadata: { offer: 'taxi10', customer: 'Rosario' },
    });
  });

  it('assigns variants by key and fills each with its own template and languages', () => {
    const def = campaign({
      variants: [
        { weight: 1, template: { name: 'taxi_a', language: { contact_language: true, fallback: 'es_AR' } } },
        {
          label: 'B',
          weight: 1,
          template: {
            name: 'taxi_b',
            language: { contact_language: true, fallback: 'es_AR' },
            body: [{ attribute: 'nope' }],
          },
        },
      ],
    });
    const languages: Record<string, string[]> = { taxi_a: ['es_AR', 'en_US'], taxi_b: ['es_AR'] };
    const resolve = compileCampaign(def, { availableLanguages: (name) => languages[name] ?? [] });
    const english = { ...emilia, language: 'en-US' };
    let seenA = false;
    let seenB = false;
    for (let i = 0; i < 50; i++) {
      const key = `cmp_1:ctc_${i}`;
      const r = resolve(key, english);
      expect(r.variant).toBe(assignVariant(key, def.variants).label);
      if (r.variant === 'A') {
        seenA = true;
        expect(r).toMatchObject({ ok: true, template: { name: 'taxi_a', language: 'en_US' } });
      } else {
        seenB = true;
        expect(r).toEqual({
          ok: false,
          variant: 'B',
          reason: 'missing_value',
          missing: [{ path: 'variants[1].template.body[0]', attribute: 'nope', problem: 'absent' }],
        });
      }
    }
    expect(seenA && seenB).toBe(true);
  });

  it('joins missing template values and oversized metadata', () => {
    const resolve = compileCampaign(
      campaign({
        template: { name: 't', language: 'es', body: [{ attribute: 'x' }] },
        metadata: {
          a: { attribute: 'a' },
          b: { attribute: 'b' },
          c: { attribute: 'c' },
          d: { attribute: 'd' },
        },
      }),
    );
    const r = resolve('k', {
      ...nobody,
      attributes: { a: 'x'.repeat(1000), b: 'x'.repeat(1000), c: 'x'.repeat(1000), d: 'x'.repeat(1000) },
    });
    expect(r).toEqual({
      ok: false,
      variant: 'A',
      reason: 'missing_value',
      missing: [
        { path: 'template.body[0]', attribute: 'x', problem: 'absent' },
        { path: 'metadata', problem: 'too_long' },
      ],
    });
  });
});

describe('templateNeeds and firstName', () => {
  it('names the values a template cannot do without, as the audience preview reads them', () => {
    const t = template({
      header: { text: { field: 'first_name' } },
      body: [
        { attribute: 'city' },
        { attribute: 'first_name', default: 'cliente' },
        'x',
        { attribute: 'city' },
      ],
      buttons: [{ url_suffix: { field: 'phone' } }, null, { payload: { attribute: 'token' } }],
    });
    expect(templateNeeds(t)).toEqual(['name', 'city', 'phone', 'token']);
    expect(templateNeeds(template({}))).toEqual([]);
  });

  it('takes the first word of a name', () => {
    expect(firstName('María José Pérez')).toBe('María');
    expect(firstName('  Emilia\tF. ')).toBe('Emilia');
    expect(firstName('Cher')).toBe('Cher');
    expect(firstName('Pérez, Ana')).toBe('Ana');
    expect(firstName('Pérez, Ana María')).toBe('Ana');
    expect(firstName('Gómez,')).toBe('Gómez');
    expect(firstName('"Emi" Gómez')).toBe('Emi');
    expect(firstName("O'Brien")).toBe("O'Brien");
    expect(firstName('')).toBe('');
    expect(firstName(null)).toBeUndefined();
  });
});
