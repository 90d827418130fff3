/**
 * What COPY/ADD (and RUN bind mounts) read, as a digest for their cache key: every entry under
 * the resolved sources — path, type, mode, link target, and a content hash for files (xxh64,
 * streamed, skipped through the stat cache when the file is unchanged) — and not the rest of the
 * context, so a change elsewhere in the context never invalidates the step.
 */
import type { PatternMatcher } from '../context/dockerignore.js';
import { digestEntries, hashEntry, type DigestInput } from '../context/hash.js';
import type { ResolvedSource } from '../context/sources.js';
import type { StatCache } from '../context/stat-cache.js';
import { walkContext, type ContextEntry } from '../context/walk.js';

export interface ContentDigest {
  /** `sha256:…` over the entries and the names they take. */
  digest: string;
  /** The entries, for explaining a miss (which file changed). */
  entries: DigestInput[];
}

export async function sourcesDigest(root: string, sources: readonly ResolvedSource[], ignore: PatternMatcher | undefined, statCache?: StatCache): Promise<ContentDigest> {
  const entries: DigestInput[] = [];
  for (const source of sources) {
    // The name a source takes at the destination is part of what the step produces.
    entries.push({ path: `${source.path}\0as\0${source.name}`, type: source.entry.type, mode: 0 });
    entries.push(await describe(root, source.entry, statCache));
    if (source.entry.type !== 'directory') continue;
    for await (const entry of walkContext(root, { ignore, under: source.path === '.' ? undefined : source.path })) {
      entries.push(await describe(root, entry, statCache));
    }
  }
  return { digest: digestEntries(entries), entries: entries.filter((e) => !e.path.includes('\0')) };
}

async function describe(root: string, entry: ContextEntry, statCache: StatCache | undefined): Promise<DigestInput> {
  const base: DigestInput = { path: entry.path, type: entry.type, mode: entry.mode };
  if (entry.type === 'symlink') return { ...base, linkTarget: entry.linkTarget };
  if (entry.type === 'file') return { ...base, hash: (await hashEntry(root, entry, statCache)).hash };
  return base;
}
