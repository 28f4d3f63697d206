/**
 * The rate card file (RATE_CARD_FILE), read once when Recontact starts: a card with a mistake
 * stops the start with every problem named by its JSON path, rather than a plan later quoting
 * prices from half a file. rate-cards/README.md describes the shape.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseRateCard, type RateCard } from '../../domain/campaigns/rate-card';
import { RecontactError } from '../../domain/errors';

/** Meta's card is about 30 KB; a file far larger is not a rate card. */
const MAX_BYTES = 1024 * 1024;
/** How many of a card's problems the one-line message quotes; `details` has them all. */
const QUOTED = 3;

const HINT =
  'Fix the file (its shape is in rate-cards/README.md), or unset RATE_CARD_FILE to use the card shipped with Recontact.';

export function loadRateCardFile(file: string): RateCard {
  const text = readText(file);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw refused(file, `is not JSON: ${(e as Error).message}`, [
      { path: 'RATE_CARD_FILE', message: `${file} is not JSON: ${(e as Error).message}` },
    ]);
  }
  const checked = parseRateCard(json);
  if (checked.ok) return checked.value;
  const quoted = checked.problems
    .slice(0, QUOTED)
    .map((p) => `${p.path}: ${p.message}`)
    .join('; ');
  const more = checked.problems.length > QUOTED ? ` (and ${checked.problems.length - QUOTED} more)` : '';
  throw refused(
    file,
    `is not a valid rate card, ${checked.problems.length} problem(s): ${quoted}${more}`,
    checked.problems.map((p) => ({ path: `RATE_CARD_FILE ${p.path}`, message: p.message })),
  );
}

function readText(file: string): string {
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_BYTES) throw new Error(`${st.size} bytes; a rate card has at most ${MAX_BYTES}`);
    return readFileSync(file, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw refused(file, `cannot be read: ${reason}`, [
      { path: 'RATE_CARD_FILE', message: `${file}: ${reason}` },
    ]);
  }
}

function refused(file: string, what: string, details: Array<{ path: string; message: string }>) {
  return new RecontactError('CONFIG_INVALID', `The rate card ${file} ${what}`, { details, hint: HINT });
}
