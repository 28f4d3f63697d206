/**
 * Applies template review, quality and category changes reported by Meta's webhooks, and tells
 * the bot: a template that stops being APPROVED (PAUSED, DISABLED, REJECTED after an edit)
 * makes every send of it fail, so the bot must hear about it as it happens.
 */
import type { Kysely } from 'kysely';
import type { WebhookItem } from '../../channels/channel';
import { isTemplateStatus } from '../../domain/templates/model';
import type { Database } from '../../store/schema';
import {
  setTemplateCategory,
  setTemplateQuality,
  setTemplateStatus,
  type TemplateWhere,
} from '../../store/templates-repo';
import type { AccountRegistry } from '../accounts';
import type { EngineContext } from '../context';
import type { PendingEvent } from '../events/event-bus';
import { templateCategoryEvent, templateQualityEvent, templateStatusEvent } from '../events/payloads';

type TemplateItem = Extract<
  WebhookItem,
  { kind: 'template_status' | 'template_quality' | 'template_category' }
>;

export async function applyTemplateItems(
  ctx: EngineContext,
  accounts: AccountRegistry,
  db: Kysely<Database>,
  items: WebhookItem[],
): Promise<{ events: PendingEvent[] }> {
  const events: PendingEvent[] = [];
  const now = ctx.clock();
  for (const item of items) {
    if (
      item.kind !== 'template_status' &&
      item.kind !== 'template_quality' &&
      item.kind !== 'template_category'
    )
      continue;
    if (item.kind === 'template_status' && !isTemplateStatus(item.event)) {
      ctx.log.warn(
        { template: item.name, language: item.language, event: item.event },
        'template status Meta reported is not one we know; ignored',
      );
      continue;
    }
    const event = await applyOne(db, whereOf(accounts, item), item, now);
    if (event) events.push(event);
    else
      ctx.log.info(
        { template: item.name, language: item.language, kind: item.kind },
        'update for a template we do not track (run `recontact templates pull`)',
      );
  }
  return { events };
}

function whereOf(accounts: AccountRegistry, item: TemplateItem): TemplateWhere {
  return {
    // One WABA may hold several of our numbers (accounts): the template is shared by them. A
    // Messenger page owns its own templates: its item names the page id (no WABA).
    accountIds: accounts
      .all()
      .filter((a) => (a.wabaId ?? a.externalId) === item.wabaId)
      .map((a) => a.id),
    providerTemplateId: item.providerTemplateId,
    name: item.name,
    language: item.language,
  };
}

async function applyOne(
  db: Kysely<Database>,
  where: TemplateWhere,
  item: TemplateItem,
  now: number,
): Promise<PendingEvent | undefined> {
  switch (item.kind) {
    case 'template_status': {
      if (!isTemplateStatus(item.event)) return undefined; // logged and skipped by the caller
      const reason = item.reason && item.reason !== 'NONE' ? item.reason : null;
      const changed = await setTemplateStatus(db, where, { status: item.event, rejectedReason: reason }, now);
      return changed && templateStatusEvent(changed.accountId, item, changed.previous);
    }
    case 'template_quality': {
      const changed = await setTemplateQuality(db, where, item.newScore, now);
      return changed && templateQualityEvent(changed.accountId, item, changed.previous);
    }
    case 'template_category': {
      const changed = await setTemplateCategory(db, where, item.newCategory, now);
      return changed && templateCategoryEvent(changed.accountId, item, changed.previous);
    }
  }
}
