/**
 * What a campaign will cost before it is launched: a rate card (Meta's price per delivered
 * message, by recipient market and pricing category) read from a JSON file a user can replace,
 * and the estimate for a plan's counts. Pure: the file is read elsewhere, the clock is passed in.
 *
 * The card's shape (rate-cards/README.md):
 *
 *   { "currency": "USD", "effective_from": "2026-10-01",
 *     "sources": [{"id": "meta", "url": "https://…", "retrieved": "2026-10-09"}],
 *     "markets": {"Argentina": {"marketing": 0.0618, "utility": 0.026, "authentication": 0.026,
 *                               "authentication_international": 0.05, "service": 0.026,
 *                               "sources": ["meta"]}, …, "Other": {…}},
 *     "countries": {"AR": "Argentina", "US": "North America", …},
 *     "free_inside_window": [] }
 *
 * Rules:
 * - Meta prices by the recipient's country (its calling code); a country the card does not list,
 *   or an unknown one, is charged the "Other" market, which every card must have. Callers that
 *   hold a phone number get the country from countryOfPhone (../phone).
 * - Money is exact: prices are kept as integer micro-dollars (a price has at most 6 decimals),
 *   sums are integers, and amounts leave as `micros` (integer) beside `usd`, a decimal string
 *   with as many decimals as needed and at least 2 ("12.36", "0.0618"). No float ever carries a
 *   total, so a million recipients cost exactly a million times the unit price.
 * - A market without an authentication_international figure is priced at its authentication rate
 *   (Meta's rule for markets without one); without a service figure, at its utility rate (Meta
 *   bills service messages at the utility rate from 2026-10-01). Both are reported as `billedAs`
 *   and, in an estimate, as notes, because for some markets the figure is simply missing.
 * - `free_inside_window` lists the categories Meta does not charge inside an open customer
 *   service window (utility from 2025-07-01 to 2026-09-30; nothing from 2026-10-01).
 * - List prices only: volume tiers, free entry point windows and the monthly free service
 *   allowance are not modelled, so an estimate is an upper bound for what they discount.
 */
import { isRecord as isObject, typeName } from '../input-words';
import { isoTime } from '../iso-time';

export const PRICING_CATEGORIES = [
  'marketing',
  'utility',
  'authentication',
  'authentication_international',
  'service',
] as const;
export type PricingCategory = (typeof PRICING_CATEGORIES)[number];

/** The market every card must have: Meta's price for any country it does not list. */
export const DEFAULT_MARKET = 'Other';
export const CARD_CURRENCY = 'USD';

const MICROS_PER_USD = 1_000_000;
/** Meta's dearest price is about 0.16 USD; a figure above 1 USD is a unit mistake (cents?). */
const MAX_PRICE_MICROS = MICROS_PER_USD;
const MAX_NAME = 64;
const DAY_MS = 86_400_000;

export interface RateCardSource {
  id: string;
  url: string;
  title: string | null;
  /** "YYYY-MM-DD" the figures took effect, as the source says. */
  effective: string | null;
  /** "YYYY-MM-DD" the source was read. */
  retrieved: string | null;
  note: string | null;
}

/** Prices in micro-dollars per delivered message. */
export interface MarketRates {
  marketing: number;
  utility: number;
  authentication: number;
  authenticationInternational: number | null;
  service: number | null;
  /** Ids of the card's sources these figures came from. */
  sources: string[];
}

export interface RateCard {
  name: string | null;
  currency: typeof CARD_CURRENCY;
  /** "YYYY-MM-DD"; the card applies from 00:00 UTC that day (Meta: 00:00 in the account's zone). */
  effectiveFrom: string;
  effectiveFromMs: number;
  retrieved: string | null;
  sources: RateCardSource[];
  markets: ReadonlyMap<string, MarketRates>;
  /** ISO 3166 alpha-2 → market name. */
  countries: ReadonlyMap<string, string>;
  freeInsideWindow: ReadonlySet<PricingCategory>;
  notes: string[];
}

export interface Problem {
  path: string;
  message: string;
}

export type CheckedRateCard = { ok: true; value: RateCard } | { ok: false; problems: Problem[] };

const TOP_KEYS = [
  'name',
  'currency',
  'effective_from',
  'retrieved',
  'sources',
  'markets',
  'countries',
  'free_inside_window',
  'notes',
];
const SOURCE_KEYS = ['id', 'url', 'title', 'effective', 'retrieved', 'note'];
const MARKET_KEYS = [...PRICING_CATEGORIES, 'sources'];
const REQUIRED_PRICES = ['marketing', 'utility', 'authentication'] as const;
const COUNTRY = /^[A-Z]{2}$/;
const SOURCE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Reads a rate card as JSON.parse gives it. Every problem is named by its path
 * ("markets.Argentina.utility") and says how to fix it; nothing throws for bad input.
 */
export function parseRateCard(json: unknown): CheckedRateCard {
  if (!isObject(json)) {
    return {
      ok: false,
      problems: [
        {
          path: '$',
          message: `a rate card is a JSON object {"currency", "effective_from", "sources", "markets", "countries"}, not ${typeName(json)}`,
        },
      ],
    };
  }
  const problems: Problem[] = [];
  for (const key of Object.keys(json)) {
    // "_comment" and "$schema" style keys are for people reading the file.
    if (!TOP_KEYS.includes(key) && !/^[_$]/.test(key)) {
      problems.push({ path: key, message: `unknown key; a rate card has ${TOP_KEYS.join(', ')}` });
    }
  }

  const name = optionalText(json.name, 'name', problems);
  if (json.currency !== CARD_CURRENCY) {
    problems.push({
      path: 'currency',
      message: `must be "${CARD_CURRENCY}" (${json.currency === undefined ? 'missing' : `got ${show(json.currency)}`}): Recontact reads Meta's USD card; convert another currency's card to USD first`,
    });
  }
  const effectiveFrom = requiredDate(json.effective_from, 'effective_from', problems);
  const retrieved = json.retrieved === undefined ? null : requiredDate(json.retrieved, 'retrieved', problems);
  const sources = parseSources(json.sources, problems);
  // With no valid list of sources, a market's citations cannot be checked: one problem, not many.
  const sourceIds = sources.length > 0 ? new Set(sources.map((s) => s.id)) : null;
  const markets = parseMarkets(json.markets, sourceIds, problems);
  const countries = parseCountries(json.countries, isObject(json.markets) ? json.markets : null, problems);
  const freeInsideWindow = parseFreeInsideWindow(json.free_inside_window, problems);
  const notes = parseNotes(json.notes, problems);

  if (problems.length > 0 || effectiveFrom === null || markets === null || countries === null) {
    return { ok: false, problems };
  }
  return {
    ok: true,
    value: {
      name,
      currency: CARD_CURRENCY,
      effectiveFrom,
      effectiveFromMs: dateMs(effectiveFrom),
      retrieved,
      sources,
      markets,
      countries,
      freeInsideWindow,
      notes,
    },
  };
}

export interface UnitPrice {
  market: string;
  /** The country as looked up (upper-cased), or null when none was given. */
  country: string | null;
  /** False when the country is missing or not in the card, and "Other" was used. */
  countryListed: boolean;
  category: PricingCategory;
  /** The card's column actually used: differs from `category` on a fallback (see the header). */
  billedAs: PricingCategory;
  micros: number;
  usd: string;
}

/** The price of one delivered message of `category` to a recipient in `country` (ISO alpha-2). */
export function priceOf(card: RateCard, country: string | null, category: PricingCategory): UnitPrice {
  const code = country === null ? null : country.trim().toUpperCase();
  const listed = code === null ? undefined : card.countries.get(code);
  const market = listed ?? DEFAULT_MARKET;
  // parseRateCard guarantees every country's market and "Other" exist.
  const rates = card.markets.get(market)!;
  let billedAs: PricingCategory = category;
  let micros: number;
  switch (category) {
    case 'marketing':
    case 'utility':
    case 'authentication':
      micros = rates[category];
      break;
    case 'authentication_international':
      if (rates.authenticationInternational === null) {
        billedAs = 'authentication';
        micros = rates.authentication;
      } else {
        micros = rates.authenticationInternational;
      }
      break;
    case 'service':
      if (rates.service === null) {
        billedAs = 'utility';
        micros = rates.utility;
      } else {
        micros = rates.service;
      }
      break;
  }
  return {
    market,
    country: code === '' ? null : code,
    countryListed: listed !== undefined,
    category,
    billedAs,
    micros,
    usd: formatMicros(micros),
  };
}

export interface CountLine {
  /** ISO 3166 alpha-2; null when the recipient's country is unknown. */
  country: string | null;
  category: PricingCategory;
  /** Messages expected to be delivered. */
  n: number;
  /** Of those, how many go inside an open customer service window (default 0). */
  insideWindow?: number;
}

export interface CategoryCost {
  category: PricingCategory;
  billedAs: PricingCategory;
  unitMicros: number;
  unit: string;
  messages: number;
  /** Messages charged: `messages` less those free inside an open window. */
  charged: number;
  micros: number;
  usd: string;
}

export interface MarketCost {
  market: string;
  messages: number;
  charged: number;
  micros: number;
  usd: string;
  byCategory: CategoryCost[];
}

export type EstimateNoteCode =
  | 'card_not_yet_effective'
  | 'card_stale'
  | 'country_not_listed'
  | 'authentication_international_as_authentication'
  | 'service_as_utility'
  | 'service_free_tier_not_applied'
  | 'free_inside_window';

export interface EstimateNote {
  code: EstimateNoteCode;
  message: string;
}

export interface CostEstimate {
  currency: typeof CARD_CURRENCY;
  cardEffectiveFrom: string;
  messages: number;
  charged: number;
  micros: number;
  usd: string;
  /** Dearest market first; within one, categories in PRICING_CATEGORIES order. */
  byMarket: MarketCost[];
  notes: EstimateNote[];
}

/**
 * The estimated cost of delivering `counts` at time `at` (epoch ms), at the card's list prices.
 * Lines may repeat a country or a market; they are summed. A line with a count that is not a
 * whole number ≥ 0, or an insideWindow above its n, is a programming error and throws a
 * RangeError naming it ("counts[3].insideWindow").
 */
export function estimateCost(card: RateCard, counts: readonly CountLine[], at: number): CostEstimate {
  const markets = new Map<string, Map<PricingCategory, CategoryCost>>();
  const notListed = new Map<string, number>();
  let unknownCountry = 0;
  const authAsDomestic = new Set<string>();
  const serviceAsUtility = new Set<string>();
  let serviceMessages = 0;
  let freedInsideWindow = 0;

  counts.forEach((line, i) => {
    const n = wholeCount(line.n, `counts[${i}].n`);
    const inside =
      line.insideWindow === undefined ? 0 : wholeCount(line.insideWindow, `counts[${i}].insideWindow`);
    if (inside > n) {
      throw new RangeError(`counts[${i}].insideWindow is ${inside}, more than its n (${n})`);
    }
    if (!(PRICING_CATEGORIES as readonly string[]).includes(line.category)) {
      throw new RangeError(
        `counts[${i}].category is ${show(line.category)}; one of ${PRICING_CATEGORIES.join(', ')}`,
      );
    }
    if (n === 0) return;
    const price = priceOf(card, line.country, line.category);
    if (!price.countryListed) {
      if (price.country === null) unknownCountry += n;
      else notListed.set(price.country, (notListed.get(price.country) ?? 0) + n);
    }
    if (price.billedAs !== price.category) {
      (price.category === 'service' ? serviceAsUtility : authAsDomestic).add(price.market);
    }
    if (line.category === 'service') serviceMessages += n;
    const free = card.freeInsideWindow.has(line.category) ? inside : 0;
    freedInsideWindow += free;

    let byCategory = markets.get(price.market);
    if (!byCategory) {
      byCategory = new Map();
      markets.set(price.market, byCategory);
    }
    let cost = byCategory.get(line.category);
    if (!cost) {
      cost = {
        category: line.category,
        billedAs: price.billedAs,
        unitMicros: price.micros,
        unit: price.usd,
        messages: 0,
        charged: 0,
        micros: 0,
        usd: '',
      };
      byCategory.set(line.category, cost);
    }
    cost.messages = safeSum(cost.messages, n);
    cost.charged = safeSum(cost.charged, n - free);
  });

  const byMarket: MarketCost[] = [];
  let messages = 0;
  let charged = 0;
  let micros = 0;
  for (const [market, byCategory] of markets) {
    const lines = PRICING_CATEGORIES.flatMap((c) => {
      const cost = byCategory.get(c);
      if (!cost) return [];
      cost.micros = safeProduct(cost.charged, cost.unitMicros);
      cost.usd = formatMicros(cost.micros);
      return [cost];
    });
    const m: MarketCost = {
      market,
      messages: lines.reduce((s, l) => safeSum(s, l.messages), 0),
      charged: lines.reduce((s, l) => safeSum(s, l.charged), 0),
      micros: lines.reduce((s, l) => safeSum(s, l.micros), 0),
      usd: '',
      byCategory: lines,
    };
    m.usd = formatMicros(m.micros);
    byMarket.push(m);
    messages = safeSum(messages, m.messages);
    charged = safeSum(charged, m.charged);
    micros = safeSum(micros, m.micros);
  }
  byMarket.sort((a, b) => b.micros - a.micros || (a.market < b.market ? -1 : a.market > b.market ? 1 : 0));

  const notes: EstimateNote[] = [];
  if (at < card.effectiveFromMs) {
    notes.push({
      code: 'card_not_yet_effective',
      message: `the rate card takes effect on ${card.effectiveFrom}, after ${isoTime(at)}: the prices billed before then may differ`,
    });
  } else if (at >= addYearMs(card.effectiveFrom)) {
    const days = Math.floor((at - card.effectiveFromMs) / DAY_MS);
    notes.push({
      code: 'card_stale',
      message: `the rate card took effect on ${card.effectiveFrom}, ${days} days before ${isoTime(at)}; Meta changes prices every quarter, so replace the file with a current card (rate-cards/README.md)`,
    });
  }
  if (notListed.size > 0 || unknownCountry > 0) {
    const parts: string[] = [];
    if (notListed.size > 0) {
      const list = [...notListed.keys()].sort();
      const shown = list.slice(0, 10).join(', ') + (list.length > 10 ? ` and ${list.length - 10} more` : '');
      const n = [...notListed.values()].reduce((s, v) => s + v, 0);
      parts.push(`${n} message(s) to countries the card does not list (${shown})`);
    }
    if (unknownCountry > 0) parts.push(`${unknownCountry} message(s) to recipients whose country is unknown`);
    notes.push({
      code: 'country_not_listed',
      message: `${parts.join(' and ')} are priced at the ${DEFAULT_MARKET} rate`,
    });
  }
  if (authAsDomestic.size > 0) {
    notes.push({
      code: 'authentication_international_as_authentication',
      message: `the card has no authentication_international price for ${[...authAsDomestic].sort().join(', ')}; those messages are priced at the authentication rate, which understates them if Meta has an authentication-international rate there`,
    });
  }
  if (serviceAsUtility.size > 0) {
    notes.push({
      code: 'service_as_utility',
      message: `the card has no service price for ${[...serviceAsUtility].sort().join(', ')}; service messages there are priced at the utility rate`,
    });
  }
  if (serviceMessages > 0) {
    notes.push({
      code: 'service_free_tier_not_applied',
      message: `${serviceMessages} service message(s) are all priced; Meta's monthly free allowance per business number is not applied`,
    });
  }
  if (freedInsideWindow > 0) {
    notes.push({
      code: 'free_inside_window',
      message: `${freedInsideWindow} message(s) inside an open customer service window are free under this card (${[...card.freeInsideWindow].join(', ')})`,
    });
  }

  return {
    currency: CARD_CURRENCY,
    cardEffectiveFrom: card.effectiveFrom,
    messages,
    charged,
    micros,
    usd: formatMicros(micros),
    byMarket,
    notes,
  };
}

/** An exact amount in dollars: "0.0618", "12.36", "0.00"; as many decimals as needed, at least 2. */
export function formatMicros(micros: number): string {
  if (!Number.isSafeInteger(micros)) throw new RangeError(`${micros} is not a whole number of micro-dollars`);
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / MICROS_PER_USD);
  const fraction = String(abs % MICROS_PER_USD)
    .padStart(6, '0')
    .replace(/0{1,4}$/, '');
  return `${sign}${whole}.${fraction.padEnd(2, '0')}`;
}

/** A price in dollars as a JSON number with at most 6 decimals → micro-dollars, or null. */
export function toMicros(value: number): number | null {
  if (!Number.isFinite(value) || value < 0) return null;
  // toFixed rounds to 6 decimals; a value that changes by it had more than 6.
  if (Number(value.toFixed(6)) !== value) return null;
  const micros = Math.round(value * MICROS_PER_USD);
  return Number.isSafeInteger(micros) ? micros : null;
}

function parseSources(input: unknown, problems: Problem[]): RateCardSource[] {
  const hint =
    'a list of where the figures came from: [{"id": "meta", "url": "https://…", "retrieved": "YYYY-MM-DD"}]';
  if (!Array.isArray(input) || input.length === 0) {
    problems.push({
      path: 'sources',
      message:
        input === undefined
          ? `missing; ${hint}`
          : Array.isArray(input)
            ? `is empty; ${hint}`
            : `must be ${hint}, not ${typeName(input)}`,
    });
    return [];
  }
  const out: RateCardSource[] = [];
  const seen = new Set<string>();
  input.forEach((raw, i) => {
    const path = `sources[${i}]`;
    if (!isObject(raw)) {
      problems.push({ path, message: `must be an object {"id", "url"}, not ${typeName(raw)}` });
      return;
    }
    for (const key of Object.keys(raw)) {
      if (!SOURCE_KEYS.includes(key)) {
        problems.push({
          path: `${path}.${key}`,
          message: `unknown key; a source has ${SOURCE_KEYS.join(', ')}`,
        });
      }
    }
    const id = raw.id;
    if (typeof id !== 'string' || !SOURCE_ID.test(id)) {
      problems.push({
        path: `${path}.id`,
        message: `must be a short name of letters, digits, ".", "_" or "-" (e.g. "meta-usd-2026-10"), not ${show(id)}`,
      });
    } else if (seen.has(id)) {
      problems.push({ path: `${path}.id`, message: `"${id}" is already the id of another source` });
    } else {
      seen.add(id);
    }
    const url = raw.url;
    if (typeof url !== 'string' || !isHttpUrl(url)) {
      problems.push({ path: `${path}.url`, message: `must be an http(s) URL, not ${show(url)}` });
    }
    const effective =
      raw.effective === undefined ? null : requiredDate(raw.effective, `${path}.effective`, problems);
    const retrieved =
      raw.retrieved === undefined ? null : requiredDate(raw.retrieved, `${path}.retrieved`, problems);
    out.push({
      id: typeof id === 'string' ? id : '',
      url: typeof url === 'string' ? url : '',
      title: optionalText(raw.title, `${path}.title`, problems),
      effective,
      retrieved,
      note: optionalText(raw.note, `${path}.note`, problems, 2000),
    });
  });
  return out;
}

function parseMarkets(
  input: unknown,
  sourceIds: ReadonlySet<string> | null,
  problems: Problem[],
): Map<string, MarketRates> | null {
  if (!isObject(input)) {
    problems.push({
      path: 'markets',
      message: `${input === undefined ? 'missing' : `must be an object, not ${typeName(input)}`}; {"Argentina": {"marketing": 0.0618, "utility": 0.026, "authentication": 0.026}, …, "${DEFAULT_MARKET}": {…}}`,
    });
    return null;
  }
  const out = new Map<string, MarketRates>();
  for (const [name, raw] of Object.entries(input)) {
    const path = `markets.${name}`;
    if (name.trim() !== name || name.length === 0 || name.length > MAX_NAME) {
      problems.push({
        path,
        message: `a market name is 1 to ${MAX_NAME} characters with no space at either end`,
      });
      continue;
    }
    if (!isObject(raw)) {
      problems.push({
        path,
        message: `must be an object {"marketing", "utility", "authentication"} of USD prices, not ${typeName(raw)}`,
      });
      continue;
    }
    for (const key of Object.keys(raw)) {
      if (!MARKET_KEYS.includes(key)) {
        problems.push({
          path: `${path}.${key}`,
          message: `unknown key; a market has ${MARKET_KEYS.join(', ')}`,
        });
      }
    }
    const price = (key: PricingCategory, required: boolean): number | null => {
      const value = raw[key];
      if (value === undefined || (value === null && !required)) {
        if (required) {
          problems.push({
            path: `${path}.${key}`,
            message: 'missing; the USD price of one delivered message',
          });
        }
        return null;
      }
      const micros = typeof value === 'number' ? toMicros(value) : null;
      if (micros === null) {
        problems.push({
          path: `${path}.${key}`,
          message: `must be a number of dollars ≥ 0 with at most 6 decimals (e.g. 0.0618), not ${show(value)}`,
        });
        return null;
      }
      if (micros > MAX_PRICE_MICROS) {
        problems.push({
          path: `${path}.${key}`,
          message: `${value} USD for one message is more than 1 USD; write dollars, not cents (0.0618, not 6.18)`,
        });
        return null;
      }
      return micros;
    };
    const [marketing, utility, authentication] = REQUIRED_PRICES.map((k) => price(k, true));
    const authenticationInternational = price('authentication_international', false);
    const service = price('service', false);
    const sources = marketSources(raw.sources, sourceIds, `${path}.sources`, problems);
    if (marketing == null || utility == null || authentication == null) continue;
    out.set(name, { marketing, utility, authentication, authenticationInternational, service, sources });
  }
  if (!Object.hasOwn(input, DEFAULT_MARKET)) {
    problems.push({
      path: `markets.${DEFAULT_MARKET}`,
      message: `missing; every card needs the "${DEFAULT_MARKET}" market, Meta's price for countries it does not list`,
    });
  }
  return out;
}

function marketSources(
  input: unknown,
  sourceIds: ReadonlySet<string> | null,
  path: string,
  problems: Problem[],
): string[] {
  if (input === undefined) return [];
  if (!Array.isArray(input) || input.some((s) => typeof s !== 'string')) {
    problems.push({ path, message: 'must be a list of source ids, e.g. ["meta-usd-2026-10"]' });
    return [];
  }
  const ids = input as string[];
  ids.forEach((id, i) => {
    if (sourceIds !== null && !sourceIds.has(id)) {
      problems.push({
        path: `${path}[${i}]`,
        message: `"${id}" is not the id of any entry in sources (${[...(sourceIds ?? [])].join(', ')})`,
      });
    }
  });
  return [...new Set(ids)];
}

function parseCountries(
  input: unknown,
  rawMarkets: Record<string, unknown> | null,
  problems: Problem[],
): Map<string, string> | null {
  if (!isObject(input)) {
    problems.push({
      path: 'countries',
      message: `${input === undefined ? 'missing' : `must be an object, not ${typeName(input)}`}; ISO 3166 alpha-2 code → market, e.g. {"AR": "Argentina", "UY": "Rest of Latin America"}`,
    });
    return null;
  }
  const out = new Map<string, string>();
  for (const [code, market] of Object.entries(input)) {
    const path = `countries.${code}`;
    if (!COUNTRY.test(code)) {
      problems.push({
        path,
        message: `"${code}" is not an ISO 3166 alpha-2 country code; write two capital letters, e.g. "AR"`,
      });
      continue;
    }
    if (typeof market !== 'string') {
      problems.push({ path, message: `must be the name of a market, not ${typeName(market)}` });
      continue;
    }
    // A market written but invalid was reported under markets; only a name never written is new.
    if (rawMarkets !== null && !Object.hasOwn(rawMarkets, market)) {
      problems.push({
        path,
        message: `"${market}" is not one of the card's markets; add it to markets or fix the name`,
      });
      continue;
    }
    out.set(code, market);
  }
  return out;
}

function parseFreeInsideWindow(input: unknown, problems: Problem[]): Set<PricingCategory> {
  if (input === undefined || input === null) return new Set();
  const categories = PRICING_CATEGORIES as readonly string[];
  if (!Array.isArray(input) || input.some((c) => typeof c !== 'string' || !categories.includes(c))) {
    problems.push({
      path: 'free_inside_window',
      message: `must be a list of categories (${PRICING_CATEGORIES.join(', ')}) Meta does not charge inside an open customer service window, e.g. ["utility"] or []`,
    });
    return new Set();
  }
  return new Set(input as PricingCategory[]);
}

function parseNotes(input: unknown, problems: Problem[]): string[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input) || input.some((n) => typeof n !== 'string')) {
    problems.push({ path: 'notes', message: 'must be a list of strings' });
    return [];
  }
  return input as string[];
}

function requiredDate(input: unknown, path: string, problems: Problem[]): string | null {
  if (typeof input === 'string' && isDate(input)) return input;
  problems.push({
    path,
    message: `${input === undefined ? 'missing' : `${show(input)} is not a date`}; write a calendar date as "YYYY-MM-DD", e.g. "2026-10-01"`,
  });
  return null;
}

function optionalText(input: unknown, path: string, problems: Problem[], max = 200): string | null {
  if (input === undefined || input === null) return null;
  if (typeof input !== 'string' || input.length > max) {
    problems.push({ path, message: `must be text of at most ${max} characters` });
    return null;
  }
  return input;
}

function isDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const ms = dateMs(text);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === text;
}

function dateMs(date: string): number {
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
}

/** The same calendar day a year later (29 February → 1 March), at 00:00 UTC. */
function addYearMs(date: string): number {
  return Date.UTC(Number(date.slice(0, 4)) + 1, Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function wholeCount(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${path} must be a whole number ≥ 0, not ${show(value)}`);
  }
  return value;
}

function safeSum(a: number, b: number): number {
  const sum = a + b;
  if (!Number.isSafeInteger(sum)) throw new RangeError('the estimate exceeds what can be counted exactly');
  return sum;
}

function safeProduct(a: number, b: number): number {
  const product = a * b;
  if (!Number.isSafeInteger(product))
    throw new RangeError('the estimate exceeds what can be counted exactly');
  return product;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return typeName(value);
}
