import type { Kysely } from 'kysely';
import { RecontactError } from '../../domain/errors';
import type { Database } from '../../store/schema';
import { languagesOf } from '../../store/templates-repo';

/**
 * The one answer for "no such template in that language", used by sends, previews and reads:
 * the most common cause is a near-miss language code (es vs es_AR), so it names the
 * languages the template does exist in.
 */
export async function templateNotFound(
  db: Kysely<Database>,
  where: { accountId: string; name: string; language: string; path: string },
): Promise<RecontactError> {
  const langs = await languagesOf(db, where.accountId, where.name);
  return new RecontactError(
    'TEMPLATE_NOT_FOUND',
    `Template "${where.name}" does not exist in language "${where.language}"`,
    {
      details: [
        {
          path: where.path,
          message: langs.length ? `it exists in: ${langs.join(', ')}` : 'no language has it',
        },
      ],
      hint: langs.length
        ? 'Use one of the languages above (codes must match exactly: es ≠ es_AR).'
        : 'Check the name, or push the template (`recontact templates push`) or pull Meta’s state (`recontact templates pull`).',
    },
  );
}
