/** `--body` values as `recontact send` and `templates preview` take them. */

const NAMED_VALUE = /^[a-z_][a-z0-9_]*=/;

/**
 * `name=value` pairs make a NAMED body; otherwise the values are positional, in order. All or
 * nothing: one positional value among pairs means the `=` belongs to the text.
 */
export function bodyValues(values: readonly string[]): string[] | Record<string, string> {
  if (values.length === 0 || !values.every((v) => NAMED_VALUE.test(v))) return [...values];
  return Object.fromEntries(values.map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)]));
}
