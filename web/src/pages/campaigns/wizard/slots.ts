/**
 * The places a template takes a value, read from its components as Meta holds them: the text
 * header's variable or the media header's file, each body variable ({{1}}… or {{name}}…), a URL
 * button's suffix, a copy-code button's code, and each quick reply's payload (optional: the
 * button's text when none is given). The wizard asks one value source per place.
 */
import type { components } from '../../../api/schema';

export type Template = components['schemas']['Template'];

export type SlotPlace = 'header_text' | 'header_media' | 'body' | 'url_suffix' | 'coupon_code' | 'payload';

export interface Slot {
  /** Stable within a template: "header", "body.1", "body.first_name", "button.2". */
  key: string;
  place: SlotPlace;
  /** How the template names it: "{{1}}", "{{first_name}}", a button's text. */
  label: string;
  /** The template's own example value, if it has one. */
  example?: string;
  /** Media headers: which kind of file. */
  media?: 'image' | 'video' | 'document';
  /** Buttons: the button's index (the campaign's `buttons` array is index-aligned). */
  button?: number;
  /** A quick reply's payload may stay empty (the button's text is sent back). */
  optional?: boolean;
}

const VARIABLE = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

type Component = Record<string, unknown>;

function variables(text: unknown): string[] {
  if (typeof text !== 'string') return [];
  return [...new Set([...text.matchAll(VARIABLE)].map((m) => m[1]!))];
}

const asRecord = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};

function bodyExamples(c: Component, names: string[], positional: boolean): Record<string, string> {
  const ex = asRecord(c.example);
  if (positional) {
    const row = Array.isArray(ex.body_text) ? (ex.body_text[0] as unknown[] | undefined) : undefined;
    return Object.fromEntries(names.map((n) => [n, String(row?.[Number(n) - 1] ?? '')]));
  }
  const named = Array.isArray(ex.body_text_named_params) ? ex.body_text_named_params : [];
  const out: Record<string, string> = {};
  for (const p of named as Array<Record<string, unknown>>)
    out[String(p.param_name)] = String(p.example ?? '');
  return out;
}

export function templateSlots(t: Template): Slot[] {
  const slots: Slot[] = [];
  const positional = t.parameter_format !== 'NAMED';
  for (const c of t.components as Component[]) {
    const type = String(c.type ?? '').toUpperCase();
    if (type === 'HEADER') {
      const format = String(c.format ?? 'TEXT').toUpperCase();
      const ex = asRecord(c.example);
      if (format === 'TEXT') {
        const [name] = variables(c.text);
        if (name) {
          const sample = Array.isArray(ex.header_text) ? ex.header_text[0] : undefined;
          slots.push({
            key: 'header',
            place: 'header_text',
            label: `{{${name}}}`,
            ...(sample !== undefined ? { example: String(sample) } : {}),
          });
        }
      } else if (format === 'IMAGE' || format === 'VIDEO' || format === 'DOCUMENT') {
        const handle = Array.isArray(ex.header_handle) ? ex.header_handle[0] : undefined;
        slots.push({
          key: 'header',
          place: 'header_media',
          label: format.toLowerCase(),
          media: format.toLowerCase() as Slot['media'] & string,
          ...(typeof handle === 'string' && /^https?:\/\//.test(handle) ? { example: handle } : {}),
        });
      }
    } else if (type === 'BODY') {
      const names = variables(c.text);
      if (positional) names.sort((a, b) => Number(a) - Number(b));
      const examples = bodyExamples(c, names, positional);
      for (const n of names)
        slots.push({
          key: `body.${n}`,
          place: 'body',
          label: `{{${n}}}`,
          ...(examples[n] ? { example: examples[n] } : {}),
        });
    } else if (type === 'BUTTONS') {
      const buttons = Array.isArray(c.buttons) ? (c.buttons as Component[]) : [];
      buttons.forEach((b, i) => {
        const kind = String(b.type ?? '').toUpperCase();
        const text = String(b.text ?? '');
        if (kind === 'QUICK_REPLY') {
          slots.push({ key: `button.${i}`, place: 'payload', label: text, button: i, optional: true });
        } else if (kind === 'URL' && variables(b.url).length > 0) {
          const url = String(b.url);
          const sample = Array.isArray(b.example) ? String(b.example[0] ?? '') : '';
          const prefix = url.slice(0, url.indexOf('{{'));
          const suffix = sample.startsWith(prefix) ? sample.slice(prefix.length) : '';
          slots.push({
            key: `button.${i}`,
            place: 'url_suffix',
            label: text,
            button: i,
            ...(suffix ? { example: suffix } : {}),
          });
        } else if (kind === 'COPY_CODE') {
          const sample = Array.isArray(b.example) ? b.example[0] : b.example;
          slots.push({
            key: `button.${i}`,
            place: 'coupon_code',
            label: text || 'code',
            button: i,
            ...(sample !== undefined ? { example: String(sample) } : {}),
          });
        }
      });
    }
  }
  return slots;
}

/** A template's body text, for a glance in the list of templates. */
export function bodyText(t: Template): string {
  const body = (t.components as Component[]).find((c) => String(c.type).toUpperCase() === 'BODY');
  return typeof body?.text === 'string' ? body.text : '';
}

/** The send's purpose as the audience preview counts it: marketing opt-outs and cap, or not. */
export function purposeOf(t: Pick<Template, 'category'> | undefined): 'marketing' | 'utility' {
  return t?.category === 'UTILITY' ? 'utility' : 'marketing';
}
