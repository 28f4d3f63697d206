/** Times leave Recontact as ISO 8601 in UTC with milliseconds; stored times are epoch ms. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

export function isoTimeOrNull(ms: number | null): string | null {
  return ms === null ? null : isoTime(ms);
}
