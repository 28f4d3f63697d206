/**
 * ISO 8601 durations as configuration values ("P30D", "PT1H", "P1W", "P1DT12H"): weeks, days,
 * hours, minutes and seconds. Years and months are refused, since their length varies.
 */
const PATTERN = /^P(?:(\d{1,6})W)?(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,6})S)?)?$/;
const UNIT_MS = [7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1_000] as const;

/** Milliseconds, or null when `text` is not such a duration (or is zero). */
export function parseIsoDuration(text: string): number | null {
  const t = text.trim().toUpperCase();
  const m = PATTERN.exec(t);
  if (!m || t === 'P' || t.endsWith('T')) return null;
  const ms = UNIT_MS.reduce((sum, unit, i) => sum + Number(m[i + 1] ?? 0) * unit, 0);
  return ms > 0 ? ms : null;
}
