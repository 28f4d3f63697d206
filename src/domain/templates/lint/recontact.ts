/**
 * Recontact's own warnings (never errors): Meta would accept these templates, but they defeat
 * the purpose of a re-contact message, which is to get an answer that reopens the 24-hour window.
 */
import { parseVariables } from '../variables';
import { allButtons, componentsOfType } from './shape';
import type { RuleGroup } from './types';
import { quote, wordPattern } from './util';

/** Quick-reply labels that read as "stop sending me this" (matched case-insensitively, whole words). */
// biome-ignore format: word list
export const OPT_OUT_WORDS: readonly string[] = [
  // en
  'stop', 'unsubscribe', 'opt out', 'opt-out', 'no more', 'no thanks', 'not interested', 'remove me',
  // es
  'baja', 'darme de baja', 'dar de baja', 'no quiero', 'no me interesa', 'no más', 'no mas', 'no enviar',
  'desuscribir', 'desuscribirme', 'cancelar suscripción', 'parar',
  // pt
  'sair', 'não quero', 'nao quero', 'descadastrar', 'não tenho interesse', 'cancelar inscrição',
  // fr, it, de
  'désabonner', 'me désabonner', 'désinscrire', 'arrêter', 'disiscriviti', 'abmelden',
];

/** Wording that makes Meta recategorise a UTILITY template as MARKETING (any language). */
// biome-ignore format: word list
export const PROMOTIONAL_WORDS: readonly string[] = [
  // en
  'discount', 'discounts', 'promo', 'promos', 'promotion', 'promotions', 'promotional', 'coupon', 'coupons',
  'special offer', 'limited offer', 'exclusive offer', 'limited time', 'buy one get one', 'for free',
  'free shipping', 'black friday', 'cyber monday',
  // es
  'descuento', 'descuentos', 'oferta', 'ofertas', 'promoción', 'promociones', 'promocional', 'gratis',
  'cupón', 'cupones', 'rebaja', 'rebajas', 'liquidación', '2x1', 'por tiempo limitado', 'envío gratis',
  // pt
  'desconto', 'descontos', 'promoção', 'promoções', 'grátis', 'cupom', 'cupons', 'frete grátis',
];

/** English-only words that are ordinary verbs elsewhere ("sale" is "goes out" in Spanish). */
const PROMOTIONAL_WORDS_EN: readonly string[] = ['sale', 'free'];

const OPT_OUT = wordPattern(OPT_OUT_WORDS);
const PROMOTIONAL = wordPattern(PROMOTIONAL_WORDS);
const PROMOTIONAL_EN = wordPattern(PROMOTIONAL_WORDS_EN);
const PERCENT_OFF = /\d+\s?%\s*(?:off|dto|de descuento|de desconto)(?![\p{L}\p{N}])/iu;
/** Harmless English uses of "free". */
const FREE_IDIOMS =
  /\b(?:feel free|toll[- ]free|hands[- ]free|free to (?:reply|answer|ask|contact|call))\b/gi;
/** ?, ¿ (Spanish opening mark), fullwidth ？ and Arabic ؟. */
const QUESTION = /[?¿？؟]/;
const TEXTUAL = /[\p{L}\p{N}\p{Extended_Pictographic}]/u;

export function isOptOutLabel(text: string): boolean {
  return OPT_OUT.test(text);
}

/** The promotional word found in a text, if any. */
export function promotionalWord(text: string, language?: string): string | undefined {
  const m = PERCENT_OFF.exec(text) ?? PROMOTIONAL.exec(text);
  if (m) return m[0];
  if (language === undefined || language === 'en' || language.startsWith('en_')) {
    const en = PROMOTIONAL_EN.exec(text.replace(FREE_IDIOMS, ' '));
    if (en) return en[0];
  }
  return undefined;
}

export const recontactGroup: RuleGroup = {
  name: 'recontact',
  rules: [
    {
      id: 'recontact-reply-invite',
      severity: 'warning',
      description:
        'Nothing invites an answer: no QUICK_REPLY button and no question (? or ¿…?) in the body; only a reply reopens the window.',
    },
    {
      id: 'recontact-marketing-opt-out',
      severity: 'warning',
      description:
        'A MARKETING template without an opt-out quick reply (Stop, Darme de baja, No quiero…): users block or report instead.',
    },
    {
      id: 'recontact-utility-promotional',
      severity: 'warning',
      description:
        'A UTILITY template with promotional wording (descuento, % off, oferta, gratis, free…): Meta would recategorise it as MARKETING.',
    },
    {
      id: 'recontact-variable-only-sentence',
      severity: 'warning',
      description:
        'A body sentence or line that is only a variable: low value to the reader and a common "floating parameter" rejection.',
    },
  ],
  check({ t, report }) {
    const category = t.category;
    const buttons = allButtons(t);
    const quickReplies = buttons.filter((b) => b.button.type === 'QUICK_REPLY');
    const bodies = componentsOfType(t, 'BODY').filter((c) => c.text !== undefined && c.text.trim() !== '');
    const body = bodies[0];

    if (
      body &&
      category !== 'AUTHENTICATION' &&
      quickReplies.length === 0 &&
      !QUESTION.test(body.text ?? '')
    ) {
      report('recontact-reply-invite', {
        path: `${body.path}.text`,
        component: 'BODY',
        message:
          'nothing invites an answer: no QUICK_REPLY button and no question in the body; the window reopens only when the user replies',
        fix: 'end the body with a question (e.g. "¿Querés que sigamos por acá?") or add QUICK_REPLY buttons',
      });
    }

    if (category === 'MARKETING' && !quickReplies.some((b) => isOptOutLabel(b.button.text ?? ''))) {
      report('recontact-marketing-opt-out', {
        path: buttons[0] ? `${buttons[0].comp.path}.buttons` : 'components',
        component: buttons[0] ? 'BUTTONS' : undefined,
        message: `the MARKETING template has no opt-out quick reply${quickReplies.length ? ` (quick replies: ${quickReplies.map((b) => quote(b.button.text ?? '')).join(', ')})` : ''}`,
        fix: 'add a QUICK_REPLY such as "No quiero promociones" or "Stop promotions": users who cannot opt out block or report the number, which lowers its quality rating',
      });
    }

    if (category === 'UTILITY') {
      const texts: Array<{ path: string; component: string; text: string }> = [];
      for (const c of t.components) {
        if (c.text !== undefined && c.type)
          texts.push({ path: `${c.path}.text`, component: c.type, text: c.text });
      }
      for (const { button } of buttons) {
        if (button.text !== undefined)
          texts.push({ path: `${button.path}.text`, component: 'BUTTONS', text: button.text });
      }
      for (const x of texts) {
        const word = promotionalWord(x.text, t.language);
        if (word) {
          report('recontact-utility-promotional', {
            path: x.path,
            component: x.component,
            message: `the UTILITY template reads as promotional (${JSON.stringify(word)}); Meta would recategorise it as MARKETING or reject it (INCORRECT_CATEGORY)`,
            fix: 'remove the promotional wording, or make it a MARKETING template with an opt-out quick reply',
          });
          break;
        }
      }
    }

    for (const c of bodies) {
      const text = c.text ?? '';
      const sentence = text
        .split(/[.!?¡¿…\n]+/)
        .find((s) => parseVariables(s).length > 0 && !TEXTUAL.test(s.replace(/\{\{[^{}]*\}\}/g, ' ')));
      if (sentence !== undefined) {
        report('recontact-variable-only-sentence', {
          path: `${c.path}.text`,
          component: 'BODY',
          message: `the sentence ${quote(sentence.trim())} is only ${parseVariables(sentence).length > 1 ? 'variables' : 'a variable'}; the reader gets no context and Meta often rejects such "floating" parameters`,
          fix: 'wrap the variable in words that say what it is, e.g. "Tu turno: {{1}}"',
        });
      }
    }
  },
};
