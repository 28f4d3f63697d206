/**
 * Template lifecycle: create (PENDING) → review after templateReviewMs → APPROVED / REJECTED,
 * edits that send a template back to review, deletions, manual status changes, and the
 * `message_template_status_update` (and `template_category_update`) webhooks that go to the
 * webhook URL of every number of the WABA.
 */
import type { TemplateCategory } from '../domain/templates/model';
import { templateError } from './errors';
import type { SandboxState, StoredTemplate } from './state';
import { reviewTemplate, type TemplateInput, validateTemplate } from './template-review';
import { compileTemplate } from './template-shape';
import type { WebhookEmitter } from './webhook-emitter';

export const TEMPLATE_LIMIT = 250;
const DELETED_NAME_BLOCK_MS = 30 * 24 * 60 * 60 * 1000;

export interface TemplateManagerOptions {
  state: SandboxState;
  emitter: WebhookEmitter;
  now: () => number;
  reviewMs: number;
  onChange: () => void;
}

export interface StatusExtras {
  reason?: string;
  rejectionInfo?: { reason: string; recommendation: string };
}

export class TemplateManager {
  private readonly reviews = new Set<NodeJS.Timeout>();

  constructor(private readonly o: TemplateManagerOptions) {}

  pending(): number {
    return this.reviews.size;
  }

  clear(): void {
    for (const t of this.reviews) clearTimeout(t);
    this.reviews.clear();
  }

  create(wabaId: string, input: TemplateInput): StoredTemplate {
    validateTemplate(input);
    const { state } = this.o;
    const byName = state.templatesOf(wabaId);
    if (byName.get(input.name)?.has(input.language)) {
      throw templateError(
        2388024,
        'Content in this language already exists',
        `The template ${input.name} already has content in ${input.language}. Edit it or use another name.`,
      );
    }
    const deletedAt = state.deletedNames.get(wabaId)?.get(input.name);
    if (deletedAt !== undefined && this.o.now() - deletedAt < DELETED_NAME_BLOCK_MS) {
      throw templateError(
        2388023,
        'Message template name is being deleted',
        `${input.name} was deleted less than 30 days ago; its name cannot be used again yet.`,
      );
    }
    if (!byName.has(input.name) && byName.size >= TEMPLATE_LIMIT) {
      throw templateError(
        2388019,
        'Message template limit reached',
        `This WhatsApp Business Account already has ${TEMPLATE_LIMIT} message templates.`,
      );
    }
    const t = state.addTemplate(wabaId, input, 'PENDING');
    this.scheduleReview(t);
    return t;
  }

  /** Edits components and/or category; the template goes back to PENDING and is reviewed again. */
  edit(
    t: StoredTemplate,
    changes: Partial<Pick<TemplateInput, 'components' | 'category' | 'message_send_ttl_seconds'>>,
  ): void {
    if (t.status === 'PENDING') {
      throw templateError(
        undefined,
        "Template can't be edited",
        'A template that is in review cannot be edited.',
      );
    }
    const next: TemplateInput = {
      name: t.name,
      language: t.language,
      category: changes.category ?? t.category,
      parameter_format: t.parameterFormat,
      components: changes.components ?? t.components,
    };
    validateTemplate(next);
    t.components = next.components;
    t.category = next.category;
    t.compiled = compileTemplate(next);
    if (changes.message_send_ttl_seconds !== undefined)
      t.messageSendTtlSeconds = changes.message_send_ttl_seconds;
    t.status = 'PENDING';
    t.rejectedReason = null;
    t.revision += 1;
    this.scheduleReview(t);
  }

  delete(t: StoredTemplate): void {
    this.o.state.removeTemplate(t);
  }

  /** Sets a status (manually or after review) and sends the status webhook. */
  setStatus(t: StoredTemplate, status: string, extras: StatusExtras = {}): void {
    t.status = status;
    t.rejectedReason = status === 'REJECTED' ? (extras.reason ?? 'NONE') : null;
    const value: Record<string, unknown> = {
      event: status,
      message_template_id: Number(t.id),
      message_template_name: t.name,
      message_template_language: t.language,
      reason: extras.reason ?? 'NONE',
      message_template_category: t.category,
    };
    if (extras.rejectionInfo) value.rejection_info = extras.rejectionInfo;
    if (status === 'DISABLED') value.disable_info = { disable_date: Math.floor(this.o.now() / 1000) };
    if (status === 'PAUSED') {
      value.other_info = {
        title: 'FIRST_PAUSE',
        description: 'Your template was paused because of low quality.',
      };
    }
    this.broadcast(t.wabaId, 'message_template_status_update', value);
  }

  private recategorize(t: StoredTemplate, category: TemplateCategory): void {
    const previous = t.category;
    t.previousCategory = previous;
    t.category = category;
    this.broadcast(t.wabaId, 'template_category_update', {
      message_template_id: Number(t.id),
      message_template_name: t.name,
      message_template_language: t.language,
      previous_category: previous,
      new_category: category,
    });
  }

  private scheduleReview(t: StoredTemplate): void {
    const revision = t.revision;
    const timer = setTimeout(() => {
      this.reviews.delete(timer);
      const current = this.o.state.templatesById.get(t.id);
      if (current === t && t.revision === revision && t.status === 'PENDING') {
        const outcome = reviewTemplate({
          name: t.name,
          language: t.language,
          category: t.category,
          parameter_format: t.parameterFormat,
          components: t.components,
          allow_category_change: t.allowCategoryChange,
        });
        if (outcome.category !== t.category) this.recategorize(t, outcome.category);
        const extras: StatusExtras = { reason: outcome.reason };
        if (outcome.rejectionInfo) extras.rejectionInfo = outcome.rejectionInfo;
        this.setStatus(t, outcome.status, extras);
      }
      this.o.onChange();
    }, this.o.reviewMs);
    this.reviews.add(timer);
  }

  /** One envelope per distinct (webhook URL, app secret) among the WABA's numbers. */
  private broadcast(wabaId: string, field: string, value: Record<string, unknown>): void {
    const payload = {
      object: 'whatsapp_business_account',
      entry: [{ id: wabaId, time: Math.floor(this.o.now() / 1000), changes: [{ value, field }] }],
    };
    const seen = new Set<string>();
    for (const a of this.o.state.wabas.get(wabaId) ?? []) {
      if (!a.webhookUrl) continue;
      const key = a.webhookUrl + '\n' + a.appSecret;
      if (seen.has(key)) continue;
      seen.add(key);
      this.o.emitter.pushEnvelope(a.webhookUrl, a.appSecret, payload);
    }
  }
}
