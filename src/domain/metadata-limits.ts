/**
 * Limits on the caller's `metadata`: it is stored with every message and echoed in every event
 * about it, so it must stay small and flat enough to copy cheaply and to fit any bot's parser.
 */
import type { ErrorDetail } from './errors';
import { valueDepth } from './json-depth';

export const METADATA_LIMITS = {
  /** Levels of objects/arrays, the metadata object itself being level 1. */
  maxDepth: 8,
  /** Keys over all levels. */
  maxKeys: 50,
  /** Serialised as JSON, UTF-8. */
  maxBytes: 4096,
} as const;

/** What breaks the limits, as details under `path` (empty when the metadata is fine). */
export function metadataProblems(metadata: unknown, path = 'metadata'): ErrorDetail[] {
  const { maxDepth, maxKeys, maxBytes } = METADATA_LIMITS;
  const depth = valueDepth(metadata, maxDepth);
  if (depth > maxDepth) {
    return [{ path, message: `nests more than ${maxDepth} levels deep; flatten it (at most ${maxDepth})` }];
  }
  let keys = 0;
  const stack: unknown[] = [metadata];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (!Array.isArray(v)) keys += Object.keys(v).length;
    stack.push(...(Array.isArray(v) ? v : Object.values(v)));
  }
  const problems: ErrorDetail[] = [];
  if (keys > maxKeys) {
    problems.push({ path, message: `has ${keys} keys over all levels; at most ${maxKeys} are allowed` });
  }
  const bytes = Buffer.byteLength(JSON.stringify(metadata) ?? '', 'utf8');
  if (bytes > maxBytes) {
    problems.push({
      path,
      message: `is ${bytes} bytes as JSON; at most ${maxBytes} are allowed (keep an id here and the rest in your system)`,
    });
  }
  return problems;
}
