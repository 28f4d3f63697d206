/**
 * The direction of dependency, held by a test: cli → app → api → engine → store → domain.
 * - api/ and cli/ reach data only through the engine's services (the engine owns the use cases,
 *   the store owns the SQL) or, for the CLI's maintenance commands, the composition root.
 * - domain/ is pure: it imports nothing from store, engine, api, channels or cli.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(SRC);

interface ImportSite {
  specifier: string;
  line: number;
}

/** Every module a source text imports or re-exports, static or dynamic, type-only or not. */
function importsOf(text: string): ImportSite[] {
  const patterns = [
    // import … from '…' / export … from '…' (across lines: no quote can occur before `from`)
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1/g,
    // import '…' (for its side effects)
    /\bimport\s*(['"])([^'"]+)\1/g,
    // import('…'), require('…')
    /\b(?:import|require)\s*\(\s*(['"])([^'"]+)\1\s*\)/g,
  ];
  const sites = new Map<number, ImportSite>();
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      const at = m.index + m[0].lastIndexOf(m[2]!);
      sites.set(at, { specifier: m[2]!, line: text.slice(0, at).split('\n').length });
    }
  }
  return [...sites.values()].sort((a, b) => a.line - b.line);
}

/** The .ts files under src/<dir>, tests left out: tests may reach into any layer. */
function sourceFiles(dir: string): string[] {
  return readdirSync(join(SRC, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => join(SRC, dir, f));
}

/** The top folder under src/ that a relative import of `file` lands in ("store", "engine"…), or undefined. */
function layerOf(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = relative(SRC, resolve(dirname(file), specifier));
  if (target.startsWith('..')) return undefined;
  const [top, ...rest] = target.split(sep);
  return rest.length > 0 ? top : top?.replace(/\.(ts|js)$/, '');
}

/** "src/api/x.ts:7 imports '../store/y'" for every import of `file` that lands in one of `layers`. */
function violations(dirs: string[], layers: string[]): string[] {
  const found: string[] = [];
  for (const dir of dirs) {
    for (const file of sourceFiles(dir)) {
      for (const site of importsOf(readFileSync(file, 'utf8'))) {
        const layer = layerOf(file, site.specifier);
        if (layer !== undefined && layers.includes(layer)) {
          found.push(`${relative(ROOT, file)}:${site.line} imports '${site.specifier}' (${layer}/)`);
        }
      }
    }
  }
  return found;
}

describe('architecture', () => {
  it('api/ and cli/ import nothing from store/: they go through the engine or the composition root', () => {
    expect(
      violations(['api', 'cli'], ['store']),
      'call an engine service (src/engine/…) instead; a CLI maintenance command goes through src/admin.ts',
    ).toEqual([]);
  });

  it('domain/ imports nothing from store/, engine/, api/, channels/ or cli/', () => {
    expect(
      violations(['domain'], ['store', 'engine', 'api', 'channels', 'cli']),
      'the domain is pure rules: move the I/O to the engine or the store',
    ).toEqual([]);
  });

  it('finds imports of every form, with their lines', () => {
    const text = [
      "import { a } from '../store/a';",
      'import {',
      '  type B,',
      '  c,',
      "} from '../../store/b';",
      "export { d } from '../store/d';",
      "import '../store/e';",
      "const f = await import('../store/f');",
      "// 'from' in a comment: import nothing",
    ].join('\n');
    expect(importsOf(text)).toEqual([
      { specifier: '../store/a', line: 1 },
      { specifier: '../../store/b', line: 5 },
      { specifier: '../store/d', line: 6 },
      { specifier: '../store/e', line: 7 },
      { specifier: '../store/f', line: 8 },
    ]);
  });

  it('tells which layer a relative import lands in', () => {
    const file = join(SRC, 'api', 'routes', 'messages.ts');
    expect(layerOf(file, '../../store/messages-repo')).toBe('store');
    expect(layerOf(file, '../../engine/outbound/message-queries')).toBe('engine');
    expect(layerOf(file, '../schemas')).toBe('api');
    expect(layerOf(file, '../../admin')).toBe('admin');
    expect(layerOf(file, 'fastify')).toBeUndefined();
  });
});
