/**
 * A contact's conversation as a person reads it: our messages (templates rendered into the text
 * the phone showed, free-form texts, reply buttons) with their status and any failure reason,
 * and theirs (texts, button taps, with the message they answer), in the order they happened.
 * Held messages (send when allowed) appear where they were written, with status `held`.
 */

import { RecontactError } from '../../domain/errors';
import { isoTime } from '../../domain/iso-time';
import type { CloudTemplate, TemplateDefinition } from '../../domain/templates/model';
import { type RenderedHeader, renderTemplate } from '../../domain/templates/render';
import { sentTemplateValues } from '../../domain/templates/sent-values';
import { findLiveContact } from '../../store/contact-book-repo';
import { type ThreadRow, threadPage } from '../../store/contact-thread-repo';
import type { MessageRow } from '../../store/messages-repo';
import { getTemplate } from '../../store/templates-repo';
import { parseContactRef } from '../contacts/contact-book';
import type { EngineContext } from '../context';
import { messageView } from '../events/payloads';
import { readListCursor, writeListCursor } from './list-cursor';

export const THREAD_LIMITS = Object.freeze({ defaultLimit: 50, maxLimit: 200 });

export interface ThreadRendering {
  header: RenderedHeader | null;
  body: string;
  footer: string | null;
  buttons: Array<{ type: string; text: string }>;
}

export type ThreadItem =
  | {
      direction: 'outbound';
      at: string;
      message: ReturnType<typeof messageView>;
      text: string | null;
      rendered: ThreadRendering | null;
    }
  | {
      direction: 'inbound';
      at: string;
      message: {
        id: string;
        type: string;
        text: string | null;
        payload: string | null;
        reply_to_message_id: string | null;
      };
    };

export interface ThreadPage {
  contact_id: string;
  data: ThreadItem[];
  next_cursor: string | null;
}

export async function contactThread(
  ctx: EngineContext,
  accountId: string,
  refText: string,
  q: { cursor?: string; limit: number },
): Promise<ThreadPage> {
  const before = q.cursor === undefined ? undefined : readListCursor(q.cursor, ['msg', 'inb']);
  const db = ctx.store.db;
  const contact = await findLiveContact(db, accountId, parseContactRef(refText));
  if (!contact) {
    throw new RecontactError('CONTACT_NOT_FOUND', `No contact "${refText}" on this account`, {
      hint: 'PUT /v1/contacts/{phone} creates one; an erased contact is gone for good.',
    });
  }
  const rows = await threadPage(db, contact.id, { ...(before ? { before } : {}), limit: q.limit + 1 });
  const shown = rows.slice(0, q.limit);
  const templates = await templatesOf(ctx, accountId, shown);
  const oldest = shown[shown.length - 1];
  return {
    contact_id: contact.id,
    // Oldest first: the order a thread is read in.
    data: shown.reverse().map((r) => itemOf(r, templates)),
    next_cursor: rows.length > q.limit && oldest ? writeListCursor(oldest) : null,
  };
}

type Definitions = Map<string, TemplateDefinition | undefined>;
const keyOf = (name: string, language: string | null) => `${name}\u0000${language ?? ''}`;

/** The definitions of the templates a page shows, one read per distinct template. */
async function templatesOf(ctx: EngineContext, accountId: string, rows: ThreadRow[]): Promise<Definitions> {
  const out: Definitions = new Map();
  for (const r of rows) {
    if (r.direction !== 'outbound' || r.message.template_name === null) continue;
    const key = keyOf(r.message.template_name, r.message.template_language);
    if (out.has(key)) continue;
    out.set(
      key,
      await getTemplate(ctx.store.db, accountId, r.message.template_name, r.message.template_language ?? ''),
    );
  }
  return out;
}

function itemOf(r: ThreadRow, templates: Definitions): ThreadItem {
  if (r.direction === 'inbound') {
    const i = r.inbound;
    return {
      direction: 'inbound',
      at: isoTime(r.at),
      message: {
        id: i.id,
        type: i.type,
        text: i.text,
        payload: i.payload,
        reply_to_message_id: i.reply_to_message_id,
      },
    };
  }
  const m = r.message;
  const rendered = renderingOf(m, templates);
  return {
    direction: 'outbound',
    at: isoTime(r.at),
    message: messageView(m),
    text: rendered?.body ?? plainText(m),
    rendered,
  };
}

function content(m: MessageRow): Record<string, unknown> {
  try {
    const v = JSON.parse(m.content) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A template as the phone showed it; an interactive message's body and buttons. */
function renderingOf(m: MessageRow, templates: Definitions): ThreadRendering | null {
  const c = content(m);
  if (m.template_name !== null && typeof c.template === 'object' && c.template !== null) {
    const def = templates.get(keyOf(m.template_name, m.template_language));
    // A template deleted since: its parameters are all that is left to show.
    if (!def) return null;
    const r = renderTemplate(def, sentTemplateValues(c.template as CloudTemplate));
    return {
      header: r.header ?? null,
      body: r.body,
      footer: r.footer ?? null,
      buttons: r.buttons.map((b) => ({ type: b.type, text: b.text })),
    };
  }
  const interactive = c.interactive as
    | { body?: { text?: unknown }; action?: { buttons?: Array<{ reply?: { title?: unknown } }> } }
    | undefined;
  if (interactive && typeof interactive.body?.text === 'string') {
    return {
      header: null,
      body: interactive.body.text,
      footer: null,
      buttons: (interactive.action?.buttons ?? []).flatMap((b) =>
        typeof b.reply?.title === 'string' ? [{ type: 'QUICK_REPLY', text: b.reply.title }] : [],
      ),
    };
  }
  return null;
}

/** A text's body, or an unrenderable template's parameter texts. */
function plainText(m: MessageRow): string | null {
  const c = content(m);
  const text = c.text as { body?: unknown } | undefined;
  if (text && typeof text.body === 'string') return text.body;
  const template = c.template as
    | { components?: Array<{ parameters?: Array<{ text?: unknown }> }> }
    | undefined;
  const params = (template?.components ?? []).flatMap((x) => (x.parameters ?? []).map((p) => p.text));
  const texts = params.filter((p): p is string => typeof p === 'string');
  return texts.length ? texts.join(' · ') : null;
}
