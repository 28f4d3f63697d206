/** BUTTONS: counts per type, labels, URL and phone buttons, copy-code samples, grouping. */
import { parseVariables } from '../variables';
import { allButtons, componentsOfType } from './shape';
import type { RuleGroup } from './types';
import { charCount, describe, num, plural, quote } from './util';

export const BUTTONS_MAX = 10;
export const BUTTON_TEXT_MAX_LENGTH = 25;
export const URL_MAX_LENGTH = 2000;
export const COPY_CODE_MAX_LENGTH = 15;
export const BUTTON_TYPE_MAX: Readonly<Record<string, number>> = {
  QUICK_REPLY: 10,
  URL: 2,
  PHONE_NUMBER: 1,
  COPY_CODE: 1,
};
export const BUTTON_TYPES = ['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'COPY_CODE', 'OTP'] as const;
/** Button types Meta has that Recontact neither lints nor sends. */
export const UNSUPPORTED_BUTTON_TYPES = [
  'FLOW',
  'VOICE_CALL',
  'CATALOG',
  'MPM',
  'SPM',
  'APP',
  'CALL_PERMISSION_REQUEST',
  'REQUEST_CONTACT_INFO',
] as const;
export const OTP_TYPES = ['COPY_CODE', 'ONE_TAP', 'ZERO_TAP'] as const;

const KNOWN = new Set<string>(BUTTON_TYPES);
const UNSUPPORTED = new Set<string>(UNSUPPORTED_BUTTON_TYPES);
/** Types whose label the author writes (COPY_CODE and OTP labels are fixed or optional). */
const TEXT_REQUIRED = new Set(['QUICK_REPLY', 'URL', 'PHONE_NUMBER']);
/** E.164: a country code that does not start with 0, at most 15 digits in all. */
const E164 = /^\+?[1-9]\d{6,14}$/;

function httpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname !== '';
  } catch {
    return false;
  }
}

export const buttonsGroup: RuleGroup = {
  name: 'buttons',
  rules: [
    { id: 'buttons-empty', severity: 'error', description: 'A BUTTONS component holds at least one button.' },
    {
      id: 'buttons-max-total',
      severity: 'error',
      description: `A template has at most ${BUTTONS_MAX} buttons.`,
    },
    {
      id: 'buttons-type-max',
      severity: 'error',
      description: 'At most 10 QUICK_REPLY, 2 URL, 1 PHONE_NUMBER and 1 COPY_CODE buttons.',
    },
    {
      id: 'buttons-quick-reply-grouping',
      severity: 'error',
      description:
        'Quick-reply buttons are contiguous: all quick replies together, not mixed with other types.',
    },
    {
      id: 'button-type',
      severity: 'error',
      description: 'Button types are QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE or OTP, in upper case.',
    },
    {
      id: 'button-text-required',
      severity: 'error',
      description: 'QUICK_REPLY, URL and PHONE_NUMBER buttons have a non-empty label.',
    },
    {
      id: 'button-text-max-length',
      severity: 'error',
      description: `A button label is at most ${BUTTON_TEXT_MAX_LENGTH} characters.`,
      metaCode: 2388040,
    },
    {
      id: 'button-text-variables',
      severity: 'error',
      description: 'Button labels hold no variables (only a URL button’s url may end with one) [3rd-party].',
    },
    {
      id: 'button-url-format',
      severity: 'error',
      description: 'A URL button has a url that is an absolute http(s) address.',
    },
    {
      id: 'button-url-max-length',
      severity: 'error',
      description: `A button url is at most ${num(URL_MAX_LENGTH)} characters.`,
      metaCode: 2388040,
    },
    {
      id: 'button-url-variable',
      severity: 'error',
      description: 'A button url holds at most one variable, {{1}}, at its very end.',
    },
    {
      id: 'button-url-example',
      severity: 'error',
      description: 'A url with a variable has an example: a list with one full sample URL.',
    },
    {
      id: 'button-phone-format',
      severity: 'error',
      description:
        'A PHONE_NUMBER button has an international number (E.164: +, country code, up to 15 digits).',
    },
    {
      id: 'button-copy-code-example',
      severity: 'error',
      description: `A COPY_CODE button has a sample code (example) of at most ${COPY_CODE_MAX_LENGTH} characters.`,
    },
    {
      id: 'button-otp-type',
      severity: 'error',
      description: 'An OTP button has otp_type COPY_CODE, ONE_TAP or ZERO_TAP.',
    },
  ],
  check({ t, report }) {
    for (const comp of componentsOfType(t, 'BUTTONS')) {
      if (comp.buttons && comp.buttons.length === 0) {
        report('buttons-empty', {
          path: `${comp.path}.buttons`,
          component: 'BUTTONS',
          message: 'the BUTTONS component has no buttons',
          fix: 'add at least one button (a QUICK_REPLY invites an answer), or remove the BUTTONS component',
        });
      }
    }
    const buttons = allButtons(t);
    if (buttons.length === 0) return;
    const component = 'BUTTONS';
    const first = buttons[0]!.comp;

    if (buttons.length > BUTTONS_MAX) {
      report('buttons-max-total', {
        path: `${first.path}.buttons`,
        component,
        message: `the template has ${buttons.length} buttons; Meta allows at most ${BUTTONS_MAX}`,
        fix: `remove ${plural(buttons.length - BUTTONS_MAX, 'button')}; more than 3 are shown behind "See all options" anyway`,
      });
    }
    for (const [type, max] of Object.entries(BUTTON_TYPE_MAX)) {
      const ofType = buttons.filter((b) => b.button.type === type);
      if (ofType.length > max) {
        report('buttons-type-max', {
          path: ofType[max]!.button.path,
          component,
          message: `the template has ${ofType.length} ${type} buttons; Meta allows at most ${max}`,
          fix: `remove ${plural(ofType.length - max, `${type} button`)}`,
        });
      }
    }
    const qr = buttons.flatMap((b, i) => (b.button.type === 'QUICK_REPLY' ? [i] : []));
    if (qr.length > 0 && qr[qr.length - 1]! - qr[0]! + 1 !== qr.length) {
      const gap = buttons.findIndex(
        (b, i) => i > qr[0]! && i < qr[qr.length - 1]! && b.button.type !== 'QUICK_REPLY',
      );
      const odd = buttons[gap]!.button;
      report('buttons-quick-reply-grouping', {
        path: odd.path,
        component,
        message: `a ${odd.type ?? 'non-quick-reply'} button sits between quick replies (order: ${buttons.map((b) => b.button.type ?? '?').join(', ')}); Meta rejects mixed groups`,
        fix: 'put all QUICK_REPLY buttons together, before or after the other buttons',
      });
    }

    for (const { button: b } of buttons) {
      const rawType = b.raw.type;
      if (b.type !== undefined && UNSUPPORTED.has(b.type)) {
        report('type-unsupported', {
          path: `${b.path}.type`,
          component,
          message: `${b.type} buttons are not checked by this linter nor sent by Recontact`,
          fix: 'lint and preview this template in WhatsApp Manager',
        });
        continue;
      }
      if (b.type === undefined || !KNOWN.has(b.type)) {
        const upper = b.type?.trim().toUpperCase();
        report('button-type', {
          path: `${b.path}.type`,
          component,
          message:
            rawType === undefined
              ? `button ${b.index} has no type`
              : `button type ${typeof rawType === 'string' ? JSON.stringify(rawType) : describe(rawType)} is not one of ${BUTTON_TYPES.join(', ')}`,
          fix:
            upper && KNOWN.has(upper)
              ? `write type: ${upper} (upper case)`
              : `set type to one of ${BUTTON_TYPES.join(', ')}`,
        });
        continue;
      }

      // Label
      const text = b.text;
      if (TEXT_REQUIRED.has(b.type) && (text === undefined || text.trim() === '') && b.raw.text === b.text) {
        report('button-text-required', {
          path: `${b.path}.text`,
          component,
          message: `the ${b.type} button has ${text === undefined ? 'no label (text)' : 'an empty label'}`,
          fix: `write a label of at most ${BUTTON_TEXT_MAX_LENGTH} characters, e.g. "Confirmar"`,
        });
      }
      if (text !== undefined) {
        const length = charCount(text);
        if (length > BUTTON_TEXT_MAX_LENGTH) {
          report('button-text-max-length', {
            path: `${b.path}.text`,
            component,
            message: `button label ${quote(text)} is ${length} characters; Meta allows at most ${BUTTON_TEXT_MAX_LENGTH}`,
            fix: `shorten the label by ${plural(length - BUTTON_TEXT_MAX_LENGTH, 'character')}`,
          });
        }
        const vars = parseVariables(text);
        if (vars.length > 0) {
          report('button-text-variables', {
            path: `${b.path}.text`,
            component,
            message: `button label ${quote(text)} contains ${vars.map((v) => v.raw).join(', ')}; labels are fixed text`,
            fix:
              b.type === 'QUICK_REPLY'
                ? 'write a fixed label; per-message data belongs in the button payload, given at send time'
                : 'write a fixed label',
          });
        }
      }

      if (b.type === 'URL') {
        const url = b.url;
        if (url === undefined) {
          if (b.raw.url === undefined)
            report('button-url-format', {
              path: `${b.path}.url`,
              component,
              message: 'the URL button has no url',
              fix: 'add url: an https:// address, optionally ending with {{1}}',
            });
          continue;
        }
        const vars = parseVariables(url);
        if (!httpUrl(url.replace(/\{\{[^{}]*\}\}/g, 'x'))) {
          report('button-url-format', {
            path: `${b.path}.url`,
            component,
            message: `url ${quote(url, 60)} is not an absolute http(s) address`,
            fix: 'write the full address, starting with https://',
          });
        }
        const length = charCount(url);
        if (length > URL_MAX_LENGTH) {
          report('button-url-max-length', {
            path: `${b.path}.url`,
            component,
            message: `url is ${num(length)} characters; Meta allows at most ${num(URL_MAX_LENGTH)}`,
            fix: 'use a shorter address (a redirect on your domain)',
          });
        }
        if (vars.length > 1) {
          report('button-url-variable', {
            path: `${b.path}.url`,
            component,
            message: `url has ${vars.length} variables (${vars.map((v) => v.raw).join(', ')}); Meta allows one, at the end`,
            fix: 'keep one {{1}} at the end and encode the rest into it at send time',
          });
        } else if (vars.length === 1) {
          const v = vars[0]!;
          if (v.end !== url.length) {
            report('button-url-variable', {
              path: `${b.path}.url`,
              component,
              message: `url variable ${v.raw} is followed by ${quote(url.slice(v.end))}; Meta only appends a suffix at the very end`,
              fix: url.includes('?')
                ? `move ${v.raw} to the end of the url; Meta appends the value given at send time there`
                : `move ${v.raw} to the end, e.g. ${quote(`${(url.slice(0, v.start) + url.slice(v.end)).replace(/([^:/])\/{2,}/g, '$1/').replace(/\/?$/, '/')}{{1}}`, 80)}`,
            });
          } else if (v.raw !== '{{1}}') {
            report('button-url-variable', {
              path: `${b.path}.url`,
              component,
              message: `url variable is ${v.raw}; a button url takes the positional {{1}}`,
              fix: `write ${quote(url.slice(0, v.start) + '{{1}}', 60)}`,
            });
          }
          const example = b.raw.example;
          const sample = Array.isArray(example) ? example[0] : undefined;
          if (
            !Array.isArray(example) ||
            example.length !== 1 ||
            typeof sample !== 'string' ||
            !httpUrl(sample) ||
            sample.includes('{{')
          ) {
            const fullExample = `${url.slice(0, v.start)}abc123`;
            report('button-url-example', {
              path: `${b.path}.example`,
              component,
              message:
                example === undefined
                  ? 'the url has a variable but no example'
                  : typeof example === 'string'
                    ? 'example is a string; Meta expects a list holding one full URL'
                    : typeof sample === 'string' && Array.isArray(example) && example.length === 1
                      ? `example ${quote(sample, 60)} is not a full URL`
                      : `example is ${describe(example)}; Meta expects a list holding one full sample URL`,
              fix: `add example: [${JSON.stringify(fullExample)}] (the whole URL with a sample value, not only the suffix)`,
            });
          }
        }
      }

      if (b.type === 'PHONE_NUMBER') {
        const phone = b.phoneNumber;
        if (phone === undefined && b.raw.phone_number !== undefined) continue; // template-shape
        const compact = phone?.replace(/[\s\-().]/g, '') ?? '';
        if (!E164.test(compact)) {
          report('button-phone-format', {
            path: `${b.path}.phone_number`,
            component,
            message:
              phone === undefined
                ? 'the PHONE_NUMBER button has no phone_number'
                : `phone_number ${quote(phone)} is not an international number`,
            fix: 'write the number in E.164 form: +, country code and number, e.g. "+5491155550123"',
          });
        }
      }

      if (b.type === 'COPY_CODE') {
        const example = b.raw.example;
        const code = typeof example === 'string' ? example : undefined;
        if (code === undefined || code.trim() === '' || charCount(code) > COPY_CODE_MAX_LENGTH) {
          report('button-copy-code-example', {
            path: `${b.path}.example`,
            component,
            message:
              code === undefined
                ? example === undefined
                  ? 'the COPY_CODE button has no sample code (example)'
                  : `example is ${describe(example)}, not a code`
                : code.trim() === ''
                  ? 'the sample code is empty'
                  : `sample code ${quote(code)} is ${charCount(code)} characters; Meta allows at most ${COPY_CODE_MAX_LENGTH}`,
            fix: `write example: a sample code of 1 to ${COPY_CODE_MAX_LENGTH} characters, e.g. TAXI10`,
          });
        }
      }

      if (b.type === 'OTP') {
        const otpType = b.raw.otp_type;
        if (typeof otpType !== 'string' || !(OTP_TYPES as readonly string[]).includes(otpType)) {
          report('button-otp-type', {
            path: `${b.path}.otp_type`,
            component,
            message:
              otpType === undefined
                ? 'the OTP button has no otp_type'
                : `otp_type ${typeof otpType === 'string' ? JSON.stringify(otpType) : describe(otpType)} is not one of ${OTP_TYPES.join(', ')}`,
            fix: 'set otp_type: COPY_CODE (or ONE_TAP / ZERO_TAP with the app details Meta requires)',
          });
        }
      }
    }
  },
};
