/**
 * The stat cache kept in the store between builds, one file per context directory, so a rebuild
 * re-reads only the files whose size, times or inode changed (context/stat-cache.ts). It is
 * written back only when a build set a record: a rebuild with nothing changed writes nothing.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MemoryStatCache } from '../context/stat-cache.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { Store } from '../store/store.js';

function file(store: Store, contextRoot: string): string {
  return join(store.paths.root, 'cache', 'stat', `${createHash('sha256').update(contextRoot).digest('hex')}.stat`);
}

export async function loadStatCache(store: Store, contextRoot: string): Promise<MemoryStatCache> {
  try {
    return MemoryStatCache.parse(await readFile(file(store, contextRoot), 'utf8'));
  } catch {
    return new MemoryStatCache();
  }
}

export async function saveStatCache(store: Store, contextRoot: string, cache: MemoryStatCache): Promise<void> {
  if (!cache.dirty) return;
  const path = file(store, contextRoot);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFileAtomic(path, cache.serialize(), store.paths.tmp);
  cache.markSaved();
}
