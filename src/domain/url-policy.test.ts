import { describe, expect, it } from 'vitest';
import { type AddressKind, checkTargetUrl, classifyAddress, parseIPv4, parseIPv6 } from './url-policy';

describe('classifyAddress', () => {
  it.each<[string, AddressKind | null, string?]>([
    // IPv4, dotted
    ['8.8.8.8', 'public'],
    ['93.184.216.34', 'public'],
    ['0.0.0.0', 'unspecified', '0.0.0.0/8'],
    ['127.0.0.1', 'loopback', '127.0.0.0/8'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private', '10.0.0.0/8'],
    ['172.16.0.1', 'private', '172.16.0.0/12'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private', '192.168.0.0/16'],
    ['100.64.0.1', 'cgnat', '100.64.0.0/10'],
    ['100.127.255.255', 'cgnat'],
    ['100.128.0.1', 'public'],
    ['169.254.169.254', 'link-local', '169.254.0.0/16'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    // IPv4 in the other forms inet_aton reads
    ['2130706433', 'loopback'],
    ['0x7f000001', 'loopback'],
    ['0x7f.1', 'loopback'],
    ['0177.0.0.1', 'loopback'],
    ['017700000001', 'loopback'],
    ['127.1', 'loopback'],
    ['10.0x10203', 'private'],
    ['0xa9.0xfe.0xa9.0xfe', 'link-local'],
    ['3232235777', 'private'],
    ['134744072', 'public'],
    // IPv6
    ['::', 'unspecified'],
    ['::1', 'loopback', '::1/128'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fc00::1', 'unique-local', 'fc00::/7'],
    ['fd12:3456:789a::1', 'unique-local'],
    ['fe80::1', 'link-local', 'fe80::/10'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2606:4700:4700::1111', 'public'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:8.8.8.8', 'public'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:0808:0808::1', 'public'],
    // not addresses: names
    ['bot.example', null],
    ['localhost', null],
    ['1.2.3.4.5', null],
    ['256.1.1.1', null],
    ['08.1.1.1', null],
    ['1::2::3', null],
    ['12345::', null],
    ['::ffff:1.2.3.256', null],
  ])('%s → %s', (text, kind, range) => {
    const c = classifyAddress(text);
    if (kind === null) {
      expect(c).toBeNull();
      return;
    }
    expect(c?.kind).toBe(kind);
    if (range) expect(c?.range).toBe(range);
  });

  it('names the embedded IPv4 address of a mapped IPv6 one', () => {
    expect(classifyAddress('::ffff:127.0.0.1')?.range).toBe(
      'IPv4-mapped ::ffff:0:0/96 of 127.0.0.1 (127.0.0.0/8)',
    );
  });
});

describe('parsers', () => {
  it('reads inet_aton forms and rejects overflowing parts', () => {
    expect(parseIPv4('1.2.3.4')).toBe(0x01020304);
    expect(parseIPv4('1.2.772')).toBe(0x01020304);
    expect(parseIPv4('0x100000000')).toBeNull();
    expect(parseIPv4('1.2.65536')).toBeNull();
    expect(parseIPv4('')).toBeNull();
    expect(parseIPv4('1..2')).toBeNull();
  });
  it('expands IPv6 groups', () => {
    expect(parseIPv6('1:2::8')).toEqual([1, 2, 0, 0, 0, 0, 0, 8]);
    expect(parseIPv6('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]);
    expect(parseIPv6('1:2:3:4:5:6:7:8:9')).toBeNull();
    expect(parseIPv6('1:2:3:4:5:6:7')).toBeNull();
    expect(parseIPv6('1.2.3.4')).toBeNull();
  });
});

describe('checkTargetUrl', () => {
  const strict = { allowPrivate: false };
  it.each<[string, string]>([
    ['http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['http://127.0.0.1:8080/x', 'loopback'],
    ['http://[::1]/x', 'loopback'],
    ['http://2130706433/', 'loopback'],
    ['http://0x7f.1/', 'loopback'],
    ['http://10.0.0.5/', 'private'],
    ['http://172.16.3.4/', 'private'],
    ['http://192.168.0.10/', 'private'],
    ['http://100.64.1.1/', 'cgnat'],
    ['http://[fc00::1]/', 'unique-local'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://localhost:3000/events', 'loopback'],
    ['http://api.localhost/', 'loopback'],
    ['http://LOCALHOST./', 'loopback'],
    ['http://224.0.0.1/', 'multicast'],
    ['file:///etc/passwd', 'scheme_not_http'],
    ['gopher://bot.example/', 'scheme_not_http'],
    ['javascript:alert(1)', 'scheme_not_http'],
    ['ftp://bot.example/', 'scheme_not_http'],
    ['http://user:pw@bot.example/', 'credentials_in_url'],
    ['https://token@bot.example/', 'credentials_in_url'],
    ['not a url', 'url_malformed'],
  ])('%s is refused (%s)', (url, rule) => {
    const r = checkTargetUrl(url, strict);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.rule).toBe(rule);
      expect(r.message.length).toBeGreaterThan(10);
      expect(r.hint.length).toBeGreaterThan(10);
    }
  });

  it.each(['https://bot.example/recontact', 'http://8.8.8.8/x', 'https://[2606:4700::1]/'])(
    '%s is accepted',
    (url) => {
      expect(checkTargetUrl(url, strict).ok).toBe(true);
    },
  );

  it('allows private targets when told to, never other schemes or credentials', () => {
    expect(checkTargetUrl('http://127.0.0.1:4000/events', { allowPrivate: true }).ok).toBe(true);
    expect(checkTargetUrl('http://localhost/x', { allowPrivate: true }).ok).toBe(true);
    expect(checkTargetUrl('file:///etc/passwd', { allowPrivate: true }).ok).toBe(false);
    expect(checkTargetUrl('http://u:p@127.0.0.1/', { allowPrivate: true }).ok).toBe(false);
  });

  it('explains the metadata-service address', () => {
    const r = checkTargetUrl('http://169.254.169.254/', strict);
    expect(r.ok || r.message).toContain('169.254.0.0/16');
  });
});
