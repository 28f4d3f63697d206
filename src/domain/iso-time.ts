/** Times leave Recontact as ISO 8601 in UTC with milliseconds; stored times are epoch ms. */

const DAY_MS = 86_400_000;
/** The farthest time a Date holds, either side of 1970. */
const DATE_LIMIT_MS = 8.64e15;
// Most times written together fall on one day: its "YYYY-MM-DDT" is made once, not per call
// (Date#toISOString was 3 % of applying a status webhook, several times per event).
let cachedDay = Number.NaN;
let cachedPrefix = '';

export function isoTime(ms: number): string {
  // Fractions, NaN and times beyond Date's range: Date's own answer (or its RangeError).
  if (!Number.isInteger(ms) || Math.abs(ms) > DATE_LIMIT_MS) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS) * DAY_MS;
  if (day !== cachedDay) {
    const iso = new Date(day).toISOString();
    cachedPrefix = iso.slice(0, iso.indexOf('T') + 1);
    cachedDay = day;
  }
  let rest = ms - day;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  return `${cachedPrefix}${two(hours)}:${two(minutes)}:${two(seconds)}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);

export function isoTimeOrNull(ms: number | null): string | null {
  return ms === null ? null : isoTime(ms);
}
