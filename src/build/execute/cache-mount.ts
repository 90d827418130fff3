/**
 * RUN --mount=type=cache, with BuildKit's semantics: a directory kept in the store between builds
 * (compiler and package caches) and never part of a layer. The id defaults to the target;
 * `sharing=shared` (the default) lets concurrent steps use one directory, `locked` runs them one
 * at a time, `private` gives each concurrent user a directory of its own (reused once free).
 * A new directory gets `mode`/`uid`/`gid` (0755, 0, 0), or starts as a copy of `source` in the
 * stage or image `from`; like BuildKit, a cache seeded from other content is another cache.
 *
 *   ROOT/cache/mounts/<sha256 of the cache's key>/shared/       shared and locked
 *   ROOT/cache/mounts/<sha256 of the cache's key>/private-<n>/  private
 */
import { createHash } from 'node:crypto';
import { chmod, chown, lstat, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveSource } from '../../context/sources.js';
import { BuildError } from '../../errors.js';
import { runTool } from '../../exec/proc.js';
import type { OciMount } from '../../exec/spec.js';
import type { Mount } from '../../parse/instructions/types.js';
import { tempPath } from '../../store/atomic.js';
import type { StepContext } from './step.js';
import { openView, viewContext } from './view.js';

export interface CacheMount {
  mount: OciMount;
  /** Frees a private directory for the next user. */
  release(): Promise<void>;
}

/** The store lock a `sharing=locked` cache mount holds while its RUN runs. */
export async function cacheLockName(m: Mount, step: StepContext): Promise<string> {
  return `cache-mount-${await cacheHash(m, step)}`;
}

export async function cacheMount(m: Mount, target: string, step: StepContext): Promise<CacheMount> {
  const hash = await cacheHash(m, step);
  const base = join(step.store.paths.root, 'cache', 'mounts', hash);
  await mkdir(base, { recursive: true });
  let dir = join(base, 'shared');
  let release = async (): Promise<void> => undefined;
  if (m.sharing === 'private') {
    for (let n = 0; ; n++) {
      const held = await step.store.tryLock(`cache-mount-${hash}-private-${n}`);
      if (held === undefined) continue;
      dir = join(base, `private-${n}`);
      release = held;
      break;
    }
  }
  try {
    await ensureCacheDir(m, dir, hash, step);
  } catch (err) {
    await release();
    throw err;
  }
  return { mount: { destination: target, type: 'bind', source: dir, options: ['rbind', m.readonly ? 'ro' : 'rw'] }, release };
}

/** The cache's identity: its id (default: the target), and what seeds it when `from=` is given. */
async function cacheHash(m: Mount, step: StepContext): Promise<string> {
  const id = m.id ?? m.target ?? '';
  const key = m.from === undefined ? id : JSON.stringify([id, m.from, (await step.layersOf(m.from)).map((l) => l.diffID), m.source ?? '/']);
  return createHash('sha256').update(key).digest('hex');
}

/**
 * Makes the directory if it is missing: filled in tmp/, then renamed into place, so no user sees
 * it half-made. Under a lock: a rename would replace an empty directory another step already uses.
 */
async function ensureCacheDir(m: Mount, dir: string, hash: string, step: StepContext): Promise<void> {
  if (await isDirectory(dir)) return;
  const release = await step.store.lock(`cache-mount-${hash}-create`);
  const fresh = tempPath(step.store.paths.tmp, 'cache-mount');
  try {
    if (await isDirectory(dir)) return;
    if (m.from === undefined) {
      await mkdir(fresh);
    } else {
      await seed(m, m.from, fresh, step);
    }
    if (m.from === undefined || m.uid !== undefined || m.gid !== undefined) await chown(fresh, m.uid ?? 0, m.gid ?? 0);
    if (m.from === undefined || m.mode !== undefined) await chmod(fresh, m.mode ?? 0o755);
    await rename(fresh, dir);
  } finally {
    await rm(fresh, { recursive: true, force: true });
    await release();
  }
}

/** Copies `source` of stage or image `from` (a directory) to `into`, with owners, modes and times. */
async function seed(m: Mount, from: string, into: string, step: StepContext): Promise<void> {
  const view = await openView(step.store, await step.layersOf(from));
  try {
    const [resolved] = await resolveSource(viewContext(view), m.source ?? '/', { instruction: 'RUN --mount' });
    if (resolved!.entry.type !== 'directory') throw new BuildError(`--mount=${m.spec}: ${m.source ?? '/'} in ${from} is not a directory; a cache mount starts from a directory`, step.position);
    const copy = await runTool('cp', ['-a', '--reflink=auto', `${join(view.root, resolved!.path)}/.`, into]);
    if (copy.code !== 0) throw new BuildError(`--mount=${m.spec}: cannot copy ${m.source ?? '/'} from ${from} into the cache: ${copy.stderr.trim()}`, step.position);
  } finally {
    await view.close();
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isDirectory();
  } catch {
    return false;
  }
}
