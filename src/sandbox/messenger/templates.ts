/**
 * Page utility templates' lifecycle: created PENDING and reviewed `reviewMs` later (Meta:
 * "within seconds"; with 0 the review happens during the request and the answer already says
 * APPROVED or REJECTED, as Meta's example shows), status changes by hand, deletion. Every status
 * change sends the template status webhook to the page (`entry[].changes[]`, field
 * `message_template_status_update` unless configured as `messenger_template_status_update`, the
 * other name Meta's pages use).
 */
import { nextTemplateId } from '../ids';
import { graphError } from './errors';
import type { MessengerState, PageState, PageTemplate } from './state';
import { type PageTemplateInput, reviewTemplate } from './template-rules';
import type { PageWebhooks } from './webhooks';

export interface PageTemplatesOptions {
  state: MessengerState;
  webhooks: PageWebhooks;
  now: () => number;
  reviewMs: number;
  rejectMarketingWords: boolean;
  statusField: string;
  onChange: () => void;
}

export class PageTemplates {
  private readonly reviews = new Set<NodeJS.Timeout>();

  constructor(private readonly o: PageTemplatesOptions) {}

  pending(): number {
    return this.reviews.size;
  }

  clear(): void {
    for (const t of this.reviews) clearTimeout(t);
    this.reviews.clear();
  }

  create(page: PageState, input: PageTemplateInput): PageTemplate {
    if (this.o.state.findTemplate(page.id, input.name, input.language)) {
      throw graphError(100, 'Invalid parameter', {
        transient: false,
        userTitle: 'Content in this language already exists',
        userMsg: `The template ${input.name} already has content in ${input.language}. Delete it or use another name.`,
      });
    }
    const t = this.add(page.id, input, 'PENDING');
    if (this.o.reviewMs <= 0) {
      this.review(t, input);
      return t;
    }
    const revision = t.revision;
    const timer = setTimeout(() => {
      this.reviews.delete(timer);
      if (this.o.state.templatesById.get(t.id) === t && t.revision === revision && t.status === 'PENDING')
        this.review(t, input);
      this.o.onChange();
    }, this.o.reviewMs);
    this.reviews.add(timer);
    return t;
  }

  /** A template that exists from the start (seeds), without a webhook. */
  seed(pageId: string, input: PageTemplateInput, status: string): PageTemplate {
    return this.add(pageId, input, status);
  }

  setStatus(t: PageTemplate, status: string, reason?: string): void {
    t.status = status;
    t.revision += 1;
    t.rejectedReason = status === 'REJECTED' ? (reason ?? 'NONE') : null;
    const page = this.o.state.pages.get(t.pageId);
    if (!page) return;
    this.o.webhooks.pushChange(page, this.o.statusField, {
      event: status,
      message_template_id: Number(t.id),
      message_template_name: t.name,
      message_template_language: t.language,
      reason: reason ?? 'NONE',
    });
  }

  delete(t: PageTemplate): void {
    t.revision += 1;
    this.o.state.removeTemplate(t);
  }

  private add(pageId: string, input: PageTemplateInput, status: string): PageTemplate {
    const t: PageTemplate = {
      id: nextTemplateId(),
      pageId,
      name: input.name,
      language: input.language,
      category: 'UTILITY',
      parameterFormat: input.parameter_format,
      components: input.components,
      status,
      rejectedReason: null,
      createdAt: this.o.now(),
      revision: 0,
    };
    this.o.state.addTemplate(t);
    return t;
  }

  private review(t: PageTemplate, input: PageTemplateInput): void {
    const outcome = reviewTemplate(input, this.o.rejectMarketingWords);
    this.setStatus(t, outcome.status, outcome.reason);
  }
}
