/**
 * A step's own temp directory in the store's tmp/ (downloads, heredoc files, mount sources),
 * removed when the step ends and, through the cleanup registry, when hull is interrupted.
 */
import { rmSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { registerCleanup } from '../../exec/cleanup.js';
import { tempPath } from '../../store/atomic.js';

export interface TempDir {
  path: string;
  remove(): Promise<void>;
}

export async function stepTempDir(tmp: string, purpose: string): Promise<TempDir> {
  const path = tempPath(tmp, purpose);
  const unregister = registerCleanup(() => rmSync(path, { recursive: true, force: true }));
  await mkdir(path);
  return {
    path,
    remove: async () => {
      await rm(path, { recursive: true, force: true });
      unregister();
    },
  };
}
