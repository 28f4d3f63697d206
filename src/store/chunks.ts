/**
 * Batches are written and read in chunks: both engines cap the number of bound parameters per
 * statement (SQLite 32,766, PostgreSQL 65,535), and very long IN lists plan badly.
 */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
