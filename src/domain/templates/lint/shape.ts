/**
 * Defensive reading of one template entry. Template files are user input: an entry may be a
 * string, components may be an object, a YAML phone number may arrive as a number. The view
 * built here keeps only the fields of the right JSON type and reports the rest as
 * `template-shape` findings, so that the rules never crash on malformed input.
 */
import type { Report, RuleGroup } from './types';
import { describe, isRecord } from './util';

export interface ButtonView {
  index: number;
  /** "components[3].buttons[1]" */
  path: string;
  raw: Record<string, unknown>;
  type?: string;
  text?: string;
  url?: string;
  phoneNumber?: string;
}

export interface ComponentView {
  index: number;
  /** "components[1]" */
  path: string;
  raw: Record<string, unknown>;
  type?: string;
  format?: string;
  text?: string;
  example?: Record<string, unknown>;
  /** Present for BUTTONS components whose `buttons` is an array. */
  buttons?: ButtonView[];
}

export interface TemplateView {
  index: number;
  label: string;
  /** The entry, when it is an object. */
  raw: Record<string, unknown> | undefined;
  name?: string;
  language?: string;
  category?: string;
  parameterFormat?: string;
  /** False when `components` is missing or not an array (already reported). */
  componentsValid: boolean;
  components: ComponentView[];
}

type Reporter = (rule: string, report: Report) => void;

export const shapeGroup: RuleGroup = {
  name: 'shape',
  rules: [
    {
      id: 'template-shape',
      severity: 'error',
      description:
        'The entry has the JSON shape of a template: an object, components an array of objects, texts strings.',
    },
  ],
  // Reported while the view is built (see buildView), before any other rule runs.
  check() {},
};

/** "appointment_reminder (es_AR)", or "#2 (es_AR)" when the entry has no usable name. */
export function templateLabel(def: unknown, index: number): string {
  const rec = isRecord(def) ? def : {};
  const name = typeof rec.name === 'string' && rec.name !== '' ? rec.name : `#${index + 1}`;
  const language = typeof rec.language === 'string' && rec.language !== '' ? rec.language : '?';
  return `${name} (${language})`;
}

const QUOTE_HINT = 'write it as a string (in YAML, put it in quotes)';

export function buildView(def: unknown, index: number, report: Reporter): TemplateView {
  const label = templateLabel(def, index);
  if (!isRecord(def)) {
    report('template-shape', {
      message: `the entry is ${describe(def)}, not a template object`,
      fix: 'give each template as an object with name, language, category and components',
    });
    return { index, label, raw: undefined, componentsValid: false, components: [] };
  }
  const view: TemplateView = {
    index,
    label,
    raw: def,
    componentsValid: Array.isArray(def.components),
    components: [],
  };
  if (typeof def.name === 'string') view.name = def.name;
  if (typeof def.language === 'string') view.language = def.language;
  if (typeof def.category === 'string') view.category = def.category;
  if (typeof def.parameter_format === 'string') view.parameterFormat = def.parameter_format;

  if (!Array.isArray(def.components)) {
    report('template-shape', {
      path: 'components',
      message:
        def.components === undefined
          ? 'the template has no components'
          : `components is ${describe(def.components)}, not an array`,
      fix: 'add components: a list with at least a BODY component ({ type: BODY, text: … })',
    });
    return view;
  }

  def.components.forEach((c, i) => {
    const path = `components[${i}]`;
    if (!isRecord(c)) {
      report('template-shape', {
        path,
        message: `component ${i} is ${describe(c)}, not an object`,
        fix: 'write each component as an object with a type (HEADER, BODY, FOOTER or BUTTONS)',
      });
      return;
    }
    const comp: ComponentView = { index: i, path, raw: c };
    if (typeof c.type === 'string') comp.type = c.type;
    const component = comp.type;
    if (typeof c.format === 'string') comp.format = c.format;
    if (c.text !== undefined) {
      if (typeof c.text === 'string') comp.text = c.text;
      else
        report('template-shape', {
          path: `${path}.text`,
          component,
          message: `text is ${describe(c.text)}, not a string`,
          fix: QUOTE_HINT,
        });
    }
    if (c.example !== undefined) {
      if (isRecord(c.example)) comp.example = c.example;
      else
        report('template-shape', {
          path: `${path}.example`,
          component,
          message: `example is ${describe(c.example)}, not an object`,
          fix: 'write example as an object, e.g. { body_text: [["Emilia"]] } or { header_handle: ["…"] }',
        });
    }
    if (comp.type === 'BUTTONS') {
      if (!Array.isArray(c.buttons)) {
        report('template-shape', {
          path: `${path}.buttons`,
          component,
          message:
            c.buttons === undefined
              ? 'the BUTTONS component has no buttons list'
              : `buttons is ${describe(c.buttons)}, not an array`,
          fix: 'add buttons: a list of buttons, e.g. [{ type: QUICK_REPLY, text: Confirmar }]',
        });
      } else {
        comp.buttons = [];
        c.buttons.forEach((b, j) => {
          const bpath = `${path}.buttons[${j}]`;
          if (!isRecord(b)) {
            report('template-shape', {
              path: bpath,
              component,
              message: `button ${j} is ${describe(b)}, not an object`,
              fix: 'write each button as an object with a type and a text',
            });
            return;
          }
          const btn: ButtonView = { index: j, path: bpath, raw: b };
          if (typeof b.type === 'string') btn.type = b.type;
          for (const [key, prop] of [
            ['text', 'text'],
            ['url', 'url'],
            ['phone_number', 'phoneNumber'],
          ] as const) {
            const v = b[key];
            if (v === undefined) continue;
            if (typeof v === 'string') btn[prop] = v;
            else
              report('template-shape', {
                path: `${bpath}.${key}`,
                component,
                message: `${key} is ${describe(v)}, not a string`,
                fix: QUOTE_HINT,
              });
          }
          comp.buttons?.push(btn);
        });
      }
    }
    view.components.push(comp);
  });
  return view;
}

export function componentsOfType(t: TemplateView, type: string): ComponentView[] {
  return t.components.filter((c) => c.type === type);
}

/** Every button of every BUTTONS component, in order. */
export function allButtons(t: TemplateView): Array<{ comp: ComponentView; button: ButtonView }> {
  return componentsOfType(t, 'BUTTONS').flatMap((comp) =>
    (comp.buttons ?? []).map((button) => ({ comp, button })),
  );
}

/** The texts that may hold variables: TEXT headers and bodies. */
export function variableTexts(
  t: TemplateView,
): Array<{ comp: ComponentView; kind: 'HEADER' | 'BODY'; text: string }> {
  const out: Array<{ comp: ComponentView; kind: 'HEADER' | 'BODY'; text: string }> = [];
  for (const comp of t.components) {
    if (comp.text === undefined) continue;
    if (comp.type === 'BODY') out.push({ comp, kind: 'BODY', text: comp.text });
    else if (comp.type === 'HEADER' && (comp.format === 'TEXT' || comp.format === undefined))
      out.push({ comp, kind: 'HEADER', text: comp.text });
  }
  return out;
}
