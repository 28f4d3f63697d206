/**
 * Variables in template text: {{1}}, {{2}} (POSITIONAL) or {{first_name}} (NAMED).
 * Shared by the linter (authoring rules) and the binder (send-time values).
 */
export interface TemplateVariable {
  /** "1" or "first_name": what stands between the braces, trimmed. */
  name: string;
  /** The exact text matched, braces included. */
  raw: string;
  /** Offset of the opening braces in the text. */
  start: number;
  end: number;
  positional: boolean;
}

const VARIABLE = /\{\{\s*([^{}]*?)\s*\}\}/g;

/**
 * A campaign binds the same few template texts for every recipient: each text is parsed once.
 * Bounded in entries and in size, since linted drafts (up to 2 MB a request) bring texts of their
 * own: a text longer than any Meta accepts (a URL's 2,000 characters) is parsed every time
 * instead. The results are frozen, being shared.
 */
const PARSED = new Map<string, readonly TemplateVariable[]>();
const PARSED_MAX = 1_000;
export const PARSED_TEXT_MAX = 2_000;

export function parseVariables(text: string): readonly TemplateVariable[] {
  const known = PARSED.get(text);
  if (known) return known;
  const parsed = Object.freeze(scan(text).map((v) => Object.freeze(v)));
  if (text.length > PARSED_TEXT_MAX) return parsed;
  if (PARSED.size >= PARSED_MAX) PARSED.clear();
  PARSED.set(text, parsed);
  return parsed;
}

function scan(text: string): TemplateVariable[] {
  const out: TemplateVariable[] = [];
  for (const m of text.matchAll(VARIABLE)) {
    const name = m[1] ?? '';
    out.push({
      name,
      raw: m[0],
      start: m.index,
      end: m.index + m[0].length,
      positional: /^\d+$/.test(name),
    });
  }
  return out;
}

/** Distinct variable names in order of first appearance. */
export function variableNames(text: string): string[] {
  return [...new Set(parseVariables(text).map((v) => v.name))];
}
