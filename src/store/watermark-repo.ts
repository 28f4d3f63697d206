/**
 * The messages a Messenger watermark may cover. A delivery or read receipt names no message:
 * it says "everything sent to this person before `watermark`", so the candidates are read per
 * contact, through messages_contact (contact_id, created_at): a message cannot have been sent
 * before it was created, so `created_at <= until` bounds the range scan, and a watermark never
 * reads beyond the messages of the contacts it names.
 */
import type { Kysely } from 'kysely';
import type { MessageStatus } from '../domain/message';
import { chunks } from './chunks';
import type { MessageRow } from './messages-repo';
import { type RowLock, withRowLock } from './row-locks';
import type { Database } from './schema';

/**
 * Messages of `contactIds` in `statuses` created at or before `until`, ordered by id. With
 * `forUpdate` they stay locked until the caller's transaction ends, as status merges need.
 */
export async function findWatermarkCandidates(
  db: Kysely<Database>,
  p: { contactIds: readonly string[]; statuses: readonly MessageStatus[]; until: number },
  lock?: RowLock,
): Promise<MessageRow[]> {
  const out: MessageRow[] = [];
  if (p.statuses.length === 0) return out;
  // Sorted, so concurrent lockers take row locks in one order.
  for (const part of chunks([...new Set(p.contactIds)].sort(), 200)) {
    const q = db
      .selectFrom('messages')
      .selectAll()
      .where('contact_id', 'in', part)
      .where('created_at', '<=', p.until)
      .where('status', 'in', [...p.statuses])
      .orderBy('id');
    out.push(...(await withRowLock(db, q, lock).execute()));
  }
  return out;
}
