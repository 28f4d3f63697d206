/** Template language: a code from Meta's list of supported template languages. */
import type { RuleGroup } from './types';
import { describe } from './util';

/**
 * Meta's supported template languages as listed in our reference (whatsapp-cloud-api.md §3.3,
 * from pywa's TemplateLanguage), plus regional codes seen in a BSP's May 2026 mirror of Meta's
 * "supported languages" page [3rd-party]: ar_AE, ar_LB, ar_MA, ar_QA, be_BY, bn_IN, prs_AF,
 * nl_BE, en_AE, en_GH.
 */
// biome-ignore format: one list of many short codes
export const META_LANGUAGES: readonly string[] = [
  'af', 'sq', 'ar', 'ar_EG', 'az', 'bn', 'bg', 'ca', 'zh_CN', 'zh_HK', 'zh_TW', 'hr', 'cs', 'da', 'nl',
  'en', 'en_GB', 'en_US', 'en_AU', 'en_CA', 'en_IN', 'et', 'fil', 'fi', 'fr', 'fr_CA', 'de', 'el', 'gu',
  'ha', 'he', 'hi', 'hu', 'id', 'ga', 'it', 'ja', 'kn', 'kk', 'rw_RW', 'ko', 'ky_KG', 'lo', 'lv', 'lt',
  'mk', 'ms', 'ml', 'mr', 'nb', 'fa', 'pl', 'pt_BR', 'pt_PT', 'pa', 'ro', 'ru', 'sr', 'sk', 'sl', 'es',
  'es_AR', 'es_ES', 'es_MX', 'es_CL', 'es_CO', 'es_PE', 'es_VE', 'sw', 'sv', 'ta', 'te', 'th', 'tr', 'uk',
  'ur', 'uz', 'vi', 'zu',
  // [3rd-party] BSP mirror of Meta's list, May 2026
  'ar_AE', 'ar_LB', 'ar_MA', 'ar_QA', 'be_BY', 'bn_IN', 'prs_AF', 'nl_BE', 'en_AE', 'en_GH',
];

/**
 * Regional codes recalled from Meta's newer list but not confirmed by any source we hold
 * [UNCONFIRMED]: accepted with a warning rather than rejected.
 */
// biome-ignore format: one list of many short codes
export const UNCONFIRMED_LANGUAGES: readonly string[] = [
  'ka', 'en_IE', 'en_JM', 'en_MY', 'en_NZ', 'en_QA', 'en_SG', 'en_UG', 'en_ZA', 'es_CR', 'es_DO', 'es_EC',
  'es_HN', 'es_PA', 'es_UY', 'fr_BE', 'fr_CH', 'fr_CI', 'fr_MA', 'de_AT', 'de_CH', 'it_CH',
];

const KNOWN = new Set(META_LANGUAGES);
const RECALLED = new Set(UNCONFIRMED_LANGUAGES);

/** "es-ar" → "es_AR", "EN_us" → "en_US": the spelling Meta expects, if the code is known. */
export function suggestLanguage(code: string): string | undefined {
  const m = /^([a-zA-Z]{2,3})(?:[-_ ]([a-zA-Z]{2}))?$/.exec(code.trim());
  if (!m) return undefined;
  const candidate = m[2] ? `${m[1]!.toLowerCase()}_${m[2].toUpperCase()}` : m[1]!.toLowerCase();
  return KNOWN.has(candidate) || RECALLED.has(candidate) ? candidate : undefined;
}

export const languageGroup: RuleGroup = {
  name: 'language',
  rules: [
    {
      id: 'language-code',
      severity: 'error',
      description: "The language is a code from Meta's list of template languages (es_AR, en_US, pt_BR…).",
    },
    {
      id: 'language-code-unconfirmed',
      severity: 'warning',
      description:
        "The language is a regional code recalled from Meta's newer list but not confirmed [UNCONFIRMED].",
    },
  ],
  check({ t, opts, report }) {
    if (!t.raw) return;
    const lang = t.raw.language;
    if (typeof lang !== 'string' || lang === '') {
      report('language-code', {
        path: 'language',
        message: lang === undefined ? 'the template has no language' : `language is ${describe(lang)}`,
        fix: "add language: a code from Meta's list, e.g. es_AR, en_US, pt_BR",
      });
      return;
    }
    if (KNOWN.has(lang) || opts.languages?.includes(lang)) return;
    if (RECALLED.has(lang)) {
      report('language-code-unconfirmed', {
        path: 'language',
        message: `language ${JSON.stringify(lang)} is not in the list of Meta template languages we could confirm`,
        fix: `check that Meta lists ${lang} for templates, or use the base language (${lang.split('_')[0]})`,
      });
      return;
    }
    const suggestion = suggestLanguage(lang);
    report('language-code', {
      path: 'language',
      message: `language ${JSON.stringify(lang)} is not one of Meta's template language codes`,
      fix: suggestion
        ? `write ${JSON.stringify(suggestion)} (Meta's codes use an underscore: language_REGION)`
        : "use a code from Meta's list, e.g. es, es_AR, en_US, pt_BR; if Meta added it recently, pass it as an extra accepted language",
    });
  },
};
