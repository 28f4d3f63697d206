/**
 * What the phone preview shows for a draft: variables filled with their example values (a
 * variable without one stays as {{x}}, so the gap shows), the media header as a placeholder
 * named after its sample file, and the buttons with their labels, as the person will see them.
 */
import {
  type BubbleButton,
  type BubbleHeader,
  mediaName,
  type RenderedMessage,
} from '../../components/phone/message';
import type { Draft } from './draft';

const VARIABLE = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The text with each {{name}} replaced by its value; unknown or empty values keep the variable. */
export function fillVariables(text: string, values: Record<string, string>): string {
  return text.replace(VARIABLE, (raw, name: string) => {
    const v = values[name];
    return v !== undefined && v !== '' ? v : raw;
  });
}

export interface PreviewLabels {
  /** What WhatsApp writes on a copy-code button, whose label Meta fixes. */
  copyCode: string;
}

function header(d: Draft): BubbleHeader | undefined {
  switch (d.headerFormat) {
    case 'NONE':
      return undefined;
    case 'TEXT': {
      const values: Record<string, string> = {};
      for (const m of d.headerText.matchAll(VARIABLE)) values[m[1] ?? ''] = d.headerExample;
      return { kind: 'text', text: fillVariables(d.headerText, values) };
    }
    case 'LOCATION':
      return { kind: 'location' };
    default: {
      const name = mediaName(d.headerMedia.trim());
      const kind = d.headerFormat === 'IMAGE' ? 'image' : d.headerFormat === 'VIDEO' ? 'video' : 'document';
      return name ? { kind, name } : { kind };
    }
  }
}

function button(b: Draft['buttons'][number], labels: PreviewLabels): BubbleButton {
  switch (b.type) {
    case 'URL':
      return { type: b.type, text: b.text, url: /\{\{/.test(b.url) && b.urlExample ? b.urlExample : b.url };
    case 'PHONE_NUMBER':
      return { type: b.type, text: b.text, phone: b.phone };
    case 'COPY_CODE':
      return { type: b.type, text: labels.copyCode };
    case 'OTHER':
      return { type: String(b.raw?.type ?? 'OTHER'), text: b.text };
    default:
      return { type: b.type, text: b.text };
  }
}

export function renderDraft(d: Draft, labels: PreviewLabels): Omit<RenderedMessage, 'time' | 'direction'> {
  const h = header(d);
  return {
    ...(h ? { header: h } : {}),
    body: fillVariables(d.body, d.bodyExamples),
    ...(d.footer !== '' ? { footer: d.footer } : {}),
    buttons: d.buttons.map((b) => button(b, labels)),
  };
}
