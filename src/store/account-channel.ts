import type { Kysely } from 'kysely';
import type { ChannelKind } from '../domain/channels/channel-kind';
import type { Database } from './schema';

/**
 * The channel of one account, for engine code that has an account id but no registry (the
 * resume rule, the timer worker, a campaign's launch): the send policy depends on it. No
 * secrets are read.
 */
export async function accountChannel(
  db: Kysely<Database>,
  accountId: string,
): Promise<ChannelKind | undefined> {
  const row = await db
    .selectFrom('channel_accounts')
    .select('channel')
    .where('id', '=', accountId)
    .executeTakeFirst();
  return row?.channel;
}
