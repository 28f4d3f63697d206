import { describe, expect, it } from 'vitest';
import { CAMPAIGN_LIMITS, type CheckedCampaign, parseCampaignDefinition, textProblem } from './definition';

/** The seed's taxi-discount campaign, as the issue writes it. */
const taxi = () => ({
  name: 'Descuento taxi',
  template: {
    name: 'taxi_discount',
    language: 'es_AR',
    body: [{ attribute: 'first_name', default: 'cliente' }, '10%'],
    buttons: [{ payload: 'TAXI_YES' }, { payload: 'STOP_PROMOS' }],
  },
  audience: { filter: { tags: { all: ['taxi'] } } },
  schedule: { at: '2026-03-02T10:00:00-03:00', expires_at: '2026-03-02T23:59:00-03:00' },
  metadata: { offer: 'taxi10' },
});

function problemsOf(result: CheckedCampaign) {
  if (result.ok) throw new Error('accepted, expected problems');
  return result.problems;
}

/** The one problem a change causes, by its path. */
function problemAt(input: unknown, path: string): string {
  const problems = problemsOf(parseCampaignDefinition(input));
  const found = problems.filter((p) => p.path === path);
  if (found.length !== 1) throw new Error(`expected one problem at ${path}, got ${JSON.stringify(problems)}`);
  return found[0]!.message;
}

function withTemplate(patch: Record<string, unknown>) {
  const c = taxi();
  return { ...c, template: { ...c.template, ...patch } };
}

describe('a valid campaign', () => {
  it('reads the issue example into one variant "A"', () => {
    const result = parseCampaignDefinition(taxi());
    expect(result).toEqual({
      ok: true,
      value: {
        name: 'Descuento taxi',
        variants: [
          {
            label: 'A',
            weight: 1,
            template: {
              name: 'taxi_discount',
              language: { kind: 'fixed', code: 'es_AR' },
              body: [
                { kind: 'attribute', name: 'first_name', default: 'cliente' },
                { kind: 'constant', value: '10%' },
              ],
              buttons: [
                { payload: { kind: 'constant', value: 'TAXI_YES' } },
                { payload: { kind: 'constant', value: 'STOP_PROMOS' } },
              ],
            },
          },
        ],
        audience: {
          kind: 'filter',
          filter: { tags: { all: ['taxi'], any: [], none: [] }, attributes: [] },
        },
        schedule: { at: '2026-03-02T10:00:00-03:00', expires_at: '2026-03-02T23:59:00-03:00' },
        metadata: { offer: { kind: 'constant', value: 'taxi10' } },
      },
    });
  });

  it('reads every optional field', () => {
    const result = parseCampaignDefinition({
      ...taxi(),
      name: '  Política de privacidad  ',
      account_id: 'acc_01JD2Q',
      pace: 20,
      frequency_cap_hours: 0,
      category: 'utility',
      template: {
        name: 'privacy_update',
        language: { contact_language: true, fallback: 'es_AR' },
        header: { text: { field: 'first_name', default: 'Hola' } },
        body: { first_name: { field: 'name' }, phone: { field: 'phone' }, amount: 1500 },
        buttons: [null, { url_suffix: { attribute: 'token' } }, { coupon_code: 'TAXI10' }],
      },
      audience: { audience_id: 'aud_01JD2Q8ZK3' },
      metadata: { customer: { attribute: 'customer_id' }, n: 3, vip: true, none: null },
    });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const v = result.value;
    expect(v.name).toBe('Política de privacidad');
    expect(v.accountId).toBe('acc_01JD2Q');
    expect(v.pacePerSecond).toBe(20);
    expect(v.frequencyCapHours).toBe(0);
    expect(v.category).toBe('UTILITY');
    expect(v.audience).toEqual({ kind: 'saved', audienceId: 'aud_01JD2Q8ZK3' });
    expect(v.variants[0]!.template).toEqual({
      name: 'privacy_update',
      language: { kind: 'contact', fallback: 'es_AR' },
      header: { text: { kind: 'field', field: 'first_name', default: 'Hola' } },
      body: {
        first_name: { kind: 'field', field: 'name' },
        phone: { kind: 'field', field: 'phone' },
        amount: { kind: 'constant', value: '1500' },
      },
      buttons: [
        null,
        { url_suffix: { kind: 'attribute', name: 'token' } },
        { coupon_code: { kind: 'constant', value: 'TAXI10' } },
      ],
    });
    expect(v.metadata).toEqual({
      customer: { kind: 'attribute', name: 'customer_id' },
      n: { kind: 'constant', value: 3 },
      vip: { kind: 'constant', value: true },
      none: { kind: 'constant', value: null },
    });
  });

  it('leaves optional fields out rather than undefined', () => {
    const result = parseCampaignDefinition({
      name: 'x',
      template: { name: 't', language: 'es' },
      audience: { all: true },
    });
    expect(result).toEqual({
      ok: true,
      value: {
        name: 'x',
        variants: [
          { label: 'A', weight: 1, template: { name: 't', language: { kind: 'fixed', code: 'es' } } },
        ],
        audience: { kind: 'all' },
        metadata: {},
      },
    });
  });

  it('reads inline lists, media and location headers, currency and date_time constants', () => {
    const result = parseCampaignDefinition({
      name: 'x',
      template: {
        name: 't',
        language: 'es',
        header: { document: { link: 'https://example.com/a.pdf', filename: 'a.pdf' } },
        body: [
          { currency: { fallback_value: '$1.500', code: 'ARS', amount_1000: 1_500_000 } },
          { date_time: { fallback_value: '2 de marzo' } },
        ],
      },
      audience: { list: { contacts: ['ctc_1', '+54 9 11 5555-1234'] } },
    });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.value.audience).toEqual({ kind: 'list', contacts: ['ctc_1', '+54 9 11 5555-1234'] });
    expect(result.value.variants[0]!.template.header).toEqual({
      document: { link: 'https://example.com/a.pdf', filename: 'a.pdf' },
    });
    expect(result.value.variants[0]!.template.body).toEqual([
      {
        kind: 'constant',
        value: { currency: { fallback_value: '$1.500', code: 'ARS', amount_1000: 1_500_000 } },
      },
      { kind: 'constant', value: { date_time: { fallback_value: '2 de marzo' } } },
    ]);
    const location = parseCampaignDefinition({
      ...taxi(),
      template: {
        name: 't',
        language: 'es',
        header: { location: { latitude: '-34.6', longitude: -58.4, name: 'Sede' } },
      },
    });
    if (!location.ok) throw new Error(JSON.stringify(location.problems));
    expect(location.value.variants[0]!.template.header).toEqual({
      location: { latitude: '-34.6', longitude: -58.4, name: 'Sede' },
    });
  });

  it('reads an A/B split with default and given labels', () => {
    const result = parseCampaignDefinition({
      ...taxi(),
      template: undefined,
      variants: [
        { weight: 50, template: { name: 'taxi_a', language: 'es_AR' } },
        { label: 'emoji', weight: 50, template: { name: 'taxi_b', language: 'es_AR' } },
        { weight: 1, template: { name: 'taxi_c', language: 'es_AR' } },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.value.variants.map((v) => [v.label, v.weight, v.template.name])).toEqual([
      ['A', 50, 'taxi_a'],
      ['emoji', 50, 'taxi_b'],
      ['C', 1, 'taxi_c'],
    ]);
  });
});

describe('problems, each with its path', () => {
  it('refuses a non-object at the root', () => {
    expect(problemsOf(parseCampaignDefinition('x'))).toEqual([
      { path: '$', message: expect.stringContaining('a campaign is an object') },
    ]);
    expect(problemsOf(parseCampaignDefinition(null, 'body'))[0]!.path).toBe('body');
  });

  it('prefixes every path with `at`', () => {
    const problems = problemsOf(parseCampaignDefinition({ ...taxi(), pace: 0 }, 'body'));
    expect(problems.map((p) => p.path)).toEqual(['body.pace']);
  });

  it('names unknown keys and the known ones, at every level', () => {
    expect(problemAt({ ...taxi(), colour: 'red' }, 'colour')).toMatch(
      /unknown key "colour"; a campaign takes "name", .*"metadata"/,
    );
    expect(problemAt(withTemplate({ footer: 'x' }), 'template.footer')).toMatch(
      /unknown key "footer"; a template takes "name", "language", "header", "body", "buttons"/,
    );
    expect(
      problemAt(withTemplate({ body: [{ attribute: 'a', fallback: 'x' }] }), 'template.body[0].fallback'),
    ).toMatch(/unknown key "fallback"; a value source takes "attribute", "field", "default"/);
    expect(problemAt({ ...taxi(), audience: { all: true, tags: ['x'] } }, 'audience.tags')).toMatch(
      /an audience takes "all", "filter", "list", "audience_id"/,
    );
    expect(
      problemAt(
        withTemplate({ language: { contact_language: true, fallback: 'es', prefer: 'x' } }),
        'template.language.prefer',
      ),
    ).toMatch(/unknown key/);
  });

  it('collects every problem at once', () => {
    const problems = problemsOf(
      parseCampaignDefinition({
        name: '',
        template: { name: 'Taxi Discount', language: 'es-AR', body: [true] },
        audience: {},
        pace: 5000,
      }),
    );
    expect(problems.map((p) => p.path)).toEqual([
      'name',
      'template.name',
      'template.language',
      'template.body[0]',
      'audience',
      'pace',
    ]);
  });

  it('name', () => {
    expect(problemAt({ ...taxi(), name: undefined }, 'name')).toMatch(/is required/);
    expect(problemAt({ ...taxi(), name: '   ' }, 'name')).toMatch(/is empty/);
    expect(problemAt({ ...taxi(), name: 7 }, 'name')).toMatch(/must be text, got the number 7/);
    expect(problemAt({ ...taxi(), name: 'a\nb' }, 'name')).toMatch(/control character/);
    expect(problemAt({ ...taxi(), name: 'x'.repeat(201) }, 'name')).toMatch(
      /201 characters long; the limit is 200/,
    );
    expect(parseCampaignDefinition({ ...taxi(), name: '🚕'.repeat(200) }).ok).toBe(true);
  });

  it('account_id', () => {
    expect(problemAt({ ...taxi(), account_id: '' }, 'account_id')).toMatch(/channel account id/);
    expect(problemAt({ ...taxi(), account_id: 'acc 1' }, 'account_id')).toMatch(/without spaces/);
    expect(problemAt({ ...taxi(), account_id: 'a'.repeat(65) }, 'account_id')).toMatch(/1 to 64/);
    expect(problemAt({ ...taxi(), account_id: 3 }, 'account_id')).toMatch(/got the number 3/);
  });

  it('template or variants, exactly one', () => {
    expect(problemAt({ ...taxi(), template: undefined }, 'template')).toMatch(/is required.*variants/);
    expect(
      problemAt({ ...taxi(), variants: [{ weight: 1, template: taxi().template }] }, 'variants'),
    ).toMatch(/either "template".*or "variants".*not both/);
    expect(problemAt({ ...taxi(), template: 'taxi_discount' }, 'template')).toMatch(
      /a template is \{name, language/,
    );
  });

  it('template name', () => {
    expect(problemAt(withTemplate({ name: undefined }), 'template.name')).toMatch(/is required/);
    expect(problemAt(withTemplate({ name: 'Taxi Discount!' }), 'template.name')).toMatch(
      /did you mean "taxi_discount"/,
    );
    expect(problemAt(withTemplate({ name: 'a'.repeat(513) }), 'template.name')).toMatch(/at most 512/);
  });

  it('template language', () => {
    expect(problemAt(withTemplate({ language: undefined }), 'template.language')).toMatch(/is required/);
    expect(problemAt(withTemplate({ language: 'es-AR' }), 'template.language')).toMatch(/write "es_AR"/);
    expect(problemAt(withTemplate({ language: 'spanish' }), 'template.language')).toMatch(
      /not a Meta template language code; use a code such as/,
    );
    expect(problemAt(withTemplate({ language: ['es'] }), 'template.language')).toMatch(/contact_language/);
    expect(
      problemAt(withTemplate({ language: { contact_language: true } }), 'template.language.fallback'),
    ).toMatch(/is required/);
    expect(
      problemAt(
        withTemplate({ language: { contact_language: true, fallback: 'es-AR' } }),
        'template.language.fallback',
      ),
    ).toMatch(/write "es_AR"/);
    expect(
      problemAt(
        withTemplate({ language: { contact_language: true, fallback: 3 } }),
        'template.language.fallback',
      ),
    ).toMatch(/Meta language code/);
    expect(
      problemAt(
        withTemplate({ language: { contact_language: false, fallback: 'es' } }),
        'template.language.contact_language',
      ),
    ).toMatch(/write the code itself/);
    expect(
      problemAt(withTemplate({ language: { fallback: 'es' } }), 'template.language.contact_language'),
    ).toMatch(/must be true/);
  });

  it('body values', () => {
    expect(problemAt(withTemplate({ body: 'hola' }), 'template.body')).toMatch(/an array .* or an object/);
    expect(problemAt(withTemplate({ body: [{}] }), 'template.body[0]')).toMatch(/names no source/);
    expect(
      problemAt(withTemplate({ body: ['a', { attribute: 'x', field: 'name' }] }), 'template.body[1]'),
    ).toMatch(/both "attribute" and "field"/);
    expect(problemAt(withTemplate({ body: ['a', { attribute: 7 }] }), 'template.body[1].attribute')).toMatch(
      /attribute name/,
    );
    expect(
      problemAt(withTemplate({ body: ['a', { attribute: '1st' }] }), 'template.body[1].attribute'),
    ).toMatch(/may use only letters/);
    expect(problemAt(withTemplate({ body: [{ attribute: 'name' }] }), 'template.body[0].attribute')).toMatch(
      /is a contact field.*\{"field": "name"\}/,
    );
    expect(problemAt(withTemplate({ body: [{ field: 'email' }] }), 'template.body[0].field')).toMatch(
      /"name", "first_name", "phone".*attribute/,
    );
    expect(
      problemAt(withTemplate({ body: [{ attribute: 'a', default: '' }] }), 'template.body[0].default'),
    ).toMatch(/is empty \(a body value\)/);
    expect(
      problemAt(withTemplate({ body: [{ attribute: 'a', default: {} }] }), 'template.body[0].default'),
    ).toMatch(/must be text/);
    expect(problemAt(withTemplate({ body: ['a\nb'] }), 'template.body[0]')).toMatch(/line break/);
    expect(problemAt(withTemplate({ body: ['a\tb'] }), 'template.body[0]')).toMatch(/tab/);
    expect(problemAt(withTemplate({ body: ['a     b'] }), 'template.body[0]')).toMatch(
      /4 consecutive spaces/,
    );
    expect(problemAt(withTemplate({ body: ['x'.repeat(1025)] }), 'template.body[0]')).toMatch(
      /1025 characters long; the limit is 1024/,
    );
    expect(problemAt(withTemplate({ body: [Number.NaN] }), 'template.body[0]')).toMatch(/finite number/);
    expect(problemAt(withTemplate({ body: [false] }), 'template.body[0]')).toMatch(/write the words to show/);
    expect(problemAt(withTemplate({ body: [null] }), 'template.body[0]')).toMatch(/must be a constant text/);
    expect(problemAt(withTemplate({ body: { 'First Name': 'x' } }), 'template.body.First Name')).toMatch(
      /not a variable name/,
    );
    expect(
      problemAt(withTemplate({ body: new Array(CAMPAIGN_LIMITS.bodyValues + 1).fill('x') }), 'template.body'),
    ).toMatch(/101 values; at most 100/);
  });

  it('currency and date_time constants', () => {
    expect(
      problemAt(
        withTemplate({ body: [{ currency: { fallback_value: '$1', code: 'ars', amount_1000: 1 } }] }),
        'template.body[0].currency.code',
      ),
    ).toMatch(/3 capital letters/);
    expect(
      problemAt(
        withTemplate({ body: [{ currency: { fallback_value: '$1', code: 'ARS', amount_1000: 1.5 } }] }),
        'template.body[0].currency.amount_1000',
      ),
    ).toMatch(/whole number/);
    expect(
      problemAt(
        withTemplate({ body: [{ currency: { code: 'ARS', amount_1000: 1 } }] }),
        'template.body[0].currency.fallback_value',
      ),
    ).toMatch(/is required/);
    expect(
      problemAt(withTemplate({ body: [{ date_time: 'mañana' }] }), 'template.body[0].date_time'),
    ).toMatch(/\{fallback_value\}/);
    expect(
      problemAt(
        withTemplate({ body: [{ date_time: { fallback_value: 'x' }, attribute: 'a' }] }),
        'template.body[0]',
      ),
    ).toMatch(/alone/);
    // Rich constants belong in the body only: in a button they are an unknown source.
    expect(
      problemsOf(
        parseCampaignDefinition(
          withTemplate({ buttons: [{ payload: { date_time: { fallback_value: 'x' } } }] }),
        ),
      ).map((p) => p.path),
    ).toContain('template.buttons[0].payload.date_time');
  });

  it('header values', () => {
    expect(problemAt(withTemplate({ header: 'hola' }), 'template.header')).toMatch(/\{text\}, \{image\}/);
    expect(problemAt(withTemplate({ header: { text: 'a', image: {} } }), 'template.header')).toMatch(
      /got \{ text, image \}/,
    );
    expect(problemAt(withTemplate({ header: { text: 'x'.repeat(61) } }), 'template.header.text')).toMatch(
      /61 characters long; the limit is 60 \(a header value\)/,
    );
    expect(
      problemAt(
        withTemplate({ header: { text: { attribute: 'a', default: 'x'.repeat(61) } } }),
        'template.header.text.default',
      ),
    ).toMatch(/limit is 60/);
    expect(
      problemAt(withTemplate({ header: { image: { link: 'ftp://x' } } }), 'template.header.image.link'),
    ).toMatch(/http\(s\) URL/);
    expect(
      problemAt(
        withTemplate({ header: { image: { link: 'https://x/a.png', id: '1' } } }),
        'template.header.image',
      ),
    ).toMatch(/exactly one of link or id, got both/);
    expect(problemAt(withTemplate({ header: { video: {} } }), 'template.header.video')).toMatch(
      /got neither/,
    );
    expect(problemAt(withTemplate({ header: { video: { id: '' } } }), 'template.header.video.id')).toMatch(
      /media id/,
    );
    expect(
      problemAt(
        withTemplate({ header: { image: { id: '1', filename: 'a' } } }),
        'template.header.image.filename',
      ),
    ).toMatch(/unknown key/);
    expect(
      problemAt(
        withTemplate({ header: { document: { id: '1', filename: '' } } }),
        'template.header.document.filename',
      ),
    ).toMatch(/file name/);
    expect(
      problemAt(withTemplate({ header: { image: 'https://x/a.png' } }), 'template.header.image'),
    ).toMatch(/\{"link": "https:\/\/…"\}/);
    expect(
      problemAt(
        withTemplate({ header: { location: { latitude: 91, longitude: 0 } } }),
        'template.header.location.latitude',
      ),
    ).toMatch(/-90 to 90/);
    expect(
      problemAt(
        withTemplate({ header: { location: { latitude: 0, longitude: 'x' } } }),
        'template.header.location.longitude',
      ),
    ).toMatch(/-180 to 180/);
    expect(
      problemAt(
        withTemplate({ header: { location: { latitude: 0, longitude: 0, name: 3 } } }),
        'template.header.location.name',
      ),
    ).toMatch(/must be text/);
    expect(problemAt(withTemplate({ header: { location: [] } }), 'template.header.location')).toMatch(
      /\{latitude, longitude/,
    );
  });

  it('button values', () => {
    expect(problemAt(withTemplate({ buttons: { payload: 'x' } }), 'template.buttons')).toMatch(
      /must be an array/,
    );
    expect(problemAt(withTemplate({ buttons: [{ text: 'Sí' }] }), 'template.buttons[0]')).toMatch(
      /\{payload\} \(quick reply\).*got \{ text \}/,
    );
    expect(problemAt(withTemplate({ buttons: [null, {}] }), 'template.buttons[1]')).toMatch(
      /an empty object/,
    );
    expect(
      problemAt(withTemplate({ buttons: [{ payload: 'x'.repeat(257) }] }), 'template.buttons[0].payload'),
    ).toMatch(/limit is 256 \(a quick-reply payload\)/);
    expect(
      problemAt(
        withTemplate({ buttons: [{ coupon_code: 'TAXI10TAXI10TAXI' }] }),
        'template.buttons[0].coupon_code',
      ),
    ).toMatch(/limit is 15/);
    expect(
      problemAt(withTemplate({ buttons: [{ url_suffix: 'a b\nc' }] }), 'template.buttons[0].url_suffix'),
    ).toMatch(/line break/);
    expect(problemAt(withTemplate({ buttons: new Array(11).fill(null) }), 'template.buttons')).toMatch(
      /at most 10/,
    );
    // A payload may hold anything but emptiness and excess: Meta shows it to nobody.
    expect(parseCampaignDefinition(withTemplate({ buttons: [{ payload: 'A\tB' }] })).ok).toBe(true);
  });

  it('variants', () => {
    const v = (patch: Record<string, unknown>) => ({
      weight: 1,
      template: { name: 't', language: 'es' },
      ...patch,
    });
    const ab = (variants: unknown) => ({ ...taxi(), template: undefined, variants });
    expect(problemAt(ab('x'), 'variants')).toMatch(/must be an array/);
    expect(problemAt(ab([v({})]), 'variants')).toMatch(
      /has 1 variant; a split needs 2 to 10.*write "template"/,
    );
    expect(problemAt(ab(new Array(11).fill(v({}))), 'variants')).toMatch(/11 variants; at most 10/);
    expect(problemAt(ab([v({}), 'B']), 'variants[1]')).toMatch(/a variant is/);
    expect(problemAt(ab([v({}), v({ weight: 0 })]), 'variants[1].weight')).toMatch(
      /whole number from 1 to 10000/,
    );
    expect(problemAt(ab([v({}), v({ weight: 1.5 })]), 'variants[1].weight')).toMatch(/whole number/);
    expect(problemAt(ab([v({}), v({ weight: undefined })]), 'variants[1].weight')).toMatch(/is required/);
    expect(problemAt(ab([v({}), v({ weight: 10_001 })]), 'variants[1].weight')).toMatch(/1 to 10000/);
    expect(problemAt(ab([v({ label: 'x' }), v({ label: 'x' })]), 'variants[1].label')).toMatch(
      /already the label of variants\[0\]/,
    );
    // A given label may collide with a default one.
    expect(problemAt(ab([v({}), v({ label: 'A' })]), 'variants[1].label')).toMatch(/already the label/);
    expect(problemAt(ab([v({}), v({ label: 'con espacio' })]), 'variants[1].label')).toMatch(
      /letters, digits/,
    );
    expect(problemAt(ab([v({}), v({ colour: 'red' })]), 'variants[1].colour')).toMatch(
      /a variant takes "label", "weight", "template"/,
    );
    expect(
      problemAt(
        ab([v({}), v({ template: { name: 't', language: 'es', body: [{}] } })]),
        'variants[1].template.body[0]',
      ),
    ).toMatch(/names no source/);
  });

  it('audience', () => {
    expect(problemAt({ ...taxi(), audience: undefined }, 'audience')).toMatch(/is required/);
    expect(problemAt({ ...taxi(), audience: 'all' }, 'audience')).toMatch(/an audience is/);
    expect(problemAt({ ...taxi(), audience: {} }, 'audience')).toMatch(/names no audience/);
    expect(problemAt({ ...taxi(), audience: { all: true, audience_id: 'aud_1' } }, 'audience')).toMatch(
      /gives "all" and "audience_id"; give exactly one/,
    );
    expect(problemAt({ ...taxi(), audience: { audience_id: 'vip' } }, 'audience.audience_id')).toMatch(
      /aud_…/,
    );
    expect(problemAt({ ...taxi(), audience: { all: false } }, 'audience.all')).toMatch(/must be true/);
    // The audience rules' own paths come through, under "audience".
    expect(
      problemAt(
        { ...taxi(), audience: { filter: { tags: { all: ['a|b'] } } } },
        'audience.filter.tags.all[0]',
      ),
    ).toMatch(/separate tags/);
    expect(
      problemAt({ ...taxi(), audience: { list: { contacts: ['ctc_1', ''] } } }, 'audience.list.contacts[1]'),
    ).toMatch(/contact id/);
    expect(
      problemAt(
        { ...taxi(), audience: { list: { contacts: new Array(10_001).fill('ctc_1') } } },
        'audience.list.contacts',
      ),
    ).toMatch(/at most 10000/);
  });

  it('schedule is only required to be an object', () => {
    expect(problemAt({ ...taxi(), schedule: 'monday' }, 'schedule')).toMatch(/\{at\?, local_time\?/);
    const passed = parseCampaignDefinition({ ...taxi(), schedule: { whatever: 1 } });
    expect(passed.ok && passed.value.schedule).toEqual({ whatever: 1 });
  });

  it('pace', () => {
    expect(problemAt({ ...taxi(), pace: 0 }, 'pace')).toMatch(/messages per second, a number from 1 to 1000/);
    expect(problemAt({ ...taxi(), pace: 1001 }, 'pace')).toMatch(/1 to 1000/);
    expect(problemAt({ ...taxi(), pace: '20' }, 'pace')).toMatch(/got the string "20"/);
    expect(problemAt({ ...taxi(), pace: Number.POSITIVE_INFINITY }, 'pace')).toMatch(/1 to 1000/);
    const ok = (pace: number) => {
      const r = parseCampaignDefinition({ ...taxi(), pace });
      return r.ok && r.value.pacePerSecond;
    };
    expect([ok(1), ok(1000), ok(2.5)]).toEqual([1, 1000, 2.5]);
  });

  it('frequency_cap_hours', () => {
    expect(problemAt({ ...taxi(), frequency_cap_hours: -1 }, 'frequency_cap_hours')).toMatch(
      /0 \(no cap\) to 720/,
    );
    expect(problemAt({ ...taxi(), frequency_cap_hours: 721 }, 'frequency_cap_hours')).toMatch(/to 720/);
    expect(problemAt({ ...taxi(), frequency_cap_hours: 1.5 }, 'frequency_cap_hours')).toMatch(/whole hours/);
    const r = parseCampaignDefinition({ ...taxi(), frequency_cap_hours: 720 });
    expect(r.ok && r.value.frequencyCapHours).toBe(720);
  });

  it('category', () => {
    expect(problemAt({ ...taxi(), category: 'AUTHENTICATION' }, 'category')).toMatch(/one by one/);
    expect(problemAt({ ...taxi(), category: 'promo' }, 'category')).toMatch(/"MARKETING" or "UTILITY"/);
    const r = parseCampaignDefinition({ ...taxi(), category: 'Marketing' });
    expect(r.ok && r.value.category).toBe('MARKETING');
  });

  it('metadata', () => {
    expect(problemAt({ ...taxi(), metadata: ['x'] }, 'metadata')).toMatch(/must be an object/);
    expect(problemAt({ ...taxi(), metadata: { nested: { a: 1 } } }, 'metadata.nested')).toMatch(
      /metadata is flat/,
    );
    expect(problemAt({ ...taxi(), metadata: { list: [1] } }, 'metadata.list')).toMatch(/metadata is flat/);
    expect(problemAt({ ...taxi(), metadata: { campaign_id: 'x' } }, 'metadata.campaign_id')).toMatch(
      /Recontact's \(it adds campaign_id itself\)/,
    );
    expect(problemAt({ ...taxi(), metadata: { n: Number.NaN } }, 'metadata.n')).toMatch(/finite number/);
    expect(problemAt({ ...taxi(), metadata: { ['k'.repeat(65)]: 1 } }, `metadata.${'k'.repeat(65)}`)).toMatch(
      /1 to 64 characters/,
    );
    expect(problemAt({ ...taxi(), metadata: { c: { attribute: 'phone' } } }, 'metadata.c.attribute')).toMatch(
      /\{"field": "phone"\}/,
    );
    expect(problemAt({ ...taxi(), metadata: { c: { field: 'wa_id' } } }, 'metadata.c.field')).toMatch(
      /must be one of/,
    );
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i]));
    expect(problemAt({ ...taxi(), metadata: many }, 'metadata')).toMatch(/51 keys; at most 50/);
    // The limit keeps room for campaign_id: 4,000 bytes fit a message, not a campaign message.
    expect(problemAt({ ...taxi(), metadata: { blob: 'x'.repeat(4000) } }, 'metadata')).toMatch(
      /at most 3968 \(4096 less room for campaign_id\)/,
    );
    expect(parseCampaignDefinition({ ...taxi(), metadata: { blob: 'x'.repeat(3900) } }).ok).toBe(true);
    // A metadata value is not shown to anyone: line breaks are fine there.
    expect(parseCampaignDefinition({ ...taxi(), metadata: { note: 'a\nb' } }).ok).toBe(true);
  });
});

describe('textProblem', () => {
  it('counts characters as people see them', () => {
    expect(textProblem('🚕'.repeat(60), 'header_text')).toBeUndefined();
    expect(textProblem('🚕'.repeat(61), 'header_text')).toBe('is 61 characters long; the limit is 60');
    expect(textProblem('', 'metadata')).toBeUndefined();
    expect(textProblem(' ', 'payload')).toBe('is empty');
  });
});
