/** Category: one of Meta's three, and the buttons each category may (or must) carry. */
import { allButtons } from './shape';
import type { RuleGroup } from './types';
import { describe } from './util';

export const CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION'] as const;
const VALID = new Set<string>(CATEGORIES);

/** Meta's pre-2023 categories and what they became. */
const LEGACY: Readonly<Record<string, string>> = {
  OTP: 'AUTHENTICATION',
  TRANSACTIONAL: 'UTILITY',
  ACCOUNT_UPDATE: 'UTILITY',
  PAYMENT_UPDATE: 'UTILITY',
  PERSONAL_FINANCE_UPDATE: 'UTILITY',
  SHIPPING_UPDATE: 'UTILITY',
  RESERVATION_UPDATE: 'UTILITY',
  ISSUE_RESOLUTION: 'UTILITY',
  APPOINTMENT_UPDATE: 'UTILITY',
  TRANSPORTATION_UPDATE: 'UTILITY',
  TICKET_UPDATE: 'UTILITY',
  ALERT_UPDATE: 'UTILITY',
  AUTO_REPLY: 'UTILITY',
};

export const categoryGroup: RuleGroup = {
  name: 'category',
  rules: [
    {
      id: 'category-valid',
      severity: 'error',
      description: 'The category is MARKETING, UTILITY or AUTHENTICATION.',
    },
    {
      id: 'authentication-otp-button',
      severity: 'error',
      description: 'An AUTHENTICATION template has exactly one OTP button.',
    },
    {
      id: 'button-otp-category',
      severity: 'error',
      description: 'OTP buttons are allowed only in AUTHENTICATION templates.',
    },
    {
      id: 'button-copy-code-category',
      severity: 'warning',
      description:
        'COPY_CODE (coupon) buttons belong to MARKETING templates [3rd-party: utility cannot use them].',
    },
  ],
  check({ t, report }) {
    if (!t.raw) return;
    const raw = t.raw.category;
    const category = t.category;
    if (category === undefined || !VALID.has(category)) {
      const upper = category?.trim().toUpperCase();
      const suggestion = upper && (VALID.has(upper) ? upper : LEGACY[upper]);
      report('category-valid', {
        path: 'category',
        message:
          raw === undefined
            ? 'the template has no category'
            : `category ${typeof raw === 'string' ? JSON.stringify(raw) : describe(raw)} is not one of ${CATEGORIES.join(', ')}`,
        fix: suggestion
          ? `write category: ${suggestion}`
          : 'set category: UTILITY for updates about something the user asked for, MARKETING for offers and news, AUTHENTICATION for one-time codes',
      });
    }
    const buttons = allButtons(t);
    const otp = buttons.filter((b) => b.button.type === 'OTP');
    if (category === 'AUTHENTICATION' && otp.length !== 1) {
      report('authentication-otp-button', {
        path: otp[1]?.button.path ?? 'components',
        component: otp.length > 1 ? 'BUTTONS' : undefined,
        message: `the AUTHENTICATION template has ${otp.length} OTP buttons; Meta requires exactly one`,
        fix:
          otp.length === 0
            ? 'add a BUTTONS component with { type: OTP, otp_type: COPY_CODE }'
            : 'keep a single OTP button',
      });
    }
    if (category !== undefined && category !== 'AUTHENTICATION') {
      for (const { button } of otp) {
        report('button-otp-category', {
          path: `${button.path}.type`,
          component: 'BUTTONS',
          message: `OTP buttons are only allowed in AUTHENTICATION templates; this one is ${category}`,
          fix: 'move the one-time code to an AUTHENTICATION template, or use a COPY_CODE button for a coupon',
        });
      }
    }
    if (category === 'UTILITY' || category === 'AUTHENTICATION') {
      for (const { button } of buttons.filter((b) => b.button.type === 'COPY_CODE')) {
        report('button-copy-code-category', {
          path: `${button.path}.type`,
          component: 'BUTTONS',
          message: `a COPY_CODE (coupon) button in a ${category} template; BSPs report Meta accepts it in MARKETING only`,
          fix: 'make the template MARKETING, or drop the coupon button',
        });
      }
    }
  },
};
