/**
 * The plan of a push: each template of a file against Meta's current state. Pure: the caller
 * lists Meta's templates. Comparison is on what Meta reviews (category and components) after
 * a normalisation that ignores what Meta rewrites on its side, because every edit of an
 * approved template costs one of Meta's few edits (1 per 24 h, 10 per 30 days) and sends it
 * back to review: a false "update" would be expensive.
 */
import type { ProviderTemplate } from '../../channels/channel';
import type { TemplateDefinition } from '../../domain/templates/model';

export type PlanAction = 'create' | 'update' | 'unchanged' | 'only_at_meta';

export interface FieldChange {
  /** "category", "BODY.text", "HEADER", "BUTTONS[2].url", "BODY.example.body_text". */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  /** Meta's value (absent when added). */
  before?: unknown;
  /** The file's value (absent when removed). */
  after?: unknown;
  /** For changed texts: only the words that differ, e.g. `"te recordamos" → "recordá"`. */
  inline?: string;
}

export interface PlanEntry {
  name: string;
  language: string;
  action: PlanAction;
  /** The file's category, or Meta's for only_at_meta. */
  category: string;
  provider_template_id: string | null;
  /** Meta's review status, when Meta has the template. */
  meta_status: string | null;
  changes: FieldChange[];
  /** Consequences worth knowing before pushing (review, edit limits, rejection). */
  notes: string[];
  /** Set when Meta is known to refuse this change: push skips it with this reason. */
  blocked?: string;
}

export interface TemplatePlan {
  entries: PlanEntry[];
  counts: Record<PlanAction, number>;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON with sorted keys and without null/undefined members: equal content ⇔ equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isObj(value)) return value;
  const out: Obj = {};
  for (const k of Object.keys(value).sort()) {
    if (value[k] !== undefined && value[k] !== null) out[k] = sortKeys(value[k]);
  }
  return out;
}

const upper = (v: unknown) => (typeof v === 'string' ? v.toUpperCase() : v);

/** A button as Meta keeps it, minus what Meta fixes or rewrites itself. */
function normalizeButton(raw: unknown): unknown {
  if (!isObj(raw)) return raw;
  const b: Obj = { ...raw, type: upper(raw.type) };
  if (b.type === 'COPY_CODE') {
    // Meta fixes the label of a coupon button ("Copy offer code"), whatever the file says.
    delete b.text;
    if (Array.isArray(b.example) && b.example.length === 1) b.example = b.example[0];
  }
  if (b.type === 'URL' && typeof b.example === 'string') b.example = [b.example];
  if (b.type === 'OTP') b.otp_type = upper(b.otp_type);
  return b;
}

/** A component as Meta keeps it, minus what Meta rewrites itself. */
function normalizeComponent(raw: unknown): unknown {
  if (!isObj(raw)) return raw;
  const c: Obj = { ...raw, type: upper(raw.type) };
  if (c.format !== undefined) c.format = upper(c.format);
  if (isObj(c.example)) {
    // Meta replaces a media sample (an upload handle) with its own CDN URL in listings: comparing
    // it would report every media template as changed.
    const { header_handle: _h, ...rest } = c.example;
    c.example = Object.keys(rest).length > 0 ? rest : undefined;
  }
  if (Array.isArray(c.buttons)) c.buttons = c.buttons.map(normalizeButton);
  return sortKeys(c);
}

const COMPONENT_ORDER = ['HEADER', 'BODY', 'FOOTER', 'BUTTONS'];

/** Components by type (a template has at most one of each). */
function byType(components: unknown): Map<string, Obj> {
  const out = new Map<string, Obj>();
  if (!Array.isArray(components)) return out;
  for (const raw of components) {
    const c = normalizeComponent(raw);
    if (isObj(c) && typeof c.type === 'string' && !out.has(c.type)) out.set(c.type, c);
  }
  return out;
}

/** Per-field differences between Meta's template (before) and the file's (after). */
export function diffTemplate(
  file: Pick<TemplateDefinition, 'category' | 'parameter_format' | 'components'>,
  meta: Pick<ProviderTemplate, 'category' | 'parameter_format' | 'components'>,
): FieldChange[] {
  const out: FieldChange[] = [];
  diffValue('category', meta.category, file.category, out);
  diffValue(
    'parameter_format',
    meta.parameter_format ?? 'POSITIONAL',
    file.parameter_format ?? 'POSITIONAL',
    out,
  );
  const before = byType(meta.components);
  const after = byType(file.components);
  const types = [...new Set([...before.keys(), ...after.keys()])].sort(
    (a, b) => rank(a) - rank(b) || a.localeCompare(b),
  );
  for (const type of types) {
    const b = before.get(type);
    const a = after.get(type);
    if (!b || !a) {
      diffValue(type, b, a, out);
      continue;
    }
    if (type === 'BUTTONS') {
      diffButtons(b.buttons, a.buttons, out);
      const { buttons: _b, ...restB } = b;
      const { buttons: _a, ...restA } = a;
      diffValue(type, restB, restA, out);
    } else {
      diffValue(type, b, a, out);
    }
  }
  return out;
}

function rank(type: string): number {
  const i = COMPONENT_ORDER.indexOf(type);
  return i === -1 ? COMPONENT_ORDER.length : i;
}

function diffButtons(before: unknown, after: unknown, out: FieldChange[]): void {
  const b = Array.isArray(before) ? before : [];
  const a = Array.isArray(after) ? after : [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) diffValue(`BUTTONS[${i}]`, b[i], a[i], out);
}

/** Objects recurse by key; anything else (texts, example lists) is compared whole. */
function diffValue(path: string, before: unknown, after: unknown, out: FieldChange[]): void {
  if (canonicalJson(before) === canonicalJson(after)) return;
  if (isObj(before) && isObj(after)) {
    for (const k of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
      diffValue(`${path}.${k}`, before[k], after[k], out);
    }
    return;
  }
  if (before === undefined || before === null) {
    out.push({ path, kind: 'added', after });
    return;
  }
  if (after === undefined || after === null) {
    out.push({ path, kind: 'removed', before });
    return;
  }
  const change: FieldChange = { path, kind: 'changed', before, after };
  if (typeof before === 'string' && typeof after === 'string') change.inline = inlineChange(before, after);
  out.push(change);
}

/** The differing middle of two texts, cut at word boundaries: `"tu turno" → "tu cita"`. */
export function inlineChange(before: string, after: string): string {
  const b = before.split(/(\s+)/);
  const a = after.split(/(\s+)/);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end])
    end++;
  const mid = (parts: string[]) =>
    parts
      .slice(start, parts.length - end)
      .join('')
      .trim();
  const show = (s: string) => (s === '' ? '(nothing)' : JSON.stringify(s));
  return `${show(mid(b))} → ${show(mid(a))}`;
}

const key = (name: string, language: string) => `${name}\n${language}`;

/** The plan: file entries in file order, then Meta's templates the file does not have. */
export function planTemplates(
  file: readonly TemplateDefinition[],
  atMeta: readonly ProviderTemplate[],
): TemplatePlan {
  const meta = new Map(atMeta.map((t) => [key(t.name, t.language), t]));
  const entries: PlanEntry[] = [];
  const inFile = new Set<string>();
  for (const def of file) {
    inFile.add(key(def.name, def.language));
    const current = meta.get(key(def.name, def.language));
    entries.push(current ? compare(def, current) : created(def));
  }
  const onlyAtMeta = atMeta
    .filter((t) => !inFile.has(key(t.name, t.language)))
    .sort((x, y) => x.name.localeCompare(y.name) || x.language.localeCompare(y.language));
  for (const t of onlyAtMeta) {
    entries.push({
      name: t.name,
      language: t.language,
      action: 'only_at_meta',
      category: t.category,
      provider_template_id: t.providerTemplateId,
      meta_status: t.status,
      changes: [],
      notes: ['not in the file: left as it is at Meta (push never deletes)'],
    });
  }
  const counts: Record<PlanAction, number> = { create: 0, update: 0, unchanged: 0, only_at_meta: 0 };
  for (const e of entries) counts[e.action]++;
  return { entries, counts };
}

function created(def: TemplateDefinition): PlanEntry {
  return {
    name: def.name,
    language: def.language,
    action: 'create',
    category: def.category,
    provider_template_id: null,
    meta_status: null,
    changes: [],
    notes: ['Meta reviews a new template before it can be sent (status PENDING until then)'],
  };
}

function compare(def: TemplateDefinition, current: ProviderTemplate): PlanEntry {
  const changes = diffTemplate(def, current);
  const entry: PlanEntry = {
    name: def.name,
    language: def.language,
    action: changes.length > 0 ? 'update' : 'unchanged',
    category: def.category,
    provider_template_id: current.providerTemplateId,
    meta_status: current.status,
    changes,
    notes: [],
  };
  if (entry.action === 'unchanged') {
    if (current.status === 'REJECTED')
      entry.notes.push(
        `rejected at Meta${current.rejectedReason ? ` (${current.rejectedReason})` : ''}: change the template to resubmit it`,
      );
    return entry;
  }
  if (changes.some((c) => c.path === 'parameter_format')) {
    entry.blocked =
      'parameter_format cannot be changed by an edit at Meta; publish the new wording under a new name';
  }
  if (current.status === 'APPROVED')
    entry.notes.push(
      'approved at Meta: the edit sends it back to review (sends are refused until approved again); Meta allows 1 edit per 24 h and 10 per 30 days',
    );
  else if (current.status === 'PENDING')
    entry.notes.push('in review at Meta: Meta refuses edits until the review ends');
  return entry;
}
