/**
 * The stat cache kept in the store between builds, one file per context directory, so a rebuild
 * re-reads only the files whose size, times or inode changed (context/stat-cache.ts).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MemoryStatCache } from '../context/stat-cache.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { Store } from '../store/store.js';

function file(store: Store, contextRoot: string): string {
  return join(store.paths.root, 'cache', 'stat', `${createHash('sha256').update(contextRoot).digest('hex')}.json`);
}

export async function loadStatCache(store: Store, contextRoot: string): Promise<MemoryStatCache> {
  try {
    return MemoryStatCache.fromJSON(JSON.parse(await readFile(file(store, contextRoot), 'utf8')));
  } catch {
    return new MemoryStatCache();
  }
}

export async function saveStatCache(store: Store, contextRoot: string, cache: MemoryStatCache): Promise<void> {
  const path = file(store, contextRoot);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFileAtomic(path, JSON.stringify(cache), store.paths.tmp);
}
