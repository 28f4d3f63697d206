/**
 * URLs written to logs lose what may be a credential: the user name and password, and every
 * query value (`?token=…` is a common way to authenticate a webhook). Parameter names, host and
 * path stay, so the line still says where it went.
 */
export function redactUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return redactUnparsed(raw);
  }
  // No host: an opaque string such as "user:pw@host/path" read as scheme "user:".
  if (u.host === '') return redactUnparsed(raw);
  const query = u.search === '' ? '' : `?${maskQuery(u.search.slice(1))}`;
  const fragment = u.hash === '' ? '' : '#***';
  return `${u.protocol}//${u.host}${u.pathname}${query}${fragment}`;
}

function maskQuery(query: string): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq === -1 ? pair : `${pair.slice(0, eq)}=***`;
    })
    .join('&');
}

/** Not a URL the WHATWG parser accepts: still drop anything that looks like userinfo or a query. */
function redactUnparsed(raw: string): string {
  const noUser = raw.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)?[^/?#@]*@/, '$1');
  const q = noUser.search(/[?#]/);
  if (q === -1) return noUser;
  const [path, rest] = [noUser.slice(0, q), noUser.slice(q)];
  if (rest.startsWith('#')) return `${path}#***`;
  const hash = rest.indexOf('#');
  const query = hash === -1 ? rest.slice(1) : rest.slice(1, hash);
  return `${path}?${maskQuery(query)}${hash === -1 ? '' : '#***'}`;
}
