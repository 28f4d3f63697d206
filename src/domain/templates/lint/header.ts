/** HEADER: a valid format; TEXT headers ≤ 60 characters with one variable at most; media needs a sample. */
import { parseVariables } from '../variables';
import { componentsOfType } from './shape';
import type { RuleGroup } from './types';
import { charCount, describe, num, plural } from './util';

export const HEADER_MAX_LENGTH = 60;
export const HEADER_FORMATS = ['TEXT', 'IMAGE', 'VIDEO', 'GIF', 'DOCUMENT', 'LOCATION'] as const;
export const MEDIA_HEADER_FORMATS = ['IMAGE', 'VIDEO', 'GIF', 'DOCUMENT'] as const;

const FORMATS = new Set<string>(HEADER_FORMATS);
const MEDIA = new Set<string>(MEDIA_HEADER_FORMATS);

export const headerGroup: RuleGroup = {
  name: 'header',
  rules: [
    {
      id: 'header-format',
      severity: 'error',
      description: 'A HEADER has a format: TEXT, IMAGE, VIDEO, GIF, DOCUMENT or LOCATION.',
    },
    { id: 'header-text-required', severity: 'error', description: 'A TEXT header has a non-empty text.' },
    {
      id: 'header-max-length',
      severity: 'error',
      description: `A TEXT header is at most ${HEADER_MAX_LENGTH} characters.`,
      metaCode: 2388040,
    },
    { id: 'header-variables', severity: 'error', description: 'A TEXT header holds at most one variable.' },
    {
      id: 'header-media-example',
      severity: 'error',
      description: 'An IMAGE, VIDEO, GIF or DOCUMENT header has a sample in example.header_handle.',
    },
    {
      id: 'header-text-not-allowed',
      severity: 'error',
      description: 'Media and LOCATION headers take no text (the media or location is given at send time).',
    },
  ],
  check({ t, report }) {
    for (const comp of componentsOfType(t, 'HEADER')) {
      const component = 'HEADER';
      const rawFormat = comp.raw.format;
      const format = comp.format;
      if (format === 'PRODUCT') {
        report('type-unsupported', {
          path: `${comp.path}.format`,
          component,
          message: 'PRODUCT headers (catalog templates) are not checked by this linter nor sent by Recontact',
          fix: 'lint and preview this template in WhatsApp Manager',
        });
        continue;
      }
      if (format === undefined || !FORMATS.has(format)) {
        const upper = format?.trim().toUpperCase();
        report('header-format', {
          path: `${comp.path}.format`,
          component,
          message:
            rawFormat === undefined
              ? 'the HEADER has no format'
              : `header format ${typeof rawFormat === 'string' ? JSON.stringify(rawFormat) : describe(rawFormat)} is not one of ${HEADER_FORMATS.join(', ')}`,
          fix:
            upper && FORMATS.has(upper)
              ? `write format: ${upper} (upper case)`
              : comp.text !== undefined
                ? 'add format: TEXT'
                : `set format to one of ${HEADER_FORMATS.join(', ')}`,
        });
      }
      if (format === 'TEXT' || (format === undefined && comp.text !== undefined)) {
        const text = comp.text ?? '';
        if (text.trim() === '') {
          report('header-text-required', {
            path: `${comp.path}.text`,
            component,
            message:
              comp.text === undefined ? 'the TEXT header has no text' : 'the TEXT header text is empty',
            fix: 'write the header text, or remove the HEADER component',
          });
          continue;
        }
        const length = charCount(text);
        if (length > HEADER_MAX_LENGTH) {
          report('header-max-length', {
            path: `${comp.path}.text`,
            component,
            message: `header is ${num(length)} characters; Meta allows at most ${HEADER_MAX_LENGTH}`,
            fix: `shorten the header by ${plural(length - HEADER_MAX_LENGTH, 'character')}, or move details to the body`,
          });
        }
        const vars = parseVariables(text);
        if (vars.length > 1) {
          report('header-variables', {
            path: `${comp.path}.text`,
            component,
            message: `header has ${vars.length} variables (${vars.map((v) => v.raw).join(', ')}); Meta allows at most one`,
            fix: 'keep one variable in the header and move the others to the body',
          });
        }
        continue;
      }
      if (format === undefined || !FORMATS.has(format)) continue;
      if (comp.text !== undefined) {
        report('header-text-not-allowed', {
          path: `${comp.path}.text`,
          component,
          message: `a ${format} header takes no text`,
          fix:
            format === 'LOCATION'
              ? 'remove text; the location (latitude, longitude, name, address) is given when sending'
              : `remove text; the ${format.toLowerCase()} is the header, put the words in the body`,
        });
      }
      if (MEDIA.has(format)) {
        const handles = comp.example?.header_handle;
        const ok =
          Array.isArray(handles) &&
          handles.length > 0 &&
          handles.every((h) => typeof h === 'string' && h.trim() !== '');
        if (!ok) {
          report('header-media-example', {
            path: `${comp.path}.example.header_handle`,
            component,
            message:
              handles === undefined
                ? `the ${format} header has no sample (example.header_handle)`
                : `example.header_handle is ${describe(handles)}, not a list of sample handles`,
            fix: `add example: { header_handle: ["<upload handle or sample URL of a ${format.toLowerCase()}>"] }`,
          });
        }
      }
    }
  },
};
