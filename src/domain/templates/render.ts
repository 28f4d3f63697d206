/**
 * The preview: what the person will see on their phone, for the dashboard's live preview and
 * the CLI. Forgiving by default, since an operator is usually still filling the values in: a
 * missing value shows the template's example (or the raw {{x}}) and is listed in `missing`.
 * With `strict: true` it first runs the send-time validation and throws as a send would.
 */
import { bindTemplate, exampleValues, hydrateText, parameterFormat } from './bind';
import {
  findComponent,
  type HeaderComponent,
  type ParameterFormat,
  type TemplateButton,
  type TemplateDefinition,
  type TemplateParams,
} from './model';
import { variableNames } from './variables';

export type RenderedHeader =
  | { kind: 'text'; text: string }
  | { kind: 'image' | 'video' | 'document' | 'location'; ref?: string; label?: string };

export interface RenderedButton {
  type: TemplateButton['type'];
  text: string;
  url?: string;
  phone?: string;
  payload?: string;
  code?: string;
}

export interface RenderedTemplate {
  header?: RenderedHeader;
  body: string;
  footer?: string;
  buttons: RenderedButton[];
  /**
   * Values the preview had to make up: "body.{{2}}", "body.{{first_name}}", "header.{{1}}",
   * "header.image", "buttons[1].url_suffix", "buttons[2].coupon_code".
   */
  missing: string[];
}

export interface RenderOptions {
  /** Validate as a send would (throws TEMPLATE_PARAMS_INVALID) before rendering. */
  strict?: boolean;
}

/** Labels Meta shows on buttons whose text the template does not set. */
const COPY_CODE_LABEL = 'Copy offer code';
const OTP_LABEL = 'Copy code';

const MEDIA_KIND = { IMAGE: 'image', VIDEO: 'video', GIF: 'video', DOCUMENT: 'document' } as const;

export function renderTemplate(
  def: TemplateDefinition,
  params?: TemplateParams,
  options: RenderOptions = {},
): RenderedTemplate {
  if (options.strict) bindTemplate(def, params);
  const missing: string[] = [];
  const format = parameterFormat(def);
  const examples = exampleValues(def);
  const headerComponent = findComponent(def, 'HEADER');
  const header = headerComponent && renderHeader(headerComponent, params, examples.header, missing);
  const bodyText = findComponent(def, 'BODY')?.text ?? '';
  const body = fill(
    bodyText,
    'body',
    (name) => bodyValue(params?.body, name, format),
    examples.body,
    missing,
  );
  const footer = findComponent(def, 'FOOTER')?.text;
  const buttons = (findComponent(def, 'BUTTONS')?.buttons ?? []).map((button, i) =>
    renderButton(button, params?.buttons?.[i], i, missing),
  );
  const out: RenderedTemplate = { body, buttons, missing };
  if (header) out.header = header;
  if (footer !== undefined) out.footer = footer;
  return out;
}

/** Substitutes each variable: the given value, else the example, else the raw {{x}}. */
function fill(
  text: string,
  where: 'body' | 'header',
  given: (name: string) => string | undefined,
  examples: Record<string, string>,
  missing: string[],
): string {
  const values: Record<string, string> = {};
  for (const name of variableNames(text)) {
    const value = given(name);
    if (value === undefined) missing.push(`${where}.{{${name}}}`);
    const shown = value ?? examples[name];
    if (shown !== undefined) values[name] = shown;
  }
  return hydrateText(text, values);
}

function bodyValue(body: TemplateParams['body'], name: string, format: ParameterFormat): string | undefined {
  if (body === undefined) return undefined;
  if (format === 'POSITIONAL') return Array.isArray(body) ? display(body[Number(name) - 1]) : undefined;
  return Array.isArray(body) ? undefined : display(body[name]);
}

/** What the person reads: currency and dates show their fallback text. */
function display(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { currency?: { fallback_value?: unknown }; date_time?: { fallback_value?: unknown } };
  const fallback = v.currency?.fallback_value ?? v.date_time?.fallback_value;
  return typeof fallback === 'string' ? fallback : undefined;
}

function renderHeader(
  header: HeaderComponent,
  params: TemplateParams | undefined,
  examples: Record<string, string>,
  missing: string[],
): RenderedHeader {
  const value = params?.header as Record<string, unknown> | undefined;
  if (header.format === 'TEXT') {
    const given = display(value?.text);
    return { kind: 'text', text: fill(header.text ?? '', 'header', () => given, examples, missing) };
  }
  if (header.format === 'LOCATION') return renderLocation(value?.location, missing);
  const kind = MEDIA_KIND[header.format];
  const media = value?.[kind] as { link?: string; id?: string; filename?: string } | undefined;
  const ref = media?.link ?? media?.id;
  if (ref === undefined) missing.push(`header.${kind}`);
  const out: RenderedHeader = { kind };
  const shown = ref ?? header.example?.header_handle?.[0];
  if (shown !== undefined) out.ref = shown;
  if (media?.filename !== undefined) out.label = media.filename;
  return out;
}

function renderLocation(value: unknown, missing: string[]): RenderedHeader {
  const loc = value as
    | { latitude?: number | string; longitude?: number | string; name?: string; address?: string }
    | undefined;
  if (loc?.latitude === undefined || loc.longitude === undefined) {
    missing.push('header.location');
    return { kind: 'location' };
  }
  const coordinates = `${loc.latitude},${loc.longitude}`;
  return { kind: 'location', ref: coordinates, label: loc.name ?? loc.address ?? coordinates };
}

function renderButton(
  button: TemplateButton,
  value: unknown,
  index: number,
  missing: string[],
): RenderedButton {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  switch (button.type) {
    case 'QUICK_REPLY': {
      const out: RenderedButton = { type: button.type, text: button.text };
      if (typeof v.payload === 'string') out.payload = v.payload;
      return out;
    }
    case 'URL':
      return { type: button.type, text: button.text, url: renderUrl(button, v.url_suffix, index, missing) };
    case 'PHONE_NUMBER':
      return { type: button.type, text: button.text, phone: button.phone_number };
    case 'COPY_CODE': {
      const given = display(v.coupon_code);
      if (given === undefined) missing.push(`buttons[${index}].coupon_code`);
      return { type: button.type, text: button.text ?? COPY_CODE_LABEL, code: given ?? button.example };
    }
    case 'OTP':
      return { type: button.type, text: button.text ?? OTP_LABEL };
  }
}

function renderUrl(
  button: Extract<TemplateButton, { type: 'URL' }>,
  suffix: unknown,
  index: number,
  missing: string[],
): string {
  const name = variableNames(button.url)[0];
  if (name === undefined) return button.url;
  const given = display(suffix);
  if (given !== undefined) return hydrateText(button.url, { [name]: given });
  missing.push(`buttons[${index}].url_suffix`);
  // Meta's example for a URL button is the whole URL, suffix included.
  return button.example?.[0] ?? button.url;
}
