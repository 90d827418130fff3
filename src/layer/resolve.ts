/**
 * Path resolution inside an extraction root, done by hand with lstat (as securejoin and moby's
 * FollowSymlinkInScope do): every parent component is looked at, a symlink is expanded with the
 * root standing in for '/', and anything that would climb above the root is refused. The result is
 * a path made only of real directories, so no later syscall on it can leave the root.
 */
import type { BigIntStats } from 'node:fs';
import { lstat, mkdir, readlink } from 'node:fs/promises';
import { LayerError, UnsafeArchiveError } from '../errors.js';

/** Linux's limits: longer paths fail in every syscall anyway, so refuse them up front. */
export const PATH_MAX = 4095;
const MAX_SYMLINKS = 40;

/**
 * Splits an archive name into components. A leading '/' is dropped, as Docker and containerd do
 * (an absolute name means "from the layer's root"); '.' and empty components are dropped; '..' is
 * refused outright rather than cleaned, since no honest layer writer emits it. NUL is refused.
 */
export function splitEntryName(name: string, entry: string, what = 'name'): string[] {
  if (name.includes('\0')) throw new UnsafeArchiveError(`entry '${printable(entry)}': ${what} contains a NUL byte`, entry);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new UnsafeArchiveError(`entry '${printable(entry)}': ${what} '${printable(name)}' contains '..' and would leave the target`, entry);
  return parts;
}

/** An entry name fit for a message: control characters escaped, very long names shortened. */
export function printable(name: string): string {
  const s = name.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return s.length > 200 ? `${s.slice(0, 120)}…(${s.length} chars)…${s.slice(-60)}` : s;
}

/** lstat, null when nothing is there; a path longer than Linux takes is a LayerError naming it. */
export async function lstatOrNull(path: string): Promise<BigIntStats | null> {
  try {
    return await lstat(path, { bigint: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ENAMETOOLONG') throw new LayerError(`'${printable(path)}': path is too long (Linux allows ${PATH_MAX} bytes)`, path);
    throw err;
  }
}

interface Step {
  name: string;
  /** Set on the last step of a logical prefix: cache that prefix → the real path reached. */
  cacheKey?: string;
}

export interface RootResolverOptions {
  /**
   * What '..' at the root means: 'refuse' (extraction: no honest layer needs it) or 'clamp', the
   * kernel's own reading inside a root filesystem ('/..' is '/'), which BuildKit's RootPath uses
   * for COPY destinations.
   */
  aboveRoot?: 'refuse' | 'clamp';
  /** Runs on every directory resolveDir creates (its path relative to the root), e.g. to chown it. */
  onCreate?: (realRel: string) => Promise<void>;
}

export class RootResolver {
  /** Logical directory (as named in the archive) → real directory, both relative to the root. */
  private cache = new Map<string, string>();

  constructor(
    readonly root: string,
    private readonly options: RootResolverOptions = {},
  ) {}

  abs(realRel: string): string {
    return realRel === '' ? this.root : `${this.root}/${realRel}`;
  }

  /** Forget cached resolutions: call after removing or replacing a directory or symlink. */
  invalidate(): void {
    this.cache.clear();
  }

  /**
   * The real directory (relative to the root) that the logical components name. Missing
   * directories are created (mode 0755) when `create`, else null is returned.
   */
  async resolveDir(components: string[], entry: string, create: boolean): Promise<string | null> {
    const full = components.join('/');
    const hit = this.cache.get(full);
    if (hit !== undefined) return hit;

    const stack: string[] = [];
    const queue: Step[] = components.map((name, i) => ({ name, cacheKey: components.slice(0, i + 1).join('/') }));
    let links = 0;
    while (queue.length > 0) {
      const step = queue.shift()!;
      if (step.name === '' || step.name === '.') {
        // nothing to do
      } else if (step.name === '..') {
        if (stack.length > 0) stack.pop();
        else if (this.options.aboveRoot !== 'clamp') {
          throw new UnsafeArchiveError(`entry '${printable(entry)}': a symlink on its path points outside the target`, entry);
        }
      } else {
        const candidate = stack.length ? `${stack.join('/')}/${step.name}` : step.name;
        const abs = this.abs(candidate);
        if (Buffer.byteLength(abs) > PATH_MAX) throw new LayerError(`entry '${printable(entry)}': path is too long`, entry);
        const st = await lstatOrNull(abs);
        if (st === null) {
          if (!create) return null;
          await mkdir(abs, { mode: 0o755 });
          stack.push(step.name);
          await this.options.onCreate?.(candidate);
        } else if (st.isSymbolicLink()) {
          if (++links > MAX_SYMLINKS) throw new LayerError(`entry '${printable(entry)}': too many levels of symbolic links`, entry);
          const target = await readlink(abs);
          if (target.startsWith('/')) stack.length = 0;
          const expanded: Step[] = target.split('/').map((name) => ({ name }));
          // The logical prefix ending here is known only once the link's target is resolved.
          if (step.cacheKey !== undefined) expanded.push({ name: '', cacheKey: step.cacheKey });
          queue.unshift(...expanded);
          continue;
        } else if (st.isDirectory()) {
          stack.push(step.name);
        } else {
          throw new LayerError(`entry '${printable(entry)}': '${printable(candidate)}' is not a directory`, entry);
        }
      }
      if (step.cacheKey !== undefined) this.cache.set(step.cacheKey, stack.join('/'));
    }
    return stack.join('/');
  }

  /**
   * True if `realRel` is still reached through real directories only and ends at the same inode:
   * checked before deferred work (directory modes, xattrs) that runs after later entries may have
   * replaced something on the way.
   */
  async stillAt(realRel: string, dev: bigint, ino: bigint): Promise<boolean> {
    const parts = realRel === '' ? [] : realRel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const st = await lstatOrNull(this.abs(parts.slice(0, i).join('/')));
      if (!st || !st.isDirectory()) return false;
    }
    const st = await lstatOrNull(this.abs(realRel));
    return st !== null && st.dev === dev && st.ino === ino;
  }
}
