/**
 * Messenger's own rules for a page's Utility Messages (reference/messenger-platform.md §2.4),
 * checked only when the templates are for a Messenger page (LintOptions.channel): the same file
 * may hold a WhatsApp number's templates, which these rules do not concern.
 *   - Only UTILITY exists on a page: marketing goes through Meta's paid ads API, and there are no
 *     authentication templates.
 *   - Buttons: POSTBACK, URL and PHONE_NUMBER are what a page's template takes; Recontact writes
 *     a QUICK_REPLY button as a POSTBACK (its payload given at send time, as on WhatsApp), and
 *     COPY_CODE, OTP, FLOW and the other WhatsApp-only kinds have no Messenger form.
 *   - Headers: TEXT or IMAGE; video, document and location headers have no Messenger form.
 *   - No carousels or limited-time offers.
 */
import { allButtons, componentsOfType } from './shape';
import type { RuleGroup } from './types';

const BUTTONS_ON_A_PAGE = new Set(['QUICK_REPLY', 'POSTBACK', 'URL', 'PHONE_NUMBER']);
const HEADERS_ON_A_PAGE = new Set(['TEXT', 'IMAGE']);
const WHATSAPP_ONLY_COMPONENTS = new Set(['CAROUSEL', 'LIMITED_TIME_OFFER', 'CALL_PERMISSION_REQUEST']);

export const messengerGroup: RuleGroup = {
  name: 'messenger',
  rules: [
    {
      id: 'messenger-category-utility',
      severity: 'error',
      description: 'On a Messenger page, a template is a Utility Message: its category is UTILITY.',
      metaCode: 100,
    },
    {
      id: 'messenger-button-type',
      severity: 'error',
      description:
        'On a Messenger page, buttons are QUICK_REPLY (sent as POSTBACK), POSTBACK, URL or PHONE_NUMBER.',
      metaCode: 2018416,
    },
    {
      id: 'messenger-header-format',
      severity: 'error',
      description: 'On a Messenger page, a header is TEXT or IMAGE.',
    },
    {
      id: 'messenger-component-type',
      severity: 'error',
      description: 'On a Messenger page, a template has no carousel, limited-time offer or call permission.',
    },
  ],
  check({ t, opts, report }) {
    if (opts.channel !== 'messenger' || !t.raw) return;
    if (t.category !== undefined && t.category !== 'UTILITY') {
      report('messenger-category-utility', {
        path: 'category',
        message: `category is ${t.category}, but a Messenger page sends only Utility Messages`,
        fix: 'make it a UTILITY template (an update the person asked for, with no promotion); a promotion goes as free-form text while their 24-hour window is open',
      });
    }
    for (const { comp, button } of allButtons(t)) {
      if (button.type === undefined || BUTTONS_ON_A_PAGE.has(button.type)) continue;
      report('messenger-button-type', {
        path: `${button.path}.type`,
        component: comp.type,
        message: `a ${button.type} button has no Messenger form`,
        fix: 'use QUICK_REPLY (the person taps it and its payload comes back as a postback), URL or PHONE_NUMBER',
      });
    }
    for (const comp of componentsOfType(t, 'HEADER')) {
      if (comp.format === undefined || HEADERS_ON_A_PAGE.has(comp.format)) continue;
      report('messenger-header-format', {
        path: `${comp.path}.format`,
        component: 'HEADER',
        message: `a ${comp.format} header has no Messenger form`,
        fix: 'use a TEXT or an IMAGE header, or none',
      });
    }
    for (const comp of t.components) {
      if (comp.type === undefined || !WHATSAPP_ONLY_COMPONENTS.has(comp.type)) continue;
      report('messenger-component-type', {
        path: `${comp.path}.type`,
        message: `a ${comp.type} component exists on WhatsApp only`,
        fix: 'keep this template for the WhatsApp number, and write the page a plain utility template',
      });
    }
  },
};
