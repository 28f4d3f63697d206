import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { countryOfPhone } from '../phone';
import { estimateCost, formatMicros, parseRateCard, priceOf, type RateCard, toMicros } from './rate-card';

const EFFECTIVE = Date.UTC(2026, 9, 1); // 2026-10-01T00:00Z
const NOV_30 = Date.UTC(2026, 10, 30, 12);

function rawCard(): Record<string, unknown> {
  return {
    currency: 'USD',
    effective_from: '2026-10-01',
    sources: [
      { id: 'meta', url: 'https://developers.facebook.com/docs/whatsapp/pricing', retrieved: '2026-10-09' },
    ],
    markets: {
      Argentina: {
        marketing: 0.0618,
        utility: 0.026,
        authentication: 0.026,
        service: 0.026,
        sources: ['meta'],
      },
      Nigeria: {
        marketing: 0.0516,
        utility: 0.0067,
        authentication: 0.0067,
        authentication_international: 0.075,
      },
      'Rest of Latin America': { marketing: 0.074, utility: 0.0113, authentication: 0.0113 },
      'North America': { marketing: 0.025, utility: 0.0034, authentication: 0.0034 },
      Other: { marketing: 0.0604, utility: 0.0077, authentication: 0.0077 },
    },
    countries: {
      AR: 'Argentina',
      NG: 'Nigeria',
      UY: 'Rest of Latin America',
      PY: 'Rest of Latin America',
      PR: 'Rest of Latin America',
      US: 'North America',
      CA: 'North America',
    },
  };
}

function card(overrides: Record<string, unknown> = {}): RateCard {
  const parsed = parseRateCard({ ...rawCard(), ...overrides });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.value;
}

function problemsOf(input: unknown): Array<{ path: string; message: string }> {
  const parsed = parseRateCard(input);
  if (parsed.ok) throw new Error('expected problems');
  return parsed.problems;
}

function paths(input: unknown): string[] {
  return problemsOf(input).map((p) => p.path);
}

describe('parseRateCard', () => {
  it('reads a valid card, keeping prices as integer micro-dollars', () => {
    const c = card();
    expect(c.currency).toBe('USD');
    expect(c.effectiveFrom).toBe('2026-10-01');
    expect(c.effectiveFromMs).toBe(EFFECTIVE);
    expect(c.markets.get('Argentina')).toEqual({
      marketing: 61_800,
      utility: 26_000,
      authentication: 26_000,
      authenticationInternational: null,
      service: 26_000,
      sources: ['meta'],
    });
    expect(c.markets.get('Nigeria')?.authenticationInternational).toBe(75_000);
    expect(c.countries.get('UY')).toBe('Rest of Latin America');
    expect(c.freeInsideWindow.size).toBe(0);
    expect(c.sources[0]).toMatchObject({ id: 'meta', retrieved: '2026-10-09', title: null });
  });

  it('refuses what is not an object', () => {
    for (const input of [null, [], 'card', 3]) {
      expect(paths(input)).toEqual(['$']);
    }
  });

  it('names the currency, the date and the sources when they are wrong', () => {
    expect(paths({ ...rawCard(), currency: 'EUR' })).toEqual(['currency']);
    expect(problemsOf({ ...rawCard(), currency: 'EUR' })[0]?.message).toContain('"EUR"');
    const { currency: _c, ...noCurrency } = rawCard();
    expect(problemsOf(noCurrency)[0]?.message).toContain('missing');
    expect(paths({ ...rawCard(), effective_from: '2026-02-30' })).toEqual(['effective_from']);
    expect(paths({ ...rawCard(), effective_from: '1 Oct 2026' })).toEqual(['effective_from']);
    expect(paths({ ...rawCard(), retrieved: '2026-13-01' })).toEqual(['retrieved']);
    expect(paths({ ...rawCard(), sources: [] })).toEqual(['sources']);
    expect(problemsOf({ ...rawCard(), sources: [] })[0]?.message).toMatch(/^is empty; /);
    expect(paths({ ...rawCard(), sources: 'https://meta' })).toEqual(['sources']);
  });

  it('checks each source: id, url, dates, unknown keys, duplicates', () => {
    const sources = [
      { id: 'meta', url: 'https://a.example' },
      { id: 'meta', url: 'ftp://b.example' },
      { id: 'has space', url: 'https://c.example', retrieved: 'yesterday', author: 'x' },
      'https://d.example',
    ];
    expect(paths({ ...rawCard(), sources })).toEqual([
      'sources[1].id',
      'sources[1].url',
      'sources[2].author',
      'sources[2].id',
      'sources[2].retrieved',
      'sources[3]',
    ]);
  });

  it('names each bad price by its market and category, with how to fix it', () => {
    const markets = {
      ...(rawCard().markets as object),
      Argentina: { marketing: -0.01, utility: '0.026', authentication: 0.0000001 },
      Chile: { marketing: 8.89, utility: 0.02 },
      Peru: { marketing: 0.0703, utility: 0.03, authentication: 0.03, marketting: 0.07 },
    };
    const problems = problemsOf({ ...rawCard(), markets });
    expect(problems.map((p) => p.path)).toEqual([
      'markets.Argentina.marketing',
      'markets.Argentina.utility',
      'markets.Argentina.authentication',
      'markets.Chile.marketing',
      'markets.Chile.authentication',
      'markets.Peru.marketting',
    ]);
    expect(problems[0]?.message).toContain('≥ 0 with at most 6 decimals');
    expect(problems[3]?.message).toContain('not cents');
    expect(problems[4]?.message).toContain('missing');
  });

  it('accepts exactly 6 decimals and 1 USD, refuses 7 decimals and more than 1 USD', () => {
    const markets = (extra: object) => ({ ...(rawCard().markets as object), Test: extra });
    expect(
      parseRateCard({
        ...rawCard(),
        markets: markets({ marketing: 1, utility: 0.000001, authentication: 0 }),
      }).ok,
    ).toBe(true);
    expect(
      paths({ ...rawCard(), markets: markets({ marketing: 1.000001, utility: 0, authentication: 0 }) }),
    ).toEqual(['markets.Test.marketing']);
  });

  it('requires the Other market', () => {
    const { Other: _o, ...markets } = rawCard().markets as Record<string, unknown>;
    const problems = problemsOf({ ...rawCard(), markets });
    expect(problems).toEqual([{ path: 'markets.Other', message: expect.stringContaining('"Other"') }]);
  });

  it('checks that a market cites sources the card has', () => {
    const markets = {
      ...(rawCard().markets as object),
      Other: { marketing: 0.06, utility: 0.0077, authentication: 0.0077, sources: ['meta', 'bsp'] },
    };
    const problems = problemsOf({ ...rawCard(), markets });
    expect(problems.map((p) => p.path)).toEqual(['markets.Other.sources[1]']);
    expect(problems[0]?.message).toContain('"bsp"');
  });

  it('checks countries: alpha-2 in capitals, mapped to a market the card has', () => {
    const countries = { AR: 'Argentina', ar: 'Argentina', ARG: 'Argentina', UY: 'Rest of Latam', US: 7 };
    const problems = problemsOf({ ...rawCard(), countries });
    expect(problems.map((p) => p.path)).toEqual([
      'countries.ar',
      'countries.ARG',
      'countries.UY',
      'countries.US',
    ]);
    expect(problems[2]?.message).toContain('"Rest of Latam" is not one of the card\'s markets');
  });

  it('does not report a country twice when its market is written but invalid', () => {
    const markets = {
      ...(rawCard().markets as object),
      Argentina: { marketing: 'x', utility: 0.026, authentication: 0.026 },
    };
    expect(paths({ ...rawCard(), markets })).toEqual(['markets.Argentina.marketing']);
  });

  it('reads free_inside_window and refuses unknown categories', () => {
    expect([...card({ free_inside_window: ['utility'] }).freeInsideWindow]).toEqual(['utility']);
    expect(paths({ ...rawCard(), free_inside_window: ['utilities'] })).toEqual(['free_inside_window']);
    expect(paths({ ...rawCard(), free_inside_window: 'utility' })).toEqual(['free_inside_window']);
  });

  it('flags unknown top-level keys but lets comments through', () => {
    expect(paths({ ...rawCard(), efective_from: '2026-10-01' })).toEqual(['efective_from']);
    expect(parseRateCard({ ...rawCard(), _comment: 'from Meta', $schema: 'x' }).ok).toBe(true);
  });

  it('reports every problem at once', () => {
    expect(paths({ currency: 'USD' })).toEqual(['effective_from', 'sources', 'markets', 'countries']);
  });
});

describe('toMicros and formatMicros', () => {
  it('turns decimal dollars into exact micro-dollars', () => {
    expect(toMicros(0.0618)).toBe(61_800);
    expect(toMicros(0.1597)).toBe(159_700);
    expect(toMicros(0.000001)).toBe(1);
    expect(toMicros(0)).toBe(0);
    expect(toMicros(0.1 + 0.2)).toBeNull();
    expect(toMicros(-0.01)).toBeNull();
    expect(toMicros(Number.NaN)).toBeNull();
    expect(toMicros(Number.POSITIVE_INFINITY)).toBeNull();
  });

  it('writes as many decimals as needed and at least two', () => {
    expect(formatMicros(0)).toBe('0.00');
    expect(formatMicros(61_800)).toBe('0.0618');
    expect(formatMicros(1)).toBe('0.000001');
    expect(formatMicros(10)).toBe('0.00001');
    expect(formatMicros(12_360_000)).toBe('12.36');
    expect(formatMicros(61_800_000_000)).toBe('61800.00');
    expect(formatMicros(-500_000)).toBe('-0.50');
    expect(() => formatMicros(0.5)).toThrow(RangeError);
  });
});

describe('priceOf', () => {
  const c = card();

  it('prices a listed country at its market', () => {
    expect(priceOf(c, 'AR', 'marketing')).toEqual({
      market: 'Argentina',
      country: 'AR',
      countryListed: true,
      category: 'marketing',
      billedAs: 'marketing',
      micros: 61_800,
      usd: '0.0618',
    });
    expect(priceOf(c, 'UY', 'utility')).toMatchObject({ market: 'Rest of Latin America', micros: 11_300 });
    expect(priceOf(c, 'CA', 'authentication')).toMatchObject({ market: 'North America', micros: 3_400 });
  });

  it('normalises the country code it is given', () => {
    expect(priceOf(c, ' ar ', 'marketing')).toMatchObject({ market: 'Argentina', country: 'AR' });
  });

  it('prices an unlisted, unknown or empty country at Other', () => {
    expect(priceOf(c, 'ZZ', 'marketing')).toMatchObject({
      market: 'Other',
      country: 'ZZ',
      countryListed: false,
      micros: 60_400,
    });
    expect(priceOf(c, null, 'utility')).toMatchObject({
      market: 'Other',
      country: null,
      countryListed: false,
      micros: 7_700,
    });
    expect(priceOf(c, '', 'utility')).toMatchObject({ market: 'Other', country: null });
  });

  it('uses authentication_international where the market has it, else the authentication rate', () => {
    expect(priceOf(c, 'NG', 'authentication_international')).toMatchObject({
      billedAs: 'authentication_international',
      micros: 75_000,
    });
    expect(priceOf(c, 'AR', 'authentication_international')).toMatchObject({
      billedAs: 'authentication',
      micros: 26_000,
    });
  });

  it('uses the service price where given, else the utility rate', () => {
    expect(priceOf(c, 'AR', 'service')).toMatchObject({ billedAs: 'service', micros: 26_000 });
    expect(priceOf(c, 'NG', 'service')).toMatchObject({ billedAs: 'utility', micros: 6_700 });
  });

  it('takes the country from a phone number through countryOfPhone', () => {
    const marketOf = (e164: string) => priceOf(c, countryOfPhone(e164) ?? null, 'marketing').market;
    expect(marketOf('+5491155551234')).toBe('Argentina');
    expect(marketOf('+12125550123')).toBe('North America');
    expect(marketOf('+14165550123')).toBe('North America');
    // +1 787 is Puerto Rico: Meta prices it as Rest of Latin America, not North America.
    expect(marketOf('+17872345678')).toBe('Rest of Latin America');
    // +1 242 is the Bahamas, which this card does not list.
    expect(marketOf('+12423571234')).toBe('Other');
  });
});

describe('estimateCost', () => {
  const c = card();

  it('is exact for a million recipients, where adding floats drifts', () => {
    const e = estimateCost(c, [{ country: 'AR', category: 'marketing', n: 1_000_000 }], NOV_30);
    expect(e.micros).toBe(61_800_000_000);
    expect(e.usd).toBe('61800.00');
    expect(e.messages).toBe(1_000_000);
    expect(e.charged).toBe(1_000_000);
    let float = 0;
    for (let i = 0; i < 1_000_000; i++) float += 0.0618;
    expect(float).not.toBe(61_800);
  });

  it('stays exact across many lines summed per market and category', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => ({
      country: i % 2 ? 'UY' : 'PY',
      category: 'marketing' as const,
      n: 1000,
    }));
    const e = estimateCost(c, lines, NOV_30);
    expect(e.byMarket).toHaveLength(1);
    expect(e.byMarket[0]).toMatchObject({
      market: 'Rest of Latin America',
      messages: 1_000_000,
      usd: '74000.00',
    });
    expect(e.micros).toBe(74_000 * 1_000_000);
  });

  it('breaks the total down by market, dearest first, and by category', () => {
    const e = estimateCost(
      c,
      [
        { country: 'US', category: 'marketing', n: 10 },
        { country: 'AR', category: 'utility', n: 100 },
        { country: 'AR', category: 'marketing', n: 100 },
        { country: 'ar', category: 'marketing', n: 50 },
        { country: 'NG', category: 'authentication', n: 0 },
      ],
      NOV_30,
    );
    expect(e.byMarket.map((m) => [m.market, m.usd])).toEqual([
      ['Argentina', '11.87'],
      ['North America', '0.25'],
    ]);
    expect(e.byMarket[0]?.byCategory).toEqual([
      {
        category: 'marketing',
        billedAs: 'marketing',
        unitMicros: 61_800,
        unit: '0.0618',
        messages: 150,
        charged: 150,
        micros: 9_270_000,
        usd: '9.27',
      },
      {
        category: 'utility',
        billedAs: 'utility',
        unitMicros: 26_000,
        unit: '0.026',
        messages: 100,
        charged: 100,
        micros: 2_600_000,
        usd: '2.60',
      },
    ]);
    expect(e).toMatchObject({ messages: 260, charged: 260, micros: 12_120_000, usd: '12.12', notes: [] });
  });

  it('charges utility inside the window under a card that does not free it', () => {
    const e = estimateCost(c, [{ country: 'AR', category: 'utility', n: 10, insideWindow: 4 }], NOV_30);
    expect(e).toMatchObject({ charged: 10, usd: '0.26' });
    expect(e.notes.map((n) => n.code)).not.toContain('free_inside_window');
  });

  it('frees only the categories the card frees inside the window', () => {
    const old = card({ free_inside_window: ['utility'] });
    const e = estimateCost(
      old,
      [
        { country: 'AR', category: 'utility', n: 10, insideWindow: 4 },
        { country: 'AR', category: 'marketing', n: 10, insideWindow: 10 },
      ],
      NOV_30,
    );
    expect(e.byMarket[0]?.byCategory.map((l) => [l.category, l.messages, l.charged])).toEqual([
      ['marketing', 10, 10],
      ['utility', 10, 6],
    ]);
    expect(e).toMatchObject({ messages: 20, charged: 16, micros: 10 * 61_800 + 6 * 26_000 });
    expect(e.notes).toEqual([
      { code: 'free_inside_window', message: expect.stringContaining('4 message(s)') },
    ]);
  });

  it('says when the card is not yet in effect or older than a year', () => {
    const codes = (at: number) => estimateCost(c, [], at).notes.map((n) => n.code);
    expect(codes(EFFECTIVE - 1)).toEqual(['card_not_yet_effective']);
    expect(codes(EFFECTIVE)).toEqual([]);
    expect(codes(Date.UTC(2027, 9, 1) - 1)).toEqual([]);
    expect(codes(Date.UTC(2027, 9, 1))).toEqual(['card_stale']);
    expect(estimateCost(c, [], Date.UTC(2027, 9, 1)).notes[0]?.message).toContain('365 days');
  });

  it('counts a year from a leap day to 1 March', () => {
    const leap = card({ effective_from: '2024-02-29' });
    const codes = (at: number) => estimateCost(leap, [], at).notes.map((n) => n.code);
    expect(codes(Date.UTC(2025, 1, 28, 23, 59))).toEqual([]);
    expect(codes(Date.UTC(2025, 2, 1))).toEqual(['card_stale']);
  });

  it('says how many messages went to Other because the country was unlisted or unknown', () => {
    const e = estimateCost(
      c,
      [
        { country: 'BS', category: 'marketing', n: 3 },
        { country: 'JP', category: 'marketing', n: 2 },
        { country: null, category: 'marketing', n: 5 },
        { country: 'AR', category: 'marketing', n: 7 },
      ],
      NOV_30,
    );
    expect(e.byMarket.map((m) => [m.market, m.messages])).toEqual([
      ['Other', 10],
      ['Argentina', 7],
    ]);
    expect(e.notes).toEqual([
      {
        code: 'country_not_listed',
        message:
          '5 message(s) to countries the card does not list (BS, JP) and 5 message(s) to recipients whose country is unknown are priced at the Other rate',
      },
    ]);
  });

  it('says which markets had authentication_international or service priced by fallback', () => {
    const e = estimateCost(
      c,
      [
        { country: 'AR', category: 'authentication_international', n: 1 },
        { country: 'NG', category: 'authentication_international', n: 1 },
        { country: 'NG', category: 'service', n: 2 },
        { country: 'AR', category: 'service', n: 1 },
      ],
      NOV_30,
    );
    const byCode = Object.fromEntries(e.notes.map((n) => [n.code, n.message]));
    expect(byCode.authentication_international_as_authentication).toContain('for Argentina;');
    expect(byCode.service_as_utility).toContain('for Nigeria;');
    expect(byCode.service_free_tier_not_applied).toContain('3 service message(s)');
    expect(e.micros).toBe(26_000 + 75_000 + 2 * 6_700 + 26_000);
  });

  it('is zero for no recipients', () => {
    expect(estimateCost(c, [], NOV_30)).toEqual({
      currency: 'USD',
      cardEffectiveFrom: '2026-10-01',
      messages: 0,
      charged: 0,
      micros: 0,
      usd: '0.00',
      byMarket: [],
      notes: [],
    });
  });

  it('throws on counts that are a programming error, naming the line', () => {
    const bad = (line: object) => () =>
      estimateCost(c, [{ country: 'AR', category: 'marketing', n: 1 }, line as never], NOV_30);
    expect(bad({ country: 'AR', category: 'marketing', n: -1 })).toThrow('counts[1].n');
    expect(bad({ country: 'AR', category: 'marketing', n: 1.5 })).toThrow('counts[1].n');
    expect(bad({ country: 'AR', category: 'marketing', n: Number.NaN })).toThrow(RangeError);
    expect(bad({ country: 'AR', category: 'marketing', n: 2, insideWindow: 3 })).toThrow(
      'counts[1].insideWindow',
    );
    expect(bad({ country: 'AR', category: 'marketing', n: 2, insideWindow: -1 })).toThrow(
      'counts[1].insideWindow',
    );
    expect(bad({ country: 'AR', category: 'promo', n: 2 })).toThrow('counts[1].category');
  });

  it('refuses a total it could not count exactly', () => {
    const huge = Math.floor(Number.MAX_SAFE_INTEGER / 10_000);
    expect(() => estimateCost(c, [{ country: 'AR', category: 'marketing', n: huge }], NOV_30)).toThrow(
      'counted exactly',
    );
  });
});

describe('the shipped card rate-cards/meta-whatsapp-2026-10.json', () => {
  const raw = JSON.parse(
    readFileSync(new URL('../../../rate-cards/meta-whatsapp-2026-10.json', import.meta.url), 'utf8'),
  ) as unknown;
  const parsed = parseRateCard(raw);

  it('parses without problems', () => {
    expect(parsed.ok ? [] : parsed.problems).toEqual([]);
  });

  const shipped = parsed.ok ? parsed.value : card();

  it('is the USD card effective 2026-10-01, charging utility inside the window', () => {
    expect(shipped.effectiveFrom).toBe('2026-10-01');
    expect(shipped.currency).toBe('USD');
    expect(shipped.freeInsideWindow.size).toBe(0);
    expect(shipped.markets.size).toBe(47);
  });

  it('says where every market came from', () => {
    const ids = new Set(shipped.sources.map((s) => s.id));
    for (const [market, rates] of shipped.markets) {
      expect(rates.sources.length, market).toBeGreaterThan(0);
      for (const id of rates.sources) expect(ids.has(id), `${market}: ${id}`).toBe(true);
    }
    for (const s of shipped.sources) {
      expect(s.url).toMatch(/^https:\/\//);
      expect(s.retrieved ?? s.effective).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('maps countries to markets as Meta does from October 2026', () => {
    const market = (country: string | null) => priceOf(shipped, country, 'marketing').market;
    expect(market('AR')).toBe('Argentina');
    expect(market('US')).toBe('North America');
    expect(market('CA')).toBe('North America');
    expect(market('UY')).toBe('Rest of Latin America');
    expect(market('PR')).toBe('Rest of Latin America');
    expect(market('DO')).toBe('Rest of Latin America');
    expect(market('PT')).toBe('Rest of Western Europe');
    expect(market('RS')).toBe('Rest of Central & Eastern Europe');
    expect(market('KE')).toBe('Rest of Africa');
    expect(market('AU')).toBe('Rest of Asia Pacific');
    expect(market('JO')).toBe('Rest of Middle East');
    // Moved out of their regions on 2026-10-01.
    expect(market('MA')).toBe('Morocco');
    expect(market('UA')).toBe('Ukraine');
    expect(market('BD')).toBe('Bangladesh');
    expect(market('KW')).toBe('Kuwait');
    expect(market('KZ')).toBe('Kazakhstan');
    // Not listed by Meta.
    expect(market('BS')).toBe('Other');
    expect(market(null)).toBe('Other');
  });

  it('has the published figures for a few markets', () => {
    expect(priceOf(shipped, 'AR', 'marketing').usd).toBe('0.0618');
    expect(priceOf(shipped, 'AR', 'utility').usd).toBe('0.026');
    expect(priceOf(shipped, 'BR', 'marketing').usd).toBe('0.0625');
    expect(priceOf(shipped, 'CO', 'utility').usd).toBe('0.0008');
    expect(priceOf(shipped, 'MX', 'marketing').usd).toBe('0.0397');
    expect(priceOf(shipped, 'US', 'utility').usd).toBe('0.0034');
    expect(priceOf(shipped, 'UY', 'marketing').usd).toBe('0.074');
    expect(priceOf(shipped, 'MA', 'authentication_international').usd).toBe('0.0811');
    expect(priceOf(shipped, 'ZZ', 'marketing').usd).toBe('0.0604');
  });

  it('prices service at utility in every market, as Meta does from October 2026', () => {
    for (const [market, rates] of shipped.markets) expect(rates.service, market).toBe(rates.utility);
  });
});
