/**
 * A template compiled once, when it is created, seeded or edited, into what a send has to be
 * checked against and rendered with: variables per component, button kinds by index, text
 * split into literal and variable segments. Sends then do lookups, never parsing.
 */
import type { HeaderFormat, TemplateComponent, TemplateDefinition } from '../domain/templates/model';

/** Literal text, or `{ v: name }` for a variable ("1" or "first_name"). */
export type Segment = string | { v: string };

export interface TemplateVar {
  name: string;
  start: number;
  end: number;
}

const VARIABLE = /\{\{\s*([^{}]*?)\s*\}\}/g;

export function parseVars(text: string): TemplateVar[] {
  const out: TemplateVar[] = [];
  for (const m of text.matchAll(VARIABLE)) {
    out.push({ name: m[1] ?? '', start: m.index, end: m.index + m[0].length });
  }
  return out;
}

export function distinctVarNames(text: string): string[] {
  return [...new Set(parseVars(text).map((v) => v.name))];
}

export function toSegments(text: string): Segment[] {
  const out: Segment[] = [];
  let at = 0;
  for (const v of parseVars(text)) {
    if (v.start > at) out.push(text.slice(at, v.start));
    out.push({ v: v.name });
    at = v.end;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

export function render(segments: Segment[], values: ReadonlyMap<string, string>): string {
  let s = '';
  for (const seg of segments) s += typeof seg === 'string' ? seg : (values.get(seg.v) ?? '');
  return s;
}

export type ButtonSubType = 'quick_reply' | 'url' | 'phone_number' | 'copy_code' | 'otp';

export interface CompiledButton {
  index: number;
  type: string;
  /** Label shown to the user. */
  text: string;
  /** What `sub_type` a send must use for this button. */
  subType: ButtonSubType;
  /** Parameters a send must give this button (quick replies: 0 or 1, see `optional`). */
  params: 0 | 1;
  optional: boolean;
  /** The parameter type Meta expects (`payload`, `text`, `coupon_code`). */
  paramType: 'payload' | 'text' | 'coupon_code' | null;
  /** URL buttons: the fixed part before the variable suffix, or the whole static URL. */
  urlBase?: string;
  phoneNumber?: string;
}

export interface CompiledTemplate {
  format: 'POSITIONAL' | 'NAMED';
  header: { format: HeaderFormat; text: Segment[] | null; vars: string[] } | null;
  body: { text: Segment[]; vars: string[] };
  footer: string | null;
  buttons: CompiledButton[];
  /** Maximum hydrated body length: 1,024, or 32,768 for a template that is a lone body. */
  bodyLimit: number;
}

function compileButtons(components: TemplateComponent[]): CompiledButton[] {
  const comp = components.find((c) => c.type === 'BUTTONS');
  if (comp?.type !== 'BUTTONS') return [];
  return comp.buttons.map((b, index): CompiledButton => {
    switch (b.type) {
      case 'QUICK_REPLY':
        return {
          index,
          type: b.type,
          text: b.text,
          subType: 'quick_reply',
          params: 1,
          optional: true,
          paramType: 'payload',
        };
      case 'URL': {
        const vars = parseVars(b.url);
        const first = vars[0];
        return {
          index,
          type: b.type,
          text: b.text,
          subType: 'url',
          params: first ? 1 : 0,
          optional: false,
          paramType: first ? 'text' : null,
          urlBase: first ? b.url.slice(0, first.start) : b.url,
        };
      }
      case 'PHONE_NUMBER':
        return {
          index,
          type: b.type,
          text: b.text,
          subType: 'phone_number',
          params: 0,
          optional: false,
          paramType: null,
          phoneNumber: b.phone_number,
        };
      case 'COPY_CODE':
        return {
          index,
          type: b.type,
          text: b.text ?? 'Copy offer code',
          subType: 'copy_code',
          params: 1,
          optional: false,
          paramType: 'coupon_code',
        };
      case 'OTP':
        return {
          index,
          type: b.type,
          text: b.text ?? 'Copy code',
          subType: 'otp',
          params: 1,
          optional: false,
          paramType: 'text',
        };
      default: {
        const other = b as { type: string; text?: string };
        return {
          index,
          type: other.type,
          text: other.text ?? '',
          subType: 'quick_reply',
          params: 0,
          optional: true,
          paramType: null,
        };
      }
    }
  });
}

export function compileTemplate(def: TemplateDefinition): CompiledTemplate {
  const header = def.components.find((c) => c.type === 'HEADER');
  const body = def.components.find((c) => c.type === 'BODY');
  const footer = def.components.find((c) => c.type === 'FOOTER');
  const bodyText = body && body.type === 'BODY' ? body.text : '';
  const headerText =
    header && header.type === 'HEADER' && header.format === 'TEXT' ? (header.text ?? '') : null;
  const buttons = compileButtons(def.components);
  return {
    format: def.parameter_format === 'NAMED' ? 'NAMED' : 'POSITIONAL',
    header:
      header && header.type === 'HEADER'
        ? {
            format: header.format,
            text: headerText === null ? null : toSegments(headerText),
            vars: headerText === null ? [] : distinctVarNames(headerText),
          }
        : null,
    body: { text: toSegments(bodyText), vars: distinctVarNames(bodyText) },
    footer: footer && footer.type === 'FOOTER' ? footer.text : null,
    buttons,
    bodyLimit: !header && !footer && buttons.length === 0 ? 32_768 : 1_024,
  };
}
