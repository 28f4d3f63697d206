/**
 * bin/recontact.js runs the bundle while it is at least as new as every source file, and the
 * sources through tsx as soon as one is newer: an edited source is never shadowed by an older
 * build. Checked on a copy of the layout (bin/, dist/, src/) whose two entry points say which ran.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('bin/recontact.js', () => {
  let root: string;
  const run = (env: Record<string, string> = {}) =>
    execFileSync(process.execPath, [join(root, 'bin', 'recontact.js')], {
      encoding: 'utf8',
      env: { ...process.env, RECONTACT_FROM_SOURCE: '', ...env },
    }).trim();
  const age = (file: string, secondsAgo: number) => {
    const t = new Date(Date.now() - secondsAgo * 1000);
    utimesSync(join(root, file), t, t);
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'recontact-bin-'));
    for (const dir of ['bin', 'dist', 'src/cli', 'src/store'])
      mkdirSync(join(root, dir), { recursive: true });
    copyFileSync('bin/recontact.js', join(root, 'bin', 'recontact.js'));
    symlinkSync(join(process.cwd(), 'node_modules'), join(root, 'node_modules'));
    writeFileSync(join(root, 'package.json'), '{"type":"module"}');
    writeFileSync(join(root, 'dist', 'recontact.mjs'), "console.log('bundle');\n");
    writeFileSync(
      join(root, 'src', 'cli', 'main.ts'),
      "const from: string = 'sources';\nconsole.log(from);\n",
    );
    writeFileSync(join(root, 'src', 'store', 'repo.ts'), 'export const x = 1;\n');
    writeFileSync(join(root, 'src', 'store', 'repo.test.ts'), 'export const y = 1;\n');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('runs the bundle when no source is newer', () => {
    for (const f of ['src/cli/main.ts', 'src/store/repo.ts']) age(f, 60);
    age('dist/recontact.mjs', 10);
    expect(run()).toBe('bundle');
    // A test file is not in the bundle: editing one does not make it stale.
    age('src/store/repo.test.ts', 0);
    expect(run()).toBe('bundle');
  });

  it('runs the sources when one of them, however deep, is newer than the bundle', () => {
    age('dist/recontact.mjs', 10);
    age('src/store/repo.ts', 0);
    expect(run()).toBe('sources');
  });

  it('runs the sources when there is no bundle, or when RECONTACT_FROM_SOURCE is set', () => {
    for (const f of ['src/cli/main.ts', 'src/store/repo.ts']) age(f, 60);
    age('dist/recontact.mjs', 10);
    expect(run({ RECONTACT_FROM_SOURCE: '1' })).toBe('sources');
    rmSync(join(root, 'dist', 'recontact.mjs'));
    expect(run()).toBe('sources');
  });
});
