import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

/**
 * A temp directory for one test file (made before its tests, removed after) and `fresh(name)`
 * for a new, empty subdirectory per use, so tests never share state by accident.
 */
export function scratchDirs(prefix: string): { fresh: (name: string) => Promise<string>; root: () => string } {
  let dir = '';
  let counter = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  after(() => rm(dir, { recursive: true, force: true }));
  return {
    root: () => dir,
    fresh: async (name) => {
      const d = join(dir, `${name}-${++counter}`);
      await mkdir(d, { recursive: true });
      return d;
    },
  };
}
