/**
 * Business-scoped user ids (BSUID): how Meta names a WhatsApp user who chose a username (2026).
 * "US.13491208655302741918": the ISO 3166 alpha-2 country, a dot, then up to 128 letters and
 * digits. Meta says to store and send them back exactly as received, so nothing here rewrites
 * one (no case folding, no trimming): a BSUID is either well formed or refused.
 *
 * A BSUID can never be mistaken for a wa_id (digits only) or for one of our ids (a "ctc_"
 * prefix, no dot), which is what lets one column and one `to` field hold any of them.
 */

/** The most characters after the dot Meta documents. */
export const MAX_BSUID_ID_CHARS = 128;

const BSUID = /^[A-Z]{2}\.[A-Za-z0-9]{1,128}$/;
/**
 * Letters, a dot, then no space and no "+": what someone who meant a BSUID typed, right or
 * wrong ("us.123", "USA.123", "US.12-3"), and not a phone written with a prefix ("Tel. +54 …").
 */
const LOOKS_LIKE_BSUID = /^[A-Za-z]{1,8}\.[^\s+]*$/;

export function isBsuid(value: string): boolean {
  return BSUID.test(value);
}

/** Whether `value` was meant as a BSUID (so that a malformed one gets a BSUID-specific error). */
export function looksLikeBsuid(value: string): boolean {
  return LOOKS_LIKE_BSUID.test(value);
}

/** What is wrong with a BSUID-looking value, in words for the person who sent it; undefined when none. */
export function bsuidProblem(value: string): string | undefined {
  if (isBsuid(value)) return undefined;
  if (value !== value.trim()) return 'has spaces around it; send the BSUID exactly as Meta gave it';
  const dot = value.indexOf('.');
  const country = value.slice(0, dot);
  const id = value.slice(dot + 1);
  if (!/^[A-Za-z]{2}$/.test(country)) {
    return `starts with "${country}", but a BSUID starts with a two-letter country code (e.g. "US.")`;
  }
  if (country !== country.toUpperCase()) {
    return `starts with "${country}": the country code of a BSUID is upper case (e.g. "${country.toUpperCase()}.")`;
  }
  if (id === '') return 'has nothing after the dot';
  if (id.length > MAX_BSUID_ID_CHARS) {
    return `has ${id.length} characters after the dot; a BSUID has at most ${MAX_BSUID_ID_CHARS}`;
  }
  return 'may only have letters and digits after the dot';
}
