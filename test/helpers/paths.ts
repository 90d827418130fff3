import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest directory above this file holding package.json (works from test/ and dist/test/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the test helpers');
    dir = parent;
  }
  return dir;
}

/** The shared conformance vectors (`HULL_CONFORMANCE` overrides `../shared/conformance`). */
export function conformanceDir(): string {
  return process.env.HULL_CONFORMANCE ?? resolve(repoRoot(), '..', 'shared', 'conformance');
}
