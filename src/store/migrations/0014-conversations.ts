import type { Kysely } from 'kysely';

/** Placeholder: filled by the work that owns it (issue 10). */
export async function up(_db: Kysely<unknown>): Promise<void> {}
