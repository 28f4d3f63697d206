import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Finding, lintTemplate, lintTemplates, RULES } from './lint';

// ---------------------------------------------------------------------------------------------
// Builders: plain objects, because most cases are deliberately not valid TemplateDefinitions.
// ---------------------------------------------------------------------------------------------
type Obj = Record<string, unknown>;

const QUESTION_BODY =
  'Hola {{1}}, te recordamos tu turno del {{2}} en SaludCenter. ¿Podés confirmar tu asistencia?';
/** `null` as example means "no example" (undefined would pick the default). */
const body = (
  text = QUESTION_BODY,
  example: unknown = { body_text: [['Emilia', 'lunes 3 de marzo']] },
): Obj => (example === null ? { type: 'BODY', text } : { type: 'BODY', text, example });
const buttons = (...list: Obj[]): Obj => ({ type: 'BUTTONS', buttons: list });
const qr = (text: string): Obj => ({ type: 'QUICK_REPLY', text });
const confirmCancel = (): Obj => buttons(qr('Confirmar'), qr('Cancelar'));
const url = (
  u = 'https://saludcenter.example/turnos/{{1}}',
  example: unknown = ['https://saludcenter.example/turnos/abc123'],
): Obj =>
  example === null
    ? { type: 'URL', text: 'Ver turno', url: u }
    : { type: 'URL', text: 'Ver turno', url: u, example };
const phone = (n = '+5491155550123'): Obj => ({ type: 'PHONE_NUMBER', text: 'Llamar', phone_number: n });
const textHeader = (text: string, example?: unknown): Obj =>
  example === undefined
    ? { type: 'HEADER', format: 'TEXT', text }
    : { type: 'HEADER', format: 'TEXT', text, example };
const footer = (text: string): Obj => ({ type: 'FOOTER', text });

const utility = (components: unknown[] = [body(), confirmCancel()], extra: Obj = {}): Obj => ({
  name: 'appointment_reminder',
  language: 'es_AR',
  category: 'UTILITY',
  components,
  ...extra,
});
const marketing = (components: unknown[], extra: Obj = {}): Obj =>
  utility(components, { name: 'taxi_discount', category: 'MARKETING', ...extra });
const optOut = (): Obj => qr('No quiero promociones');
const authentication = (btns: Obj[] = [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copiar código' }]): Obj =>
  utility(
    [
      body('Tu código de verificación es {{1}}. No lo compartas con nadie.', { body_text: [['123456']] }),
      buttons(...btns),
    ],
    { name: 'login_code', category: 'AUTHENTICATION' },
  );
const named = (text: string, params: Array<[string, string]>, extra: Obj = {}): Obj =>
  utility(
    [
      body(text, {
        body_text_named_params: params.map(([param_name, example]) => ({ param_name, example })),
      }),
      confirmCancel(),
    ],
    { parameter_format: 'NAMED', ...extra },
  );
/** A body of exactly n characters, with a question and no variables. */
const bodyOfLength = (n: number): Obj => body(`¿Hola? ${'x'.repeat(n - 7)}`, null);
const urlOfLength = (n: number): string => `https://saludcenter.example/${'a'.repeat(n - 28)}`;

// ---------------------------------------------------------------------------------------------
// One row per case: `ok: false` must report `rule`; `ok: true` must not report it and must be
// free of errors (so passing cases are realistic near-misses, not broken templates).
// ---------------------------------------------------------------------------------------------
interface Case {
  rule: string;
  ok: boolean;
  name: string;
  def?: unknown;
  defs?: unknown[];
  /** Substrings the failing finding's message (or fix) must contain. */
  says?: string[];
  /** The channel the template is for (a Messenger page adds its own rules). */
  channel?: 'messenger';
}

const base = utility();

const CASES: Case[] = [
  // shape
  { rule: 'template-shape', ok: false, name: 'entry is a string', def: 'appointment_reminder' },
  { rule: 'template-shape', ok: false, name: 'components is an object', def: utility(body() as never) },
  {
    rule: 'template-shape',
    ok: false,
    name: 'components missing',
    def: { name: 'a', language: 'es', category: 'UTILITY' },
  },
  {
    rule: 'template-shape',
    ok: false,
    name: 'YAML number as phone',
    def: utility([
      body(),
      buttons(qr('Sí'), { type: 'PHONE_NUMBER', text: 'Llamar', phone_number: 5491155550123 }),
    ]),
    says: ['quotes'],
  },
  {
    rule: 'template-shape',
    ok: false,
    name: 'body text is a number',
    def: utility([{ type: 'BODY', text: 42 }, confirmCancel()]),
  },
  { rule: 'template-shape', ok: true, name: 'well-formed', def: base },
  // name
  { rule: 'name-required', ok: false, name: 'no name', def: utility(undefined, { name: undefined }) },
  { rule: 'name-required', ok: false, name: 'empty name', def: utility(undefined, { name: '' }) },
  { rule: 'name-required', ok: true, name: 'has a name', def: base },
  {
    rule: 'name-charset',
    ok: false,
    name: 'spaces and capitals',
    def: utility(undefined, { name: 'Appointment Reminder' }),
    says: ['"appointment_reminder"'],
  },
  {
    rule: 'name-charset',
    ok: false,
    name: 'hyphen',
    def: utility(undefined, { name: 'appointment-reminder' }),
  },
  {
    rule: 'name-charset',
    ok: true,
    name: 'lowercase, digits, underscore',
    def: utility(undefined, { name: 'reminder_2' }),
  },
  {
    rule: 'name-max-length',
    ok: false,
    name: '513 characters',
    def: utility(undefined, { name: 'a'.repeat(513) }),
    says: ['513', '512'],
  },
  {
    rule: 'name-max-length',
    ok: true,
    name: '512 characters',
    def: utility(undefined, { name: 'a'.repeat(512) }),
  },
  // language
  {
    rule: 'language-code',
    ok: false,
    name: 'BCP-47 hyphen',
    def: utility(undefined, { language: 'es-AR' }),
    says: ['"es_AR"'],
  },
  { rule: 'language-code', ok: false, name: 'missing', def: utility(undefined, { language: undefined }) },
  { rule: 'language-code', ok: false, name: 'unknown', def: utility(undefined, { language: 'xx_YY' }) },
  { rule: 'language-code', ok: true, name: 'pt_BR', def: utility(undefined, { language: 'pt_BR' }) },
  {
    rule: 'language-code-unconfirmed',
    ok: false,
    name: 'en_ZA',
    def: utility(undefined, { language: 'en_ZA' }),
  },
  {
    rule: 'language-code-unconfirmed',
    ok: true,
    name: 'en_US',
    def: utility(undefined, { language: 'en_US' }),
  },
  // category
  {
    rule: 'category-valid',
    ok: false,
    name: 'legacy TRANSACTIONAL',
    def: utility(undefined, { category: 'TRANSACTIONAL' }),
    says: ['UTILITY'],
  },
  {
    rule: 'category-valid',
    ok: false,
    name: 'lower case',
    def: utility(undefined, { category: 'utility' }),
    says: ['category: UTILITY'],
  },
  { rule: 'category-valid', ok: false, name: 'missing', def: utility(undefined, { category: undefined }) },
  {
    rule: 'category-valid',
    ok: true,
    name: 'MARKETING',
    def: marketing([body(), buttons(qr('Me interesa'), optOut())]),
  },
  { rule: 'authentication-otp-button', ok: false, name: 'no OTP', def: authentication([qr('Listo')]) },
  {
    rule: 'authentication-otp-button',
    ok: false,
    name: 'two OTP',
    def: authentication([
      { type: 'OTP', otp_type: 'COPY_CODE' },
      { type: 'OTP', otp_type: 'ONE_TAP' },
    ]),
  },
  { rule: 'authentication-otp-button', ok: true, name: 'one OTP', def: authentication() },
  {
    rule: 'button-otp-category',
    ok: false,
    name: 'OTP in UTILITY',
    def: utility([body(), buttons({ type: 'OTP', otp_type: 'COPY_CODE' })]),
  },
  { rule: 'button-otp-category', ok: true, name: 'OTP in AUTHENTICATION', def: authentication() },
  {
    rule: 'button-copy-code-category',
    ok: false,
    name: 'coupon in UTILITY',
    def: utility([body(), buttons(qr('Confirmar'), { type: 'COPY_CODE', example: 'TAXI10' })]),
  },
  {
    rule: 'button-copy-code-category',
    ok: true,
    name: 'coupon in MARKETING',
    def: marketing([body(), buttons(optOut(), { type: 'COPY_CODE', example: 'TAXI10' })]),
  },
  // structure
  { rule: 'body-count', ok: false, name: 'no BODY', def: utility([footer('SaludCenter'), confirmCancel()]) },
  { rule: 'body-count', ok: false, name: 'two BODY', def: utility([body(), body(), confirmCancel()]) },
  { rule: 'body-count', ok: true, name: 'one BODY', def: base },
  {
    rule: 'component-duplicate',
    ok: false,
    name: 'two FOOTER',
    def: utility([body(), footer('a'), footer('b'), confirmCancel()]),
  },
  {
    rule: 'component-duplicate',
    ok: false,
    name: 'two BUTTONS',
    def: utility([body(), buttons(qr('Sí')), buttons(qr('No'))]),
  },
  {
    rule: 'component-duplicate',
    ok: true,
    name: 'one of each',
    def: utility([textHeader('Tu turno'), body(), footer('SaludCenter'), confirmCancel()]),
  },
  {
    rule: 'component-type',
    ok: false,
    name: 'lower-case body',
    def: utility([{ ...body(), type: 'body' }, confirmCancel()]),
    says: ['type: BODY'],
  },
  {
    rule: 'component-type',
    ok: false,
    name: 'unknown TITLE',
    def: utility([body(), { type: 'TITLE', text: 'x' }, confirmCancel()]),
  },
  {
    rule: 'component-type',
    ok: false,
    name: 'no type',
    def: utility([body(), { text: 'x' }, confirmCancel()]),
  },
  { rule: 'component-type', ok: true, name: 'known types', def: base },
  {
    rule: 'type-unsupported',
    ok: false,
    name: 'CAROUSEL component',
    def: utility([body(), { type: 'CAROUSEL', cards: [] }, confirmCancel()]),
  },
  {
    rule: 'type-unsupported',
    ok: false,
    name: 'FLOW button',
    def: utility([body(), buttons(qr('Sí'), { type: 'FLOW', text: 'Abrir' })]),
  },
  {
    rule: 'type-unsupported',
    ok: false,
    name: 'PRODUCT header',
    def: utility([{ type: 'HEADER', format: 'PRODUCT' }, body(), confirmCancel()]),
  },
  { rule: 'type-unsupported', ok: true, name: 'supported types', def: base },
  { rule: 'template-duplicate', ok: false, name: 'same name and language twice', defs: [base, base] },
  {
    rule: 'template-duplicate',
    ok: true,
    name: 'same name, two languages',
    defs: [base, utility(undefined, { language: 'en_US' })],
  },
  // header
  {
    rule: 'header-format',
    ok: false,
    name: 'AUDIO',
    def: utility([{ type: 'HEADER', format: 'AUDIO' }, body(), confirmCancel()]),
  },
  {
    rule: 'header-format',
    ok: false,
    name: 'missing format with text',
    def: utility([{ type: 'HEADER', text: 'Tu turno' }, body(), confirmCancel()]),
    says: ['format: TEXT'],
  },
  {
    rule: 'header-format',
    ok: false,
    name: 'lower case',
    def: utility([
      { type: 'HEADER', format: 'image', example: { header_handle: ['h'] } },
      body(),
      confirmCancel(),
    ]),
    says: ['format: IMAGE'],
  },
  {
    rule: 'header-format',
    ok: true,
    name: 'TEXT',
    def: utility([textHeader('Tu turno'), body(), confirmCancel()]),
  },
  {
    rule: 'header-text-required',
    ok: false,
    name: 'TEXT without text',
    def: utility([{ type: 'HEADER', format: 'TEXT' }, body(), confirmCancel()]),
  },
  {
    rule: 'header-text-required',
    ok: true,
    name: 'TEXT with text',
    def: utility([textHeader('Tu turno'), body(), confirmCancel()]),
  },
  {
    rule: 'header-max-length',
    ok: false,
    name: '61 characters',
    def: utility([textHeader('x'.repeat(61)), body(), confirmCancel()]),
    says: ['61', '60'],
  },
  {
    rule: 'header-max-length',
    ok: true,
    name: '60 characters',
    def: utility([textHeader('x'.repeat(60)), body(), confirmCancel()]),
  },
  {
    rule: 'header-variables',
    ok: false,
    name: 'two variables',
    def: utility([
      textHeader('Turno de {{1}} con {{2}}', { header_text: ['Emilia', 'Gómez'] }),
      body(),
      confirmCancel(),
    ]),
  },
  {
    rule: 'header-variables',
    ok: true,
    name: 'one variable',
    def: utility([textHeader('Turno de {{1}}', { header_text: ['Emilia'] }), body(), confirmCancel()]),
  },
  {
    rule: 'header-media-example',
    ok: false,
    name: 'IMAGE without sample',
    def: utility([{ type: 'HEADER', format: 'IMAGE' }, body(), confirmCancel()]),
  },
  {
    rule: 'header-media-example',
    ok: false,
    name: 'DOCUMENT with empty handles',
    def: utility([
      { type: 'HEADER', format: 'DOCUMENT', example: { header_handle: [] } },
      body(),
      confirmCancel(),
    ]),
  },
  {
    rule: 'header-media-example',
    ok: true,
    name: 'VIDEO with sample',
    def: utility([
      { type: 'HEADER', format: 'VIDEO', example: { header_handle: ['4::aW1h'] } },
      body(),
      confirmCancel(),
    ]),
  },
  {
    rule: 'header-text-not-allowed',
    ok: false,
    name: 'LOCATION with text',
    def: utility([{ type: 'HEADER', format: 'LOCATION', text: 'Sede centro' }, body(), confirmCancel()]),
  },
  {
    rule: 'header-text-not-allowed',
    ok: true,
    name: 'LOCATION without text',
    def: utility([{ type: 'HEADER', format: 'LOCATION' }, body(), confirmCancel()]),
  },
  // body
  {
    rule: 'body-text-required',
    ok: false,
    name: 'empty text',
    def: utility([body('  ', null), confirmCancel()]),
  },
  {
    rule: 'body-text-required',
    ok: false,
    name: 'no text',
    def: utility([{ type: 'BODY' }, confirmCancel()]),
  },
  { rule: 'body-text-required', ok: true, name: 'text', def: base },
  {
    rule: 'body-max-length',
    ok: false,
    name: '1,031 characters',
    def: utility([bodyOfLength(1031), confirmCancel()]),
    says: ['body is 1,031 characters; Meta allows at most 1,024'],
  },
  {
    rule: 'body-max-length',
    ok: true,
    name: '1,024 characters',
    def: utility([bodyOfLength(1024), confirmCancel()]),
  },
  // footer
  {
    rule: 'footer-text-required',
    ok: false,
    name: 'empty footer',
    def: utility([body(), footer(''), confirmCancel()]),
  },
  {
    rule: 'footer-text-required',
    ok: true,
    name: 'footer text',
    def: utility([body(), footer('SaludCenter'), confirmCancel()]),
  },
  {
    rule: 'footer-max-length',
    ok: false,
    name: '61 characters',
    def: utility([body(), footer('x'.repeat(61)), confirmCancel()]),
  },
  {
    rule: 'footer-max-length',
    ok: true,
    name: '60 characters',
    def: utility([body(), footer('x'.repeat(60)), confirmCancel()]),
  },
  {
    rule: 'footer-variables',
    ok: false,
    name: 'variable in footer',
    def: utility([body(), footer('Turno {{1}}'), confirmCancel()]),
  },
  {
    rule: 'footer-variables',
    ok: true,
    name: 'fixed footer',
    def: utility([body(), footer('SaludCenter · turnos'), confirmCancel()]),
  },
  // buttons
  { rule: 'buttons-empty', ok: false, name: 'empty list', def: utility([body(), buttons()]) },
  { rule: 'buttons-empty', ok: true, name: 'two buttons', def: base },
  {
    rule: 'buttons-max-total',
    ok: false,
    name: '11 buttons',
    def: utility([body(), buttons(...Array.from({ length: 10 }, (_, i) => qr(`Opción ${i + 1}`)), url())]),
    says: ['11 buttons'],
  },
  {
    rule: 'buttons-max-total',
    ok: true,
    name: '10 buttons',
    def: utility([body(), buttons(...Array.from({ length: 10 }, (_, i) => qr(`Opción ${i + 1}`)))]),
  },
  {
    rule: 'buttons-type-max',
    ok: false,
    name: '3 URL',
    def: utility([body(), buttons(qr('Sí'), url(), url(), url())]),
    says: ['3 URL buttons', 'at most 2'],
  },
  {
    rule: 'buttons-type-max',
    ok: false,
    name: '2 PHONE_NUMBER',
    def: utility([body(), buttons(qr('Sí'), phone(), phone())]),
  },
  {
    rule: 'buttons-type-max',
    ok: false,
    name: '11 QUICK_REPLY',
    def: utility([body(), buttons(...Array.from({ length: 11 }, (_, i) => qr(`Opción ${i + 1}`)))]),
  },
  {
    rule: 'buttons-type-max',
    ok: true,
    name: '2 URL + 1 phone',
    def: utility([body(), buttons(qr('Sí'), url(), url(), phone())]),
  },
  {
    rule: 'buttons-quick-reply-grouping',
    ok: false,
    name: 'QR, URL, QR',
    def: utility([body(), buttons(qr('Sí'), url(), qr('No'))]),
  },
  {
    rule: 'buttons-quick-reply-grouping',
    ok: true,
    name: 'URL, QR, QR',
    def: utility([body(), buttons(url(), qr('Sí'), qr('No'))]),
  },
  {
    rule: 'button-type',
    ok: false,
    name: 'lower case',
    def: utility([body(), buttons({ type: 'quick_reply', text: 'Sí' })]),
    says: ['type: QUICK_REPLY'],
  },
  {
    rule: 'button-type',
    ok: false,
    name: 'LINK',
    def: utility([body(), buttons(qr('Sí'), { type: 'LINK', text: 'x' })]),
  },
  {
    rule: 'button-type',
    ok: true,
    name: 'known types',
    def: utility([body(), buttons(qr('Sí'), url(), phone())]),
  },
  {
    rule: 'button-text-required',
    ok: false,
    name: 'empty quick reply',
    def: utility([body(), buttons(qr(''))]),
  },
  {
    rule: 'button-text-required',
    ok: false,
    name: 'URL without text',
    def: utility([body(), buttons(qr('Sí'), { type: 'URL', url: 'https://saludcenter.example' })]),
  },
  { rule: 'button-text-required', ok: true, name: 'labels present', def: base },
  {
    rule: 'button-text-max-length',
    ok: false,
    name: '26 characters',
    def: utility([body(), buttons(qr('x'.repeat(26)))]),
    says: ['26 characters', 'at most 25'],
  },
  {
    rule: 'button-text-max-length',
    ok: true,
    name: '25 characters',
    def: utility([body(), buttons(qr('x'.repeat(25)))]),
  },
  {
    rule: 'button-text-variables',
    ok: false,
    name: 'variable in label',
    def: utility([body(), buttons(qr('Confirmar {{1}}'))]),
  },
  { rule: 'button-text-variables', ok: true, name: 'fixed label', def: base },
  {
    rule: 'button-url-format',
    ok: false,
    name: 'no scheme',
    def: utility([body(), buttons(qr('Sí'), url('saludcenter.example/turnos', null))]),
  },
  {
    rule: 'button-url-format',
    ok: false,
    name: 'no url',
    def: utility([body(), buttons(qr('Sí'), { type: 'URL', text: 'Ver' })]),
  },
  {
    rule: 'button-url-format',
    ok: true,
    name: 'https',
    def: utility([body(), buttons(qr('Sí'), url('https://saludcenter.example/turnos', null))]),
  },
  {
    rule: 'button-url-max-length',
    ok: false,
    name: '2,001 characters',
    def: utility([body(), buttons(qr('Sí'), url(urlOfLength(2001), null))]),
    says: ['2,001'],
  },
  {
    rule: 'button-url-max-length',
    ok: true,
    name: '2,000 characters',
    def: utility([body(), buttons(qr('Sí'), url(urlOfLength(2000), null))]),
  },
  {
    rule: 'button-url-variable',
    ok: false,
    name: 'variable not at the end',
    def: utility([
      body(),
      buttons(
        qr('Sí'),
        url('https://saludcenter.example/{{1}}/detalle', ['https://saludcenter.example/abc/detalle']),
      ),
    ]),
  },
  {
    rule: 'button-url-variable',
    ok: false,
    name: 'two variables',
    def: utility([body(), buttons(qr('Sí'), url('https://saludcenter.example/{{1}}/{{2}}'))]),
  },
  {
    rule: 'button-url-variable',
    ok: false,
    name: 'named variable',
    def: utility([body(), buttons(qr('Sí'), url('https://saludcenter.example/t/{{id}}'))]),
  },
  {
    rule: 'button-url-variable',
    ok: true,
    name: '{{1}} at the end',
    def: utility([body(), buttons(qr('Sí'), url())]),
  },
  {
    rule: 'button-url-example',
    ok: false,
    name: 'no example',
    def: utility([body(), buttons(qr('Sí'), url(undefined, null))]),
  },
  {
    rule: 'button-url-example',
    ok: false,
    name: 'suffix only',
    def: utility([body(), buttons(qr('Sí'), url(undefined, ['abc123']))]),
    says: ['https://saludcenter.example/turnos/abc123'],
  },
  {
    rule: 'button-url-example',
    ok: false,
    name: 'string instead of list',
    def: utility([body(), buttons(qr('Sí'), url(undefined, 'https://saludcenter.example/turnos/abc123'))]),
  },
  {
    rule: 'button-url-example',
    ok: true,
    name: 'full URL',
    def: utility([body(), buttons(qr('Sí'), url())]),
  },
  {
    rule: 'button-phone-format',
    ok: false,
    name: 'national number with trunk 0',
    def: utility([body(), buttons(qr('Sí'), phone('011 5555-0123'))]),
  },
  {
    rule: 'button-phone-format',
    ok: false,
    name: 'words',
    def: utility([body(), buttons(qr('Sí'), phone('call us'))]),
  },
  {
    rule: 'button-phone-format',
    ok: false,
    name: 'missing',
    def: utility([body(), buttons(qr('Sí'), { type: 'PHONE_NUMBER', text: 'Llamar' })]),
  },
  {
    rule: 'button-phone-format',
    ok: true,
    name: 'E.164 with spaces',
    def: utility([body(), buttons(qr('Sí'), phone('+54 9 11 5555-0123'))]),
  },
  {
    rule: 'button-copy-code-example',
    ok: false,
    name: 'no code',
    def: marketing([body(), buttons(optOut(), { type: 'COPY_CODE' })]),
  },
  {
    rule: 'button-copy-code-example',
    ok: false,
    name: '16 characters',
    def: marketing([body(), buttons(optOut(), { type: 'COPY_CODE', example: 'X'.repeat(16) })]),
  },
  {
    rule: 'button-copy-code-example',
    ok: true,
    name: '15 characters',
    def: marketing([body(), buttons(optOut(), { type: 'COPY_CODE', example: 'X'.repeat(15) })]),
  },
  {
    rule: 'button-otp-type',
    ok: false,
    name: 'SMS',
    def: authentication([{ type: 'OTP', otp_type: 'SMS' }]),
  },
  {
    rule: 'button-otp-type',
    ok: true,
    name: 'ONE_TAP',
    def: authentication([{ type: 'OTP', otp_type: 'ONE_TAP' }]),
  },
  // variables
  {
    rule: 'parameter-format-valid',
    ok: false,
    name: 'lower case',
    def: utility(undefined, { parameter_format: 'positional' }),
    says: ['POSITIONAL'],
  },
  {
    rule: 'parameter-format-valid',
    ok: true,
    name: 'POSITIONAL',
    def: utility(undefined, { parameter_format: 'POSITIONAL' }),
  },
  {
    rule: 'variable-syntax',
    ok: false,
    name: 'empty braces',
    def: utility([body('Hola {{}}, ¿confirmás tu turno de mañana?', null), confirmCancel()]),
  },
  {
    rule: 'variable-syntax',
    ok: false,
    name: 'spaces inside',
    def: utility([
      body('Hola {{ 1 }}, ¿confirmás tu turno de mañana?', { body_text: [['Emilia']] }),
      confirmCancel(),
    ]),
    says: ['{{1}}'],
  },
  {
    rule: 'variable-syntax',
    ok: false,
    name: 'unbalanced',
    def: utility([body('Hola {{1}, ¿confirmás tu turno de mañana?', null), confirmCancel()]),
  },
  { rule: 'variable-syntax', ok: true, name: 'well written', def: base },
  {
    rule: 'variable-format',
    ok: false,
    name: 'named without parameter_format',
    def: named('Hola {{first_name}}, ¿confirmás tu turno de mañana?', [['first_name', 'Emilia']], {
      parameter_format: undefined,
    }),
    says: ['parameter_format: NAMED'],
  },
  {
    rule: 'variable-format',
    ok: false,
    name: 'mixed',
    def: named('Hola {{first_name}}, ¿confirmás tu turno del {{1}} en la sede?', [['first_name', 'Emilia']]),
  },
  {
    rule: 'variable-format',
    ok: false,
    name: 'NAMED with positional',
    def: utility(undefined, { parameter_format: 'NAMED' }),
  },
  {
    rule: 'variable-format',
    ok: true,
    name: 'NAMED with named',
    def: named('Hola {{first_name}}, ¿confirmás tu turno de mañana?', [['first_name', 'Emilia']]),
  },
  {
    rule: 'variable-positional-sequence',
    ok: false,
    name: 'gap',
    def: utility([
      body('Hola {{1}}, tu turno es el {{3}} en la sede. ¿Confirmás?', { body_text: [['Emilia', 'lunes']] }),
      confirmCancel(),
    ]),
    says: ['{{2}} is missing'],
  },
  {
    rule: 'variable-positional-sequence',
    ok: false,
    name: 'starts at 0',
    def: utility([
      body('Hola {{0}}, ¿confirmás tu turno de mañana?', { body_text: [['Emilia']] }),
      confirmCancel(),
    ]),
  },
  {
    rule: 'variable-positional-sequence',
    ok: true,
    name: 'any order',
    def: utility([
      body('El {{2}} tenés turno, {{1}}. ¿Confirmás tu asistencia a la sede?', {
        body_text: [['Emilia', 'lunes']],
      }),
      confirmCancel(),
    ]),
  },
  {
    rule: 'variable-repeated',
    ok: false,
    name: '{{1}} twice',
    def: utility([
      body('Hola {{1}}, tu turno es mañana. Gracias {{1}}, ¿confirmás tu asistencia?', {
        body_text: [['Emilia']],
      }),
      confirmCancel(),
    ]),
  },
  {
    rule: 'variable-repeated',
    ok: true,
    name: 'named twice',
    def: named('Hola {{first_name}}, tu turno es mañana. Gracias {{first_name}}, ¿confirmás tu asistencia?', [
      ['first_name', 'Emilia'],
    ]),
  },
  {
    rule: 'variable-named-charset',
    ok: false,
    name: 'capitals',
    def: named('Hola {{First_Name}}, ¿confirmás tu turno de mañana?', [['First_Name', 'Emilia']]),
    says: ['{{first_name}}'],
  },
  {
    rule: 'variable-named-charset',
    ok: false,
    name: 'starts with a digit',
    def: named('Hola {{1st_name}}, ¿confirmás tu turno de mañana?', [['1st_name', 'Emilia']]),
  },
  {
    rule: 'variable-named-charset',
    ok: true,
    name: 'letters, digits, underscore',
    def: named('Hola {{first_name2}}, ¿confirmás tu turno de mañana?', [['first_name2', 'Emilia']]),
  },
  {
    rule: 'variable-named-max-length',
    ok: false,
    name: '21 characters',
    def: named(`Hola {{${'a'.repeat(21)}}}, ¿confirmás tu turno de mañana?`, [['a'.repeat(21), 'Emilia']]),
  },
  {
    rule: 'variable-named-max-length',
    ok: true,
    name: '20 characters',
    def: named(`Hola {{${'a'.repeat(20)}}}, ¿confirmás tu turno de mañana?`, [['a'.repeat(20), 'Emilia']]),
  },
  {
    rule: 'variable-edge',
    ok: false,
    name: 'starts with a variable',
    def: utility([
      body('{{1}}, ¿confirmás tu turno de mañana en la sede?', { body_text: [['Emilia']] }),
      confirmCancel(),
    ]),
  },
  {
    rule: 'variable-edge',
    ok: false,
    name: 'ends with variable and a period',
    def: utility([
      body('¿Confirmás? Hola, tu turno de mañana es con {{1}}.', { body_text: [['la Dra. Gómez']] }),
      confirmCancel(),
    ]),
    says: ['only punctuation'],
  },
  { rule: 'variable-edge', ok: true, name: 'text on both sides', def: base },
  {
    rule: 'variable-adjacent',
    ok: false,
    name: 'space only',
    def: utility([
      body('Hola {{1}} {{2}}, ¿confirmás tu turno de mañana en la sede?', {
        body_text: [['Emilia', 'Pérez']],
      }),
      confirmCancel(),
    ]),
  },
  {
    rule: 'variable-adjacent',
    ok: false,
    name: 'comma only',
    def: utility([
      body('Hola {{1}}, {{2}}: ¿confirmás tu turno de mañana en la sede?', {
        body_text: [['Emilia', 'lunes']],
      }),
      confirmCancel(),
    ]),
  },
  {
    rule: 'variable-adjacent',
    ok: true,
    name: 'a word between',
    def: utility([
      body('Hola {{1}} y {{2}}, ¿confirman su turno de mañana en la sede?', {
        body_text: [['Emilia', 'Juan']],
      }),
      confirmCancel(),
    ]),
  },
  {
    rule: 'variable-density',
    ok: false,
    name: '4 words for 2 variables',
    def: utility([
      body('Hola {{1}}, turno el {{2}}. ¿Confirmás?', { body_text: [['Emilia', 'lunes']] }),
      confirmCancel(),
    ]),
    says: ['2 variables and 4 words', 'at least 5 words'],
  },
  {
    rule: 'variable-density',
    ok: true,
    name: '5 words for 2 variables',
    def: utility([
      body('Hola {{1}}, tu turno el {{2}}. ¿Confirmás?', { body_text: [['Emilia', 'lunes']] }),
      confirmCancel(),
    ]),
  },
  // examples
  {
    rule: 'example-missing',
    ok: false,
    name: 'no body example',
    def: utility([body(QUESTION_BODY, null), confirmCancel()]),
  },
  {
    rule: 'example-missing',
    ok: false,
    name: 'body_text for named variables',
    def: utility(
      [
        body('Hola {{first_name}}, ¿confirmás tu turno de mañana?', { body_text: [['Emilia']] }),
        confirmCancel(),
      ],
      { parameter_format: 'NAMED' },
    ),
  },
  {
    rule: 'example-missing',
    ok: false,
    name: 'one name missing',
    def: named('Hola {{first_name}}, ¿confirmás tu turno del {{day}} en la sede?', [
      ['first_name', 'Emilia'],
    ]),
    says: ['{{day}}'],
  },
  {
    rule: 'example-missing',
    ok: false,
    name: 'header variable without example',
    def: utility([textHeader('Turno de {{1}}'), body(), confirmCancel()]),
  },
  { rule: 'example-missing', ok: true, name: 'examples given', def: base },
  {
    rule: 'example-count',
    ok: false,
    name: 'one value for two variables',
    def: utility([body(QUESTION_BODY, { body_text: [['Emilia']] }), confirmCancel()]),
    says: ['1 value', '2 distinct variables'],
  },
  {
    rule: 'example-count',
    ok: false,
    name: 'flat body_text',
    def: utility([body(QUESTION_BODY, { body_text: ['Emilia', 'lunes'] }), confirmCancel()]),
    says: ['double brackets'],
  },
  {
    rule: 'example-count',
    ok: false,
    name: 'extra named example',
    def: named('Hola {{first_name}}, ¿confirmás tu turno de mañana?', [
      ['first_name', 'Emilia'],
      ['topic', 'turno'],
    ]),
  },
  { rule: 'example-count', ok: true, name: 'one value per variable', def: base },
  {
    rule: 'example-value',
    ok: false,
    name: 'newline',
    def: utility([body(QUESTION_BODY, { body_text: [['Emi\nlia', 'lunes']] }), confirmCancel()]),
    says: ['line break', 'at send time'],
  },
  {
    rule: 'example-value',
    ok: false,
    name: 'tab',
    def: utility([body(QUESTION_BODY, { body_text: [['Emilia', 'lunes\t3']] }), confirmCancel()]),
  },
  {
    rule: 'example-value',
    ok: false,
    name: '5 spaces',
    def: utility([body(QUESTION_BODY, { body_text: [['Emilia', 'lunes     3']] }), confirmCancel()]),
  },
  {
    rule: 'example-value',
    ok: false,
    name: 'number',
    def: utility([body(QUESTION_BODY, { body_text: [['Emilia', 3]] }), confirmCancel()]),
  },
  {
    rule: 'example-value',
    ok: false,
    name: 'empty named example',
    def: named('Hola {{first_name}}, ¿confirmás tu turno de mañana?', [['first_name', '']]),
  },
  {
    rule: 'example-value',
    ok: true,
    name: '4 spaces',
    def: utility([body(QUESTION_BODY, { body_text: [['Emilia', 'lunes    3']] }), confirmCancel()]),
  },
  // recontact warnings
  {
    rule: 'recontact-reply-invite',
    ok: false,
    name: 'no question, no quick reply',
    def: utility([
      body('Hola {{1}}, te recordamos tu turno del {{2}} en SaludCenter.', {
        body_text: [['Emilia', 'lunes']],
      }),
      buttons(url()),
    ]),
  },
  { rule: 'recontact-reply-invite', ok: true, name: '¿…? without buttons', def: utility([body()]) },
  {
    rule: 'recontact-reply-invite',
    ok: true,
    name: 'quick replies without a question',
    def: utility([
      body('Hola {{1}}, te recordamos tu turno del {{2}} en SaludCenter.', {
        body_text: [['Emilia', 'lunes']],
      }),
      confirmCancel(),
    ]),
  },
  {
    rule: 'recontact-marketing-opt-out',
    ok: false,
    name: 'no opt-out',
    def: marketing([body(), buttons(qr('Quiero el código'))]),
  },
  { rule: 'recontact-marketing-opt-out', ok: false, name: 'no buttons', def: marketing([body()]) },
  {
    rule: 'recontact-marketing-opt-out',
    ok: true,
    name: 'Darme de baja',
    def: marketing([body(), buttons(qr('Quiero el código'), qr('Darme de baja'))]),
  },
  {
    rule: 'recontact-marketing-opt-out',
    ok: true,
    name: 'STOP promotions',
    def: marketing([body(), buttons(qr('STOP promotions'))], { language: 'en_US' }),
  },
  {
    rule: 'recontact-utility-promotional',
    ok: false,
    name: '% de descuento',
    def: utility([
      body('Hola {{1}}, tu turno del {{2}} tiene 20% de descuento. ¿Confirmás?', {
        body_text: [['Emilia', 'lunes']],
      }),
      confirmCancel(),
    ]),
  },
  {
    rule: 'recontact-utility-promotional',
    ok: false,
    name: 'gratis in a button',
    def: utility([body(), buttons(qr('Confirmar'), qr('Traslado gratis'))]),
  },
  {
    rule: 'recontact-utility-promotional',
    ok: false,
    name: 'English sale',
    def: utility(
      [
        body(
          'Hi {{1}}, your appointment on {{2}} is confirmed. Our summer sale starts soon, any questions?',
          { body_text: [['Emilia', 'Monday']] },
        ),
        confirmCancel(),
      ],
      { language: 'en_US' },
    ),
  },
  {
    rule: 'recontact-utility-promotional',
    ok: true,
    name: 'Spanish "sale" is a verb',
    def: utility([
      body('Hola {{1}}, el micro sale a las {{2}} desde la sede. ¿Confirmás tu lugar?', {
        body_text: [['Emilia', '10:00']],
      }),
      confirmCancel(),
    ]),
  },
  {
    rule: 'recontact-utility-promotional',
    ok: true,
    name: '"feel free" is not free',
    def: utility(
      [
        body('Hi {{1}}, your appointment on {{2}} is confirmed. Feel free to reply with questions?', {
          body_text: [['Emilia', 'Monday']],
        }),
        confirmCancel(),
      ],
      { language: 'en_US' },
    ),
  },
  {
    rule: 'recontact-variable-only-sentence',
    ok: false,
    name: 'a sentence that is a variable',
    def: utility([
      body('Hola, te escribimos por tu turno. {{1}}. ¿Podés confirmar tu asistencia?', {
        body_text: [['Lunes 10:00']],
      }),
      confirmCancel(),
    ]),
  },
  { rule: 'recontact-variable-only-sentence', ok: true, name: 'variables inside sentences', def: base },
  {
    rule: 'routing',
    ok: false,
    name: 'an opt-out list given as one string',
    def: { ...base, routing: { opt_out: { marketing: 'STOP_PROMOS' } } },
  },
  {
    rule: 'routing',
    ok: true,
    name: 'a quick reply declared as a marketing opt-out',
    def: { ...base, routing: { opt_out: { marketing: ['STOP_PROMOS'] } } },
  },
  // a Messenger page's own rules (messenger.ts); messenger.test.ts has more
  {
    rule: 'messenger-category-utility',
    ok: true,
    channel: 'messenger',
    name: 'a utility template',
    def: base,
  },
  {
    rule: 'messenger-category-utility',
    ok: false,
    channel: 'messenger',
    name: 'a marketing template on a page',
    def: { ...base, category: 'MARKETING' },
    says: ['Utility Messages'],
  },
  { rule: 'messenger-button-type', ok: true, channel: 'messenger', name: 'quick replies', def: base },
  {
    rule: 'messenger-button-type',
    ok: false,
    channel: 'messenger',
    name: 'a copy-code button on a page',
    def: utility([body(), buttons(qr('Sí'), { type: 'COPY_CODE', example: 'SAVE10' })]),
    says: ['COPY_CODE'],
  },
  {
    rule: 'messenger-header-format',
    ok: true,
    channel: 'messenger',
    name: 'a text header',
    def: utility([{ type: 'HEADER', format: 'TEXT', text: 'Tu turno' }, body(), confirmCancel()]),
  },
  {
    rule: 'messenger-header-format',
    ok: false,
    channel: 'messenger',
    name: 'a document header on a page',
    def: utility([
      { type: 'HEADER', format: 'DOCUMENT', example: { header_handle: ['4::aW1hZ2U='] } },
      body(),
      confirmCancel(),
    ]),
    says: ['DOCUMENT'],
  },
  { rule: 'messenger-component-type', ok: true, channel: 'messenger', name: 'body and buttons', def: base },
  {
    rule: 'messenger-component-type',
    ok: false,
    channel: 'messenger',
    name: 'a carousel on a page',
    def: utility([body(), { type: 'CAROUSEL', cards: [] }]),
    says: ['WhatsApp only'],
  },
];

function run(c: Case): Finding[] {
  const opts = c.channel ? { channel: c.channel } : {};
  return c.defs ? lintTemplates(c.defs, opts) : lintTemplate(c.def, opts);
}

describe('lint rules, one by one', () => {
  it.each(CASES.map((c) => [`${c.ok ? 'passes' : 'fails'} ${c.rule}: ${c.name}`, c] as const))(
    '%s',
    (_, c) => {
      const findings = run(c);
      const hits = findings.filter((f) => f.rule === c.rule);
      if (c.ok) {
        expect(hits).toEqual([]);
        expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
      } else {
        expect(hits.length).toBeGreaterThan(0);
        const text = hits.map((f) => `${f.message} | ${f.fix}`).join('\n');
        for (const s of c.says ?? []) expect(text).toContain(s);
      }
    },
  );

  it('covers every registered rule with at least one failing and one passing case', () => {
    const ids = RULES.map((r) => r.id).sort();
    const failing = new Set(CASES.filter((c) => !c.ok).map((c) => c.rule));
    const passing = new Set(CASES.filter((c) => c.ok).map((c) => c.rule));
    expect(ids.filter((id) => !failing.has(id))).toEqual([]);
    expect(ids.filter((id) => !passing.has(id))).toEqual([]);
    // and no case names a rule that does not exist
    expect(CASES.map((c) => c.rule).filter((id) => !ids.includes(id))).toEqual([]);
  });
});

describe('the rule registry', () => {
  it('has unique kebab-case ids, a severity and a one-line description for each rule', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of RULES) {
      expect(r.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(['error', 'warning']).toContain(r.severity);
      expect(r.description.length).toBeGreaterThan(10);
      expect(r.description).not.toContain('\n');
    }
  });

  it('keeps Recontact’s own rules as warnings', () => {
    for (const r of RULES.filter((x) => x.id.startsWith('recontact-'))) expect(r.severity).toBe('warning');
  });

  it('marks the rules whose limits Meta does not confirm', () => {
    const desc = (id: string) => RULES.find((r) => r.id === id)?.description ?? '';
    expect(desc('variable-named-max-length')).toContain('[UNCONFIRMED');
    expect(desc('variable-repeated')).toContain('[UNCONFIRMED');
    expect(desc('variable-density')).toContain('heuristic');
  });
});

describe('findings', () => {
  it('carry the template, path, component, actual numbers, a fix and Meta’s subcode', () => {
    const [f] = lintTemplate(utility([bodyOfLength(1031), confirmCancel()]));
    expect(f).toEqual({
      severity: 'error',
      rule: 'body-max-length',
      template: 'appointment_reminder (es_AR)',
      path: 'components[0].text',
      component: 'BODY',
      message: 'body is 1,031 characters; Meta allows at most 1,024',
      fix: expect.stringContaining('shorten the body by 7 characters'),
      metaCode: 2388040,
    });
  });

  it('gives 2388299 for a trailing variable and 2388293 for a dense body', () => {
    const edge = lintTemplate(
      utility([body('Hola, tu turno es con {{1}}', { body_text: [['Gómez']] }), confirmCancel()]),
    );
    expect(edge.find((f) => f.rule === 'variable-edge')?.metaCode).toBe(2388299);
    const dense = lintTemplate(
      utility([body('Hola {{1}} y {{2}} ¿ok?', { body_text: [['a', 'b']] }), confirmCancel()]),
    );
    expect(dense.find((f) => f.rule === 'variable-density')?.metaCode).toBe(2388293);
  });

  it('names an entry without a usable name by its position', () => {
    const findings = lintTemplates([base, utility(undefined, { name: 42 })]);
    expect(findings.find((f) => f.rule === 'name-required')?.template).toBe('#2 (es_AR)');
  });

  it('can skip rules and accept extra languages', () => {
    const def = utility(
      [body('Hola {{1}}, te recordamos tu turno del {{2}} en la sede.', { body_text: [['a', 'b']] })],
      {
        language: 'xx_YY',
      },
    );
    expect(lintTemplate(def).map((f) => f.rule)).toEqual(
      expect.arrayContaining(['language-code', 'recontact-reply-invite']),
    );
    expect(lintTemplate(def, { languages: ['xx_YY'], disable: ['recontact-reply-invite'] })).toEqual([]);
  });

  it('reports a duplicate once per extra copy, naming both entries', () => {
    const dup = lintTemplates([base, utility(undefined, { language: 'en_US' }), base, base]).filter(
      (f) => f.rule === 'template-duplicate',
    );
    expect(dup.map((f) => f.message)).toEqual([
      'appointment_reminder (es_AR) is defined twice: entry 1 and entry 3',
      'appointment_reminder (es_AR) is defined twice: entry 1 and entry 4',
    ]);
  });
});

describe('defensive input', () => {
  const junk: unknown[] = [
    null,
    undefined,
    42,
    'template',
    [],
    {},
    { components: 'BODY' },
    { name: 1, language: ['es'], category: {}, parameter_format: 7, components: [null, 1, 'x', { type: 5 }] },
    { components: [{ type: 'BODY', text: ['a'], example: 'x' }] },
    { components: [{ type: 'BODY', text: 'Hola {{1}}', example: { body_text: 'x' } }] },
    {
      components: [
        { type: 'BODY', text: 'Hola {{a}}', example: { body_text_named_params: [null, { x: 1 }] } },
      ],
    },
    {
      components: [
        { type: 'HEADER', format: 7, text: {} },
        { type: 'BUTTONS', buttons: 'x' },
      ],
    },
    {
      components: [
        { type: 'BUTTONS', buttons: [null, 1, { type: 2 }, { type: 'URL', url: 5, example: {} }] },
      ],
    },
    { components: [{ type: 'BUTTONS', buttons: [{ type: 'COPY_CODE', example: ['x'] }, { type: 'OTP' }] }] },
    { category: 'AUTHENTICATION', components: [{ type: 'BUTTONS' }] },
  ];
  it.each(junk.map((j, i) => [i, j] as const))('never throws on junk #%d and reports errors', (_, j) => {
    const findings = lintTemplates([j]);
    expect(findings.some((f) => f.severity === 'error')).toBe(true);
    for (const f of findings) {
      expect(RULES.some((r) => r.id === f.rule)).toBe(true);
      expect(f.message).toBeTruthy();
      expect(f.fix).toBeTruthy();
    }
  });

  it('reports a non-object entry as template-shape only', () => {
    expect(lintTemplate(null).map((f) => f.rule)).toEqual(['template-shape']);
  });
});

describe('the SaludCenter examples', () => {
  const file = fileURLToPath(new URL('../../../../examples/saludcenter.templates.yaml', import.meta.url));
  const doc = parse(readFileSync(file, 'utf8')) as { templates: unknown[] };

  it('hold the three seed templates', () => {
    expect(doc.templates.map((t) => (t as { name: string }).name)).toEqual([
      'appointment_reminder',
      'resume_conversation',
      'taxi_discount',
    ]);
  });

  it('lint clean: no errors and no warnings', () => {
    expect(lintTemplates(doc.templates)).toEqual([]);
  });
});
