/** `hull prune --all`: the build cache goes too — step records, cache mounts, build records, stat caches. */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '../store/store.js';

/** Removes ROOT/cache; returns the names of the parts that were there. */
export async function dropBuildCache(store: Store): Promise<string[]> {
  const dir = join(store.paths.root, 'cache');
  const parts = await readdir(dir).catch(() => [] as string[]);
  for (const part of parts) await rm(join(dir, part), { recursive: true, force: true });
  return parts;
}
