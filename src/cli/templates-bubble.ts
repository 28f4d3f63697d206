/**
 * A template preview drawn as a WhatsApp message bubble in the terminal: header, body, footer,
 * then the buttons as [Label]. Pure; widths count code points (an emoji may take two columns
 * in some terminals, a small misalignment accepted over a dependency).
 */
import type { PreviewReport } from '../engine/templates/preview';

export const BUBBLE_WIDTH = 44;

const len = (s: string) => [...s].length;

/** Wraps at word boundaries; a word longer than the width is cut. Keeps blank lines. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter((w) => w !== '')) {
      let w = word;
      while (len(w) > width) {
        if (line) {
          out.push(line);
          line = '';
        }
        out.push([...w].slice(0, width).join(''));
        w = [...w].slice(width).join('');
      }
      if (!line) line = w;
      else if (len(line) + 1 + len(w) <= width) line += ` ${w}`;
      else {
        out.push(line);
        line = w;
      }
    }
    out.push(line);
  }
  return out;
}

/** Media headers show the file name inside the bubble; the full link is listed under it. */
function headerLines(h: NonNullable<PreviewReport['rendered']['header']>): string[] {
  if (h.kind === 'text') return [`*${h.text}*`];
  if (h.kind === 'location') return [`[location: ${h.label ?? 'not given'}]`];
  const file = h.label ?? h.ref?.split(/[/?#]/).filter(Boolean).pop();
  return [`[${h.kind}${file ? `: ${file}` : ''}]`];
}

/** What a button does beyond its label: where it links, what it calls or copies. */
function buttonAction(b: PreviewReport['rendered']['buttons'][number]): string | undefined {
  if (b.url) return `→ ${b.url}`;
  if (b.phone) return `calls ${b.phone}`;
  if (b.code) return `copies ${b.code}`;
  if (b.payload) return `payload ${b.payload}`;
  return undefined;
}

function center(s: string, width: number): string {
  return ' '.repeat(Math.max(0, Math.floor((width - len(s)) / 2))) + s;
}

export function formatBubble(p: PreviewReport, width = BUBBLE_WIDTH): string[] {
  const inner = width - 4;
  const row = (s: string) => `│ ${s}${' '.repeat(Math.max(0, inner - len(s)))} │`;
  const rule = (l: string, r: string) => `${l}${'─'.repeat(width - 2)}${r}`;
  const t = p.template;
  const lines = [
    `${t.name} (${t.language}) · ${t.category} · ${t.status}${t.rejected_reason ? ` (${t.rejected_reason})` : ''}`,
  ];
  lines.push(rule('╭', '╮'));
  const r = p.rendered;
  if (r.header) {
    for (const l of headerLines(r.header)) lines.push(...wrap(l, inner).map(row));
    lines.push(row(''));
  }
  lines.push(...wrap(r.body, inner).map(row));
  if (r.footer !== undefined) {
    lines.push(row(''));
    lines.push(...wrap(r.footer, inner).map(row));
  }
  if (r.buttons.length > 0) {
    lines.push(rule('├', '┤'));
    for (const b of r.buttons) lines.push(...wrap(`[${b.text}]`, inner).map((l) => row(center(l, inner))));
  }
  lines.push(rule('╰', '╯'));
  if (r.header && r.header.kind !== 'text' && r.header.kind !== 'location' && r.header.ref)
    lines.push(`${r.header.kind}: ${r.header.ref}`);
  for (const b of r.buttons) {
    const action = buttonAction(b);
    if (action) lines.push(`[${b.text}] ${action}`);
  }
  if (p.missing.length > 0)
    lines.push(`missing (shown with the template's examples): ${p.missing.join(', ')}`);
  for (const problem of p.problems)
    lines.push(`a send would be refused: ${problem.path ? `${problem.path}: ` : ''}${problem.message}`);
  for (const n of p.notes) lines.push(`note: ${n}`);
  const given = Object.entries(p.sources).filter(([, s]) => s !== 'given');
  if (given.length > 0) lines.push(`from the contact: ${given.map(([v, s]) => `${v} ← ${s}`).join(', ')}`);
  return lines;
}
