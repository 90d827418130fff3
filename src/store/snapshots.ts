/**
 * Snapshot directories: one extracted layer diff each, made in tmp/ and renamed into
 * snapshots/ in one step, under a per-diff lock so only one process extracts a given layer.
 */
import { chmod, mkdir, rename } from 'node:fs/promises';
import type { Digest } from '../image/digest.js';
import { fsyncDir, tempPath } from './atomic.js';
import { noSpaceError } from './errors.js';
import { exists, removeTree } from './fsutil.js';
import type { StorePaths } from './layout.js';
import type { Locks } from './lock.js';

export async function makeSnapshot(paths: StorePaths, locks: Locks, diffId: Digest, create: (dir: string) => Promise<void>): Promise<string> {
  const target = paths.snapshot(diffId);
  return locks.with(`snapshot-${diffId.replace(':', '-')}`, async () => {
    if (await exists(target)) return target;
    const work = tempPath(paths.tmp, 'snapshot');
    await mkdir(work);
    // The directory becomes the layer's root: world-readable like /, whatever the umask.
    await chmod(work, 0o755);
    try {
      await create(work);
      await rename(work, target);
    } catch (err) {
      await removeTree(work);
      // A prune that had moved this snapshot aside put it back meanwhile: it is the same content.
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await exists(target))) return target;
      throw noSpaceError(err, `the snapshot of ${diffId} into ${paths.tmp}`);
    }
    await fsyncDir(paths.snapshots);
    return target;
  });
}
