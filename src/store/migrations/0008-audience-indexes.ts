import { type Kysely, sql } from 'kysely';

/**
 * Audiences leave out contacts Meta said are not WhatsApp users (131026) since they last wrote.
 * Such failures are few among millions of messages: a partial index holds only them, so an
 * audience count joins a handful of rows instead of reading every message.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('messages_not_whatsapp_user')
    .on('messages')
    .columns(['account_id', 'contact_id', 'created_at'])
    .where(sql.ref('error_code'), '=', 131026)
    .execute();
}
