/** The default seed: every template of examples/saludcenter.templates.yaml, APPROVED. */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { TemplateDefinition } from '../domain/templates/model';

export type SeedTemplate = TemplateDefinition & { wabaId?: string; status?: string };

const CANDIDATES = [
  fileURLToPath(new URL('../../examples/saludcenter.templates.yaml', import.meta.url)),
  resolve(process.cwd(), 'examples/saludcenter.templates.yaml'),
];

let cached: SeedTemplate[] | null = null;

/** Reads the example file once per process; empty when it cannot be found. */
export function defaultSeedTemplates(): SeedTemplate[] {
  if (cached) return cached;
  const file = CANDIDATES.find((f) => existsSync(f));
  if (!file) return [];
  const doc = parse(readFileSync(file, 'utf8')) as { templates?: SeedTemplate[] } | null;
  cached = Array.isArray(doc?.templates) ? doc.templates : [];
  return cached;
}
