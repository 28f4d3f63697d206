/**
 * The stored form of a contact's attributes, written once for every writer (API, import, merge):
 * JSON with its keys sorted, so that "did anything change?" is a comparison of two strings and a
 * second import of the same file writes nothing. Attribute names never start with a digit, so
 * the order written here is the order JSON.parse gives back.
 */
export function storedAttributes(attrs: Readonly<Record<string, unknown>>): string {
  const keys = Object.keys(attrs);
  if (keys.length === 0) return '{}';
  keys.sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    out += `${i ? ',' : ''}${JSON.stringify(k)}:${JSON.stringify(attrs[k])}`;
  }
  return `${out}}`;
}
