/**
 * The import page's column mapping and how it becomes the import's own options: the phone
 * column is `phone_column`, every other column whose target differs from its header is a
 * `map=header=target`. A first guess reads common headers in English, Spanish and Portuguese.
 */
export const TARGETS = ['phone', 'name', 'language', 'time_zone', 'tags', 'opted_out', 'attribute'] as const;
export type Target = (typeof TARGETS)[number];

export interface ColumnChoice {
  header: string;
  target: Target;
  /** The attribute's name, for target "attribute". */
  attribute: string;
}

const GUESSES: Array<[Exclude<Target, 'attribute'>, RegExp]> = [
  [
    'phone',
    /^(phone|phone number|mobile|cell|tel|tel[eé]fono|celular|cel|m[oó]vil|whatsapp|wa_id|n[uú]mero|telefone)$/i,
  ],
  ['name', /^(name|full name|nombre|nombre completo|nome)$/i],
  ['language', /^(language|lang|idioma|lengua)$/i],
  ['time_zone', /^(time_zone|time zone|timezone|zona horaria|huso horario|fuso hor[aá]rio)$/i],
  ['tags', /^(tags|tag|etiquetas|etiqueta)$/i],
  ['opted_out', /^(opted_out|opt_out|opted out|baja)$/i],
];

/** An attribute name the contact book accepts, made from a header ("Ciudad natal" → "ciudad_natal"). */
export function attributeName(header: string): string {
  const plain = header
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return /^[a-z_]/.test(plain) ? plain : `_${plain}`;
}

export function guessColumns(headers: string[]): ColumnChoice[] {
  const taken = new Set<Target>();
  return headers.map((header) => {
    const found = GUESSES.find(([target, re]) => !taken.has(target) && re.test(header.trim()));
    if (found) {
      taken.add(found[0]);
      return { header, target: found[0], attribute: '' };
    }
    return { header, target: 'attribute', attribute: attributeName(header) };
  });
}

/** Sets one column's target; a second phone column makes the first an attribute again. */
export function chooseTarget(columns: ColumnChoice[], index: number, target: Target): ColumnChoice[] {
  return columns.map((c, i) => {
    if (i === index)
      return {
        ...c,
        target,
        attribute: target === 'attribute' ? c.attribute || attributeName(c.header) : '',
      };
    if (target !== 'attribute' && c.target === target)
      return { ...c, target: 'attribute', attribute: attributeName(c.header) };
    return c;
  });
}

export interface ImportChoices {
  columns: ColumnChoice[];
  tags: string[];
  defaultCountry: string;
  consentOptIn: boolean;
}

/** The query of POST /v1/contacts/import (and its preview) for these choices. */
export function importParams(c: ImportChoices): URLSearchParams {
  const p = new URLSearchParams();
  const phone = c.columns.find((x) => x.target === 'phone');
  if (phone) p.set('phone_column', phone.header.trim());
  for (const col of c.columns) {
    const header = col.header.trim();
    if (col.target === 'phone') continue;
    // Contact fields match headers in any case; attribute names are kept as written.
    const to = col.target === 'attribute' ? col.attribute.trim() : col.target;
    const same = col.target === 'attribute' ? to === header : to === header.toLowerCase();
    if (to && !same) p.append('map', `${header}=${to}`);
  }
  for (const tag of c.tags) p.append('tag', tag);
  if (c.defaultCountry.trim()) p.set('default_country', c.defaultCountry.trim().toUpperCase());
  if (c.consentOptIn) p.set('consent', 'opted-in');
  return p;
}
