/** Applies template review, quality and category changes reported by Meta's webhooks. */
import type { Kysely } from 'kysely';
import type { WebhookItem } from '../channels/channel';
import type { Database } from '../store/schema';
import { setTemplateStatus } from '../store/templates-repo';
import type { AccountRegistry } from './accounts';
import type { EngineContext } from './context';
import type { PendingEvent } from './events';

export async function applyTemplateItems(
  ctx: EngineContext,
  accounts: AccountRegistry,
  db: Kysely<Database>,
  items: WebhookItem[],
): Promise<{ events: PendingEvent[] }> {
  const events: PendingEvent[] = [];
  const now = ctx.clock();
  for (const item of items) {
    if (item.kind !== 'template_status') continue;
    const accountIds = accounts
      .all()
      .filter((a) => a.wabaId === item.wabaId)
      .map((a) => a.id);
    const changed = await setTemplateStatus(
      db,
      { accountIds, providerTemplateId: item.providerTemplateId, name: item.name, language: item.language },
      { status: item.event, rejectedReason: item.reason && item.reason !== 'NONE' ? item.reason : null },
      now,
    );
    if (!changed) {
      ctx.log.info(
        { template: item.name, language: item.language },
        'status update for a template we do not track',
      );
      continue;
    }
    events.push({
      type: 'template.status',
      data: {
        account_id: changed.accountId,
        name: item.name,
        language: item.language,
        provider_template_id: item.providerTemplateId,
        status: item.event,
        previous_status: changed.previous,
        reason: item.reason ?? null,
        details: item.details ?? null,
      },
    });
  }
  return { events };
}
