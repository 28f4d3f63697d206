/**
 * What a user will see for a template: values given by the caller, or taken from a contact.
 * For NAMED templates a contact's attributes fill the variables of the same name
 * ({{topic}} ← attributes.topic), and {{first_name}} falls back to the first word of the
 * contact's name (WhatsApp's profile name). POSITIONAL variables have no name to map, so
 * their values must be given. Never throws for missing values: it lists them.
 */
import { isRecontactError, RecontactError } from '../../domain/errors';
import { normalizePhone } from '../../domain/phone';
import { bindTemplate, parameterFormat } from '../../domain/templates/bind';
import {
  findComponent,
  type ParamValue,
  type TemplateParams,
  type TemplateRecord,
} from '../../domain/templates/model';
import { type RenderedTemplate, renderTemplate } from '../../domain/templates/render';
import { variableNames } from '../../domain/templates/variables';
import { findContact } from '../../store/contacts-repo';
import { getTemplate } from '../../store/templates-repo';
import type { EngineContext } from '../context';
import { templateNotFound } from './not-found';

export interface PreviewRequest extends TemplateParams {
  name: string;
  language: string;
  /** A phone (any readable form) or wa_id of a known contact whose data fills NAMED variables. */
  contact?: string;
}

export interface PreviewReport {
  template: {
    name: string;
    language: string;
    category: string;
    parameter_format: string;
    status: string;
    rejected_reason: string | null;
  };
  rendered: Omit<RenderedTemplate, 'missing'>;
  /** Values the preview had to make up (shown from the template's examples): "body.{{2}}". */
  missing: string[];
  /** Where each variable's value came from: "given", "contact.attributes.topic", "contact.name". */
  sources: Record<string, string>;
  /** What a send with these values would be refused for (TEMPLATE_PARAMS_INVALID details). */
  problems: Array<{ path?: string; message: string }>;
  /** True when a send with these values would be accepted now (approved, nothing missing). */
  sendable: boolean;
  notes: string[];
}

export async function previewTemplate(
  ctx: EngineContext,
  accountId: string,
  req: PreviewRequest,
): Promise<PreviewReport> {
  const { db } = ctx.store;
  const tpl = await getTemplate(db, accountId, req.name, req.language);
  if (!tpl) throw await notFound(ctx, accountId, req);
  const given: TemplateParams = {
    ...(req.header !== undefined ? { header: req.header } : {}),
    ...(req.body !== undefined ? { body: req.body } : {}),
    ...(req.buttons !== undefined ? { buttons: req.buttons } : {}),
  };
  const notes: string[] = [];
  const sources: Record<string, string> = {};
  const params = req.contact
    ? await withContact(ctx, accountId, tpl, given, req.contact, sources, notes)
    : given;
  markGiven(tpl, given, sources);

  const { missing, ...rendered } = renderTemplate(tpl, params);
  const problems: PreviewReport['problems'] = [];
  try {
    bindTemplate(tpl, params);
  } catch (err) {
    if (!isRecontactError(err)) throw err;
    problems.push(...err.details);
  }
  if (tpl.status !== 'APPROVED')
    notes.push(
      `the template is ${tpl.status}${tpl.rejectedReason ? ` (${tpl.rejectedReason})` : ''}: sends are refused until Meta approves it`,
    );
  return {
    template: {
      name: tpl.name,
      language: tpl.language,
      category: tpl.category,
      parameter_format: parameterFormat(tpl),
      status: tpl.status,
      rejected_reason: tpl.rejectedReason,
    },
    rendered,
    missing,
    sources,
    problems,
    sendable: tpl.status === 'APPROVED' && problems.length === 0,
    notes,
  };
}

function notFound(ctx: EngineContext, accountId: string, req: PreviewRequest): Promise<RecontactError> {
  return templateNotFound(ctx.store.db, {
    accountId,
    name: req.name,
    language: req.language,
    path: 'language',
  });
}

/** Labels the variables whose values the caller gave. */
function markGiven(tpl: TemplateRecord, given: TemplateParams, sources: Record<string, string>): void {
  const body = findComponent(tpl, 'BODY')?.text ?? '';
  for (const [i, name] of variableNames(body).entries()) {
    const value = Array.isArray(given.body)
      ? given.body[/^\d+$/.test(name) ? Number(name) - 1 : i]
      : given.body?.[name];
    if (value !== undefined) sources[`body.{{${name}}}`] = 'given';
  }
  const header = findComponent(tpl, 'HEADER');
  const headerVar = header?.format === 'TEXT' ? variableNames(header.text ?? '')[0] : undefined;
  if (headerVar !== undefined && given.header && 'text' in given.header)
    sources[`header.{{${headerVar}}}`] = 'given';
}

/** Fills NAMED body and header variables the caller left out from the contact's data. */
async function withContact(
  ctx: EngineContext,
  accountId: string,
  tpl: TemplateRecord,
  given: TemplateParams,
  phone: string,
  sources: Record<string, string>,
  notes: string[],
): Promise<TemplateParams> {
  const waId = normalizePhone(phone).waId;
  const contact = await findContact(ctx.store.db, accountId, waId);
  if (!contact) {
    throw new RecontactError('CONTACT_NOT_FOUND', `No contact with number ${phone} (wa_id ${waId})`, {
      details: [
        {
          path: 'contact',
          message: 'the number has never written to nor been sent anything by this account',
        },
      ],
      hint: 'Give the values directly, or use a contact that exists.',
    });
  }
  if (parameterFormat(tpl) === 'POSITIONAL') {
    notes.push(
      'the template uses positional variables ({{1}}, {{2}}): contact data has no position, so give the values',
    );
    return given;
  }
  const lookup = contactLookup(contact.attributes, contact.name);
  const body = findComponent(tpl, 'BODY')?.text ?? '';
  const givenBody = given.body !== undefined && !Array.isArray(given.body) ? given.body : {};
  const filled: Record<string, ParamValue> = { ...givenBody };
  for (const name of variableNames(body)) {
    if (filled[name] !== undefined) continue;
    const found = lookup(name);
    if (found) {
      filled[name] = found.value;
      sources[`body.{{${name}}}`] = found.source;
    }
  }
  const out: TemplateParams = { ...given };
  if (!Array.isArray(given.body)) out.body = filled;
  const header = findComponent(tpl, 'HEADER');
  const headerVar = header?.format === 'TEXT' ? variableNames(header.text ?? '')[0] : undefined;
  if (headerVar !== undefined && given.header === undefined) {
    const found = lookup(headerVar);
    if (found) {
      out.header = { text: String(found.value) };
      sources[`header.{{${headerVar}}}`] = found.source;
    }
  }
  return out;
}

function contactLookup(
  attributesJson: string,
  name: string | null,
): (variable: string) => { value: string | number; source: string } | undefined {
  let attributes: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(attributesJson) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      attributes = parsed as Record<string, unknown>;
  } catch {
    // A malformed attributes column previews as "no attributes", not as a failed request.
  }
  return (variable) => {
    const v = attributes[variable];
    if ((typeof v === 'string' && v.trim() !== '') || (typeof v === 'number' && Number.isFinite(v)))
      return { value: v, source: `contact.attributes.${variable}` };
    const first = name?.trim().split(/\s+/)[0];
    if (variable === 'first_name' && first) return { value: first, source: 'contact.name' };
    return undefined;
  };
}
