/** The newest modification time of the files under `dir` (ms), leaving out those `skip` names. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function newestMtime(dir: string, skip: (name: string) => boolean = () => false): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestMtime(p, skip));
    else if (!skip(e.name)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}
