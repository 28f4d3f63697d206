/**
 * Where Recontact may send HTTP requests on someone else's behalf (event webhooks). A URL given
 * through the API could otherwise make this server reach the cloud metadata service, the
 * database or any internal admin page (SSRF). Two checks share these rules: at creation
 * (`checkTargetUrl`, literal addresses and well-known names) and at connect time after DNS
 * (channels/safe-dispatcher.ts, `classifyAddress` on every resolved address), because a public
 * name can resolve to 127.0.0.1.
 */

/** Why an address is not a public unicast target; `public` is the only one allowed by default. */
export type AddressKind =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'unique-local'
  | 'multicast'
  | 'reserved';

export interface AddressClass {
  kind: AddressKind;
  /** The range that decided it, for error messages: "127.0.0.0/8". */
  range: string;
  /** The address in canonical form (dotted quad, or compressed-free IPv6 groups). */
  canonical: string;
}

interface V4Range {
  base: number;
  bits: number;
  kind: AddressKind;
  range: string;
}

const v4 = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

// Special-purpose registry (RFC 6890 and successors); anything not listed is public unicast.
const V4_RANGES: V4Range[] = [
  { base: v4(0, 0, 0, 0), bits: 8, kind: 'unspecified', range: '0.0.0.0/8' },
  { base: v4(10, 0, 0, 0), bits: 8, kind: 'private', range: '10.0.0.0/8' },
  { base: v4(100, 64, 0, 0), bits: 10, kind: 'cgnat', range: '100.64.0.0/10' },
  { base: v4(127, 0, 0, 0), bits: 8, kind: 'loopback', range: '127.0.0.0/8' },
  { base: v4(169, 254, 0, 0), bits: 16, kind: 'link-local', range: '169.254.0.0/16' },
  { base: v4(172, 16, 0, 0), bits: 12, kind: 'private', range: '172.16.0.0/12' },
  { base: v4(192, 0, 0, 0), bits: 24, kind: 'reserved', range: '192.0.0.0/24' },
  { base: v4(192, 0, 2, 0), bits: 24, kind: 'reserved', range: '192.0.2.0/24' },
  { base: v4(192, 88, 99, 0), bits: 24, kind: 'reserved', range: '192.88.99.0/24' },
  { base: v4(192, 168, 0, 0), bits: 16, kind: 'private', range: '192.168.0.0/16' },
  { base: v4(198, 18, 0, 0), bits: 15, kind: 'reserved', range: '198.18.0.0/15' },
  { base: v4(198, 51, 100, 0), bits: 24, kind: 'reserved', range: '198.51.100.0/24' },
  { base: v4(203, 0, 113, 0), bits: 24, kind: 'reserved', range: '203.0.113.0/24' },
  { base: v4(224, 0, 0, 0), bits: 4, kind: 'multicast', range: '224.0.0.0/4' },
  { base: v4(240, 0, 0, 0), bits: 4, kind: 'reserved', range: '240.0.0.0/4' },
];

function dotted(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function classifyV4(n: number): AddressClass {
  for (const r of V4_RANGES) {
    const mask = r.bits === 0 ? 0 : (0xffffffff << (32 - r.bits)) >>> 0;
    if ((n & mask) >>> 0 === r.base) return { kind: r.kind, range: r.range, canonical: dotted(n) };
  }
  return { kind: 'public', range: '', canonical: dotted(n) };
}

/**
 * Reads an IPv4 address the way inet_aton (and so curl, browsers and many resolvers) does:
 * 1 to 4 parts, each decimal, octal (leading 0) or hex (0x); the last part fills the remaining
 * bytes, so 2130706433, 0x7f.1, 017700000001 and 127.1 all mean 127.0.0.1.
 */
export function parseIPv4(text: string): number | null {
  const s = text.endsWith('.') ? text.slice(0, -1) : text;
  const parts = s.split('.');
  if (parts.length === 0 || parts.length > 4) return null;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(p)) n = p.length === 2 ? 0 : Number.parseInt(p.slice(2), 16);
    else if (/^0[0-7]+$/.test(p)) n = Number.parseInt(p.slice(1), 8);
    else if (/^(0|[1-9][0-9]*)$/.test(p)) n = Number(p);
    else return null;
    if (!Number.isSafeInteger(n)) return null;
    nums.push(n);
  }
  const last = nums.length - 1;
  for (let i = 0; i < last; i++) if (nums[i]! > 255) return null;
  if (nums[last]! >= 2 ** (8 * (4 - last))) return null;
  let out = nums[last]!;
  for (let i = 0; i < last; i++) out += nums[i]! * 2 ** (8 * (3 - i));
  return out >>> 0;
}

/** Parses an IPv6 address (brackets and a %zone allowed) into its eight 16-bit groups. */
export function parseIPv6(text: string): number[] | null {
  let s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (!s.includes(':')) return null;
  const lastColon = s.lastIndexOf(':');
  const maybeV4 = s.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    // Only the strict dotted quad is allowed inside IPv6 (RFC 4291 §2.2); rewrite it as two groups.
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(maybeV4)) return null;
    const b = maybeV4.split('.').map(Number);
    if (b.some((x) => x > 255)) return null;
    const hi = ((b[0]! << 8) | b[1]!).toString(16);
    const lo = ((b[2]! << 8) | b[3]!).toString(16);
    s = `${s.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const group = (g: string) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? Number.parseInt(g, 16) : Number.NaN);
  const head = halves[0] === '' ? [] : halves[0]!.split(':').map(group);
  const rest = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':').map(group)) : [];
  const given = head.length + rest.length;
  if ([...head, ...rest].some(Number.isNaN)) return null;
  if (halves.length === 1 && given !== 8) return null;
  if (halves.length === 2 && given > 7) return null;
  const zeros = new Array<number>(8 - given).fill(0);
  return [...head, ...(halves.length === 2 ? zeros : []), ...rest];
}

const hex = (groups: number[]) => groups.map((g) => g.toString(16)).join(':');

function classifyV6(g: number[]): AddressClass {
  const canonical = hex(g);
  const make = (kind: AddressKind, range: string): AddressClass => ({ kind, range, canonical });
  const embedded = (hi: number, lo: number, via: string): AddressClass => {
    const inner = classifyV4(((hi << 16) | lo) >>> 0);
    return inner.kind === 'public'
      ? make('public', '')
      : make(inner.kind, `${via} of ${inner.canonical} (${inner.range})`);
  };
  const first96zero = g.slice(0, 6).every((x) => x === 0);
  if (first96zero && g[6] === 0 && g[7] === 0) return make('unspecified', '::/128');
  if (first96zero && g[6] === 0 && g[7] === 1) return make('loopback', '::1/128');
  // IPv4-mapped (::ffff:a.b.c.d) and the deprecated IPv4-compatible (::a.b.c.d) reach the IPv4 host.
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff)
    return embedded(g[6]!, g[7]!, 'IPv4-mapped ::ffff:0:0/96');
  if (first96zero) return embedded(g[6]!, g[7]!, 'IPv4-compatible ::/96');
  // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) gateways forward to the embedded IPv4 address.
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0))
    return embedded(g[6]!, g[7]!, 'NAT64 64:ff9b::/96');
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return make('private', '64:ff9b:1::/48');
  if (g[0] === 0x2002) return embedded(g[1]!, g[2]!, '6to4 2002::/16');
  const top = g[0]!;
  if ((top & 0xfe00) === 0xfc00) return make('unique-local', 'fc00::/7');
  if ((top & 0xffc0) === 0xfe80) return make('link-local', 'fe80::/10');
  if ((top & 0xffc0) === 0xfec0) return make('private', 'fec0::/10 (site-local)');
  if ((top & 0xff00) === 0xff00) return make('multicast', 'ff00::/8');
  if (top === 0x2001 && g[1] === 0x0db8) return make('reserved', '2001:db8::/32 (documentation)');
  if (top === 0x0100 && g[1] === 0 && g[2] === 0 && g[3] === 0) return make('reserved', '100::/64 (discard)');
  return make('public', '');
}

/**
 * Classifies an IP address written in any form a URL or resolver accepts; null when the text
 * is not an IP address (then it is a host name).
 */
export function classifyAddress(text: string): AddressClass | null {
  const n = parseIPv4(text);
  if (n !== null) return classifyV4(n);
  const g = parseIPv6(text);
  return g ? classifyV6(g) : null;
}

const KIND_WORDS: Record<Exclude<AddressKind, 'public'>, string> = {
  unspecified: 'an unspecified address',
  loopback: 'a loopback address',
  private: 'a private-network address',
  'link-local': 'a link-local address (this is where cloud metadata services live)',
  cgnat: 'a carrier-grade NAT (shared) address',
  'unique-local': 'an IPv6 unique-local address',
  multicast: 'a multicast address',
  reserved: 'a reserved or documentation address',
};

export function describeAddress(c: AddressClass): string {
  return c.kind === 'public'
    ? `${c.canonical} (public)`
    : `${c.canonical}: ${KIND_WORDS[c.kind]}, ${c.range}`;
}

export type TargetRule =
  | 'url_malformed'
  | 'scheme_not_http'
  | 'credentials_in_url'
  | Exclude<AddressKind, 'public'>;

export type TargetCheck =
  | { ok: true; url: URL }
  | { ok: false; rule: TargetRule; message: string; hint: string };

const PRIVATE_HINT =
  'Use a public http(s) address for your bot. For local development set RECONTACT_ALLOW_PRIVATE_TARGETS=true (on by default only with the embedded sandbox).';

/**
 * Checks a webhook target before it is stored: http(s) only, no user:password@ (requests are
 * authenticated by the Standard Webhooks signature instead), and — unless private targets are
 * allowed — no literal address or `localhost` name outside public unicast space. Names are
 * resolved only at connect time, where the same rules apply to every resolved address.
 */
export function checkTargetUrl(text: string, opts: { allowPrivate: boolean }): TargetCheck {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return {
      ok: false,
      rule: 'url_malformed',
      message: `"${text.slice(0, 200)}" is not an absolute URL`,
      hint: 'Write the full address, like https://bot.example/recontact.',
    };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return {
      ok: false,
      rule: 'scheme_not_http',
      message: `the scheme "${url.protocol.replace(/:$/, '')}" is not allowed; only http and https are`,
      hint: 'Use an https:// address (or http:// for local development).',
    };
  }
  if (url.username !== '' || url.password !== '') {
    return {
      ok: false,
      rule: 'credentials_in_url',
      message: 'the URL carries a user name or password (user:password@host); Recontact never sends them',
      hint: 'Remove the credentials: your endpoint authenticates events with the signing secret returned on creation (webhook-signature header).',
    };
  }
  if (opts.allowPrivate) return { ok: true, url };
  const host = url.hostname.replace(/\.$/, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) {
    return {
      ok: false,
      rule: 'loopback',
      message: `"${url.hostname}" always names this machine (a loopback target)`,
      hint: PRIVATE_HINT,
    };
  }
  const c = classifyAddress(host);
  if (c && c.kind !== 'public') {
    return {
      ok: false,
      rule: c.kind,
      message: `the host ${describeAddress(c)}, is not a public address`,
      hint: PRIVATE_HINT,
    };
  }
  return { ok: true, url };
}
