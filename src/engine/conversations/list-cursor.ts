/**
 * The opaque cursor of a list ordered by (time, id): base64url of "<ms>.<id>". It is read back
 * strictly, against the id prefixes the list hands out, so a hand-made or mangled cursor is
 * refused by name rather than silently starting somewhere else.
 */
import { RecontactError } from '../../domain/errors';

export interface ListPosition {
  at: number;
  id: string;
}

export function writeListCursor(p: ListPosition): string {
  return Buffer.from(`${p.at}.${p.id}`, 'utf8').toString('base64url');
}

export function readListCursor(cursor: string, idPrefixes: readonly string[]): ListPosition {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^(\d{1,16})\.([a-z]{3,4})_([0-9A-HJKMNP-TV-Z]{26})$/.exec(text);
  if (!m || !idPrefixes.includes(m[2]!)) {
    throw new RecontactError('INPUT_INVALID', 'Invalid request query string: cursor', {
      details: [
        {
          path: 'querystring.cursor',
          message: 'is not a cursor given by this list; pass `next_cursor` from the previous page unchanged',
        },
      ],
    });
  }
  return { at: Number(m[1]), id: `${m[2]}_${m[3]}` };
}
