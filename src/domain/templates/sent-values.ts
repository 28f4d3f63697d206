/**
 * A sent template back into the values a bot gave (header, body, buttons), so it can be shown
 * as the person read it: the stored message is the Cloud API `template` object (what bind.ts
 * made), and the renderer (render.ts) takes values in the request's shape. Binding is lossless
 * for everything the reader sees: positional parameters come in order, named ones carry
 * `parameter_name`, buttons carry their index.
 */
import { isRecord } from '../input-words';
import type { ButtonParam, CloudTemplate, HeaderParam, ParamValue, TemplateParams } from './model';

export function sentTemplateValues(template: CloudTemplate): TemplateParams {
  const out: TemplateParams = {};
  for (const c of template.components ?? []) {
    const parameters = Array.isArray(c.parameters) ? c.parameters.filter(isRecord) : [];
    const type = String(c.type ?? '').toLowerCase();
    if (type === 'body') out.body = bodyValues(parameters);
    else if (type === 'header' && parameters[0]) {
      const header = headerValue(parameters[0]);
      if (header) out.header = header;
    } else if (type === 'button') {
      const index = Number(c.index);
      const value = buttonValue(parameters[0]);
      if (Number.isInteger(index) && index >= 0 && index < 10 && value) {
        out.buttons ??= [];
        while (out.buttons.length < index) out.buttons.push(null);
        out.buttons[index] = value;
      }
    }
  }
  return out;
}

function bodyValues(parameters: Array<Record<string, unknown>>): TemplateParams['body'] {
  if (parameters.some((p) => typeof p.parameter_name === 'string')) {
    const named: Record<string, ParamValue> = {};
    for (const p of parameters) {
      const value = paramValue(p);
      if (typeof p.parameter_name === 'string' && value !== undefined) named[p.parameter_name] = value;
    }
    return named;
  }
  return parameters.map((p) => paramValue(p) ?? '');
}

function paramValue(p: Record<string, unknown>): ParamValue | undefined {
  if (p.type === 'text' && typeof p.text === 'string') return p.text;
  if (p.type === 'currency' && isRecord(p.currency)) return { currency: p.currency } as ParamValue;
  if (p.type === 'date_time' && isRecord(p.date_time)) return { date_time: p.date_time } as ParamValue;
  return undefined;
}

function headerValue(p: Record<string, unknown>): HeaderParam | undefined {
  if (p.type === 'text' && typeof p.text === 'string') return { text: p.text };
  for (const kind of ['image', 'video', 'document', 'location'] as const) {
    if (p.type === kind && isRecord(p[kind])) return { [kind]: p[kind] } as HeaderParam;
  }
  return undefined;
}

function buttonValue(p: Record<string, unknown> | undefined): ButtonParam | undefined {
  if (!p) return undefined;
  if (p.type === 'payload' && typeof p.payload === 'string') return { payload: p.payload };
  if (p.type === 'coupon_code' && typeof p.coupon_code === 'string') return { coupon_code: p.coupon_code };
  if (p.type === 'text' && typeof p.text === 'string') return { url_suffix: p.text };
  return undefined;
}
