/**
 * The tmp/ area. Every entry is named `<owner>.<random>.<what>`, so leftovers of killed
 * processes can be told from work in progress by checking the owner (never by age, which
 * would race a slow writer). What a dead process left:
 *  - `gc-blob.<alg>.<hex>` and `gc-snap.<name>`: a blob or snapshot a prune had moved aside
 *    and not yet judged; it goes back where it was, and the next prune decides again;
 *  - anything else (half-written blobs, half-extracted snapshots, trash): removed, after the
 *    mounts under it (a killed RUN step's overlay) are detached; an entry whose mounts this
 *    process cannot detach stays for one that can.
 * Entries of owners this host cannot check (another machine sharing the root) are handled
 * the same way once they are a day old.
 */
import { lstat, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tempPath } from './atomic.js';
import { listDir, removeTree, treeSize } from './fsutil.js';
import type { StorePaths } from './layout.js';
import { detachMounts } from './mounts.js';
import { ownerState } from './owner.js';

const FOREIGN_TEMP_MS = 24 * 3600 * 1000;

export interface TempCleanup {
  removed: string[];
  restored: string[];
  bytes: number;
}

/** A temp path that, if this process dies holding it, is put back at `original`. */
export function parkingPath(paths: StorePaths, kind: 'gc-blob' | 'gc-snap', key: string): string {
  return tempPath(paths.tmp, `${kind}.${key}`);
}

/** A temp path whose content is garbage if this process dies. */
export function trashPath(paths: StorePaths): string {
  return tempPath(paths.tmp, 'trash');
}

export async function cleanTemp(paths: StorePaths): Promise<TempCleanup> {
  const out: TempCleanup = { removed: [], restored: [], bytes: 0 };
  for (const name of await listDir(paths.tmp)) {
    const full = join(paths.tmp, name);
    if (!(await abandoned(name, full))) continue;
    const restoreTo = originalPlace(paths, name);
    try {
      if (restoreTo && (await restore(full, restoreTo))) {
        out.restored.push(name);
        continue;
      }
      if (!(await detachMounts(full))) continue;
      const bytes = await treeSize(full);
      await removeTree(full);
      out.removed.push(name);
      out.bytes += bytes;
    } catch (err) {
      // Another process cleaning at the same time got there first.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return out;
}

async function abandoned(name: string, full: string): Promise<boolean> {
  const state = ownerState(name.split('.')[0]!);
  if (state !== 'unknown') return state === 'dead';
  try {
    return Date.now() - (await lstat(full)).mtimeMs > FOREIGN_TEMP_MS;
  } catch {
    return false;
  }
}

function originalPlace(paths: StorePaths, name: string): string | undefined {
  const [, , kind, ...rest] = name.split('.');
  if (kind === 'gc-blob' && rest.length === 2) return join(paths.blobs, rest[0]!, rest[1]!);
  if (kind === 'gc-snap' && rest.length === 1) return join(paths.snapshots, rest[0]!);
  return undefined;
}

/** Moves a parked entry back; false when its place is taken again (the entry is then garbage). */
export async function restore(parked: string, original: string): Promise<boolean> {
  try {
    await rename(parked, original);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTEMPTY') return false;
    throw err;
  }
}

export async function discard(path: string): Promise<void> {
  await rm(path, { force: true });
}
