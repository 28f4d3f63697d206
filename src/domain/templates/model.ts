/**
 * Meta's template component model, kept in Meta's own JSON shape (the body of a
 * POST /{waba-id}/message_templates call) so that a template file, a GET listing and our
 * database all hold the same thing and nothing is lost in translation.
 */

export type TemplateCategory = 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';
export type ParameterFormat = 'POSITIONAL' | 'NAMED';

/** Review states Meta reports for a template (create/list APIs and status webhooks). */
export const TEMPLATE_STATUSES = [
  'PENDING',
  'APPROVED',
  'REJECTED',
  'PAUSED',
  'DISABLED',
  'IN_APPEAL',
  'FLAGGED',
  'REINSTATED',
  'PENDING_DELETION',
  'DELETED',
  'ARCHIVED',
  'UNARCHIVED',
  'LIMIT_EXCEEDED',
  'LOCKED',
] as const;
export type TemplateStatus = (typeof TEMPLATE_STATUSES)[number];

/** Meta's strings arrive untyped (webhooks, API answers); only known review states are stored. */
export function isTemplateStatus(s: string): s is TemplateStatus {
  return (TEMPLATE_STATUSES as readonly string[]).includes(s);
}

export type QualityScore = 'GREEN' | 'YELLOW' | 'RED' | 'UNKNOWN';

export interface NamedExample {
  param_name: string;
  example: string;
}

export type HeaderFormat = 'TEXT' | 'IMAGE' | 'VIDEO' | 'GIF' | 'DOCUMENT' | 'LOCATION';

export interface HeaderComponent {
  type: 'HEADER';
  format: HeaderFormat;
  /** Only for format TEXT; at most one variable. */
  text?: string;
  example?: {
    header_text?: string[];
    header_text_named_params?: NamedExample[];
    /** Resumable-upload handles (or sample URLs) for media headers. */
    header_handle?: string[];
  };
}

export interface BodyComponent {
  type: 'BODY';
  text: string;
  example?: {
    /** One inner array: the example value of each positional variable, in order. */
    body_text?: string[][];
    body_text_named_params?: NamedExample[];
  };
}

export interface FooterComponent {
  type: 'FOOTER';
  text: string;
}

export interface QuickReplyButton {
  type: 'QUICK_REPLY';
  text: string;
}
export interface UrlButton {
  type: 'URL';
  text: string;
  /** May end with one variable, e.g. https://example.com/track/{{1}}. */
  url: string;
  example?: string[];
}
export interface PhoneNumberButton {
  type: 'PHONE_NUMBER';
  text: string;
  phone_number: string;
}
export interface CopyCodeButton {
  type: 'COPY_CODE';
  /** Meta fixes the label ("Copy offer code"); the example is the sample code. */
  example: string;
  text?: string;
}
export interface OtpButton {
  type: 'OTP';
  otp_type: 'COPY_CODE' | 'ONE_TAP' | 'ZERO_TAP';
  text?: string;
}

export type TemplateButton = QuickReplyButton | UrlButton | PhoneNumberButton | CopyCodeButton | OtpButton;

export interface ButtonsComponent {
  type: 'BUTTONS';
  buttons: TemplateButton[];
}

export type TemplateComponent = HeaderComponent | BodyComponent | FooterComponent | ButtonsComponent;

/** One template in one language, as authored (what a bot team keeps in its repository). */
export interface TemplateDefinition {
  name: string;
  language: string;
  category: TemplateCategory;
  parameter_format?: ParameterFormat;
  components: TemplateComponent[];
}

/** A template as Recontact knows it: the definition plus Meta's review state. */
export interface TemplateRecord extends TemplateDefinition {
  accountId: string;
  status: TemplateStatus;
  providerTemplateId: string | null;
  rejectedReason: string | null;
  qualityScore: QualityScore | null;
  updatedAt: number;
}

/**
 * The `template` object of a Cloud API send, as Meta expects it: what binding produces and what
 * the channel adapter posts unchanged.
 */
export interface CloudTemplate {
  name: string;
  language: { code: string; policy?: 'deterministic' };
  components?: Array<Record<string, unknown>>;
}

export function findComponent<T extends TemplateComponent['type']>(
  def: Pick<TemplateDefinition, 'components'>,
  type: T,
): Extract<TemplateComponent, { type: T }> | undefined {
  return def.components.find((c) => c.type === type) as Extract<TemplateComponent, { type: T }> | undefined;
}

/**
 * Send-time values for a template, as the bot supplies them. Buttons are index-aligned with
 * the template's BUTTONS component (null or missing for buttons that take nothing).
 */
export type ParamValue =
  | string
  | number
  | { currency: { fallback_value: string; code: string; amount_1000: number } }
  | { date_time: { fallback_value: string } };

export type MediaRef = { link: string; id?: undefined } | { id: string; link?: undefined };

export type HeaderParam =
  | { text: string }
  | { image: MediaRef }
  | { video: MediaRef }
  | { document: MediaRef & { filename?: string } }
  | { location: { latitude: number | string; longitude: number | string; name?: string; address?: string } };

export type ButtonParam = { payload: string } | { url_suffix: string } | { coupon_code: string };

export interface TemplateParams {
  header?: HeaderParam;
  body?: ParamValue[] | Record<string, ParamValue>;
  buttons?: Array<ButtonParam | null>;
}
