/**
 * `--button` values, one per template button in order, as `recontact send` and
 * `recontact templates preview` take them:
 *   - a bare value goes where that button takes one: the payload of a quick reply, the URL
 *     suffix of a URL button, the code of a copy-code button;
 *   - `payload=…`, `url_suffix=…`, `coupon_code=…` say it explicitly;
 *   - `-` skips a button (one that takes no value, or a quick reply sent without a payload).
 * Only bare values need the template's buttons, so the template is fetched only for them.
 */
import type { TemplateButton, TemplateComponent } from '../domain/templates/model';
import { callApi, type RemoteOptions } from './api-client';
import { UsageError } from './errors';

export type ButtonValue = { payload: string } | { url_suffix: string } | { coupon_code: string } | null;

export const BUTTON_HELP =
  'one per template button, in order: a bare value is the payload of a quick reply, the URL suffix of a URL button ' +
  'or the code of a copy-code button; or say it: payload=…, url_suffix=…, coupon_code=…; "-" skips a button';

const EXPLICIT = /^(payload|url_suffix|coupon_code)=(.*)$/s;

export function needsTemplate(args: readonly string[]): boolean {
  return args.some((a) => a !== '-' && !EXPLICIT.test(a));
}

/** The template's buttons, as GET /v1/templates/{name}/{language} lists them. */
export async function fetchButtons(
  o: RemoteOptions,
  name: string,
  language: string,
): Promise<TemplateButton[]> {
  const t = await callApi<{ components: TemplateComponent[] }>(
    o,
    'GET',
    `/v1/templates/${encodeURIComponent(name)}/${encodeURIComponent(language)}`,
  );
  const buttons = t.components.find((c) => c.type === 'BUTTONS');
  return buttons?.type === 'BUTTONS' ? buttons.buttons : [];
}

/** The values for the API's `buttons` array; `buttons` is needed only when a value is bare. */
export function buttonValues(
  args: readonly string[],
  template: { name: string; language: string; buttons?: readonly TemplateButton[] },
): ButtonValue[] {
  return args.map((arg, i) => {
    if (arg === '-') return null;
    const explicit = EXPLICIT.exec(arg);
    if (explicit) return { [explicit[1]!]: explicit[2]! } as ButtonValue;
    return bareValue(arg, i, template);
  });
}

function bareValue(
  arg: string,
  i: number,
  t: { name: string; language: string; buttons?: readonly TemplateButton[] },
): ButtonValue {
  const which = `--button value ${i + 1} ("${arg}")`;
  const of = `${t.name} (${t.language})`;
  const buttons = t.buttons ?? [];
  const button = buttons[i];
  if (!button)
    throw new UsageError(
      `${which} has no button to go to: ${of} has ${buttons.length === 1 ? '1 button' : `${buttons.length} buttons`}${
        buttons.length ? ` (${buttons.map(label).join(', ')})` : ''
      }; give one value per button, in order`,
    );
  const takesNone = (why: string) =>
    new UsageError(`${which}: button ${i + 1} of ${of}, ${label(button)}, ${why}; pass "-" for it`);
  switch (button.type) {
    case 'QUICK_REPLY':
      return { payload: arg };
    case 'URL':
      if (!/\{\{[^}]*\}\}/.test(button.url))
        throw takesNone(`links to a fixed address (${button.url}) and takes no value`);
      return { url_suffix: arg };
    case 'COPY_CODE':
      return { coupon_code: arg };
    case 'PHONE_NUMBER':
      throw takesNone(`calls a fixed number (${button.phone_number}) and takes no value`);
    case 'OTP':
      throw takesNone('repeats the one-time code given as body value {{1}} and takes no value');
    default:
      throw takesNone(`is of a type the CLI does not know (${(button as { type: string }).type})`);
  }
}

function label(b: TemplateButton): string {
  const kind = {
    QUICK_REPLY: 'quick reply',
    URL: 'URL',
    PHONE_NUMBER: 'phone',
    COPY_CODE: 'copy code',
    OTP: 'OTP',
  }[b.type];
  return b.text ? `${kind} "${b.text}"` : kind;
}

/** Resolves `--button` arguments, fetching the template only when a bare value needs it. */
export async function resolveButtons(
  o: RemoteOptions,
  name: string,
  language: string,
  args: readonly string[] | undefined,
): Promise<ButtonValue[] | undefined> {
  if (!args?.length) return undefined;
  const buttons = needsTemplate(args) ? await fetchButtons(o, name, language) : undefined;
  return buttonValues(args, { name, language, ...(buttons ? { buttons } : {}) });
}
