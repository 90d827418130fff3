/**
 * Incremental COPY: when the same COPY ran in the previous build over the same layers and only
 * some context files changed, the files that did not change are taken from that build's
 * snapshot as hard links instead of being copied again. A 200 MB context with one edited file
 * then writes one file, not 20,000.
 *
 * Hard links are safe here because snapshots are never written: a step that changes a file of a
 * lower layer gets overlayfs' copy of it in its own upper dir. The links are made in the upper
 * dir only after the overlay is unmounted (overlayfs allows changing an upper dir offline, not
 * under a mount). While copying, the writer leaves a reused file's name empty; a name that is
 * filled later in the same copy (a second source to the same path) wins over the link.
 *
 * A file is reused only when the previous snapshot holds, at the very same path, a regular file
 * with the bytes (the context file's content digest is the one the previous build recorded) and
 * the metadata this copy would give it (size, mode, owner, mtime). Anything else is copied.
 */
import { constants, copyFileSync, linkSync, lstatSync, type BigIntStats } from 'node:fs';
import { dirname } from 'node:path';
import { setMeta, setTimes, type FileMeta } from './metadata.js';

interface Taken {
  rel: string;
  /** The context file, copied after all if the snapshot's file is gone by the time it is linked. */
  src: string;
  meta: FileMeta;
}

/**
 * The mtime a copy gives a file is set through a double of seconds (~0.24 µs apart at today's
 * dates) and lands on whole microseconds: up to ~1.3 µs from the source's (1,094 ns was seen,
 * which a 1 µs slack refused now and then). Layers store whole seconds, so this changes no byte.
 */
const MTIME_SLACK_NS = 2000n;

export class SnapshotReuse {
  private readonly taken = new Map<string, Taken>();
  /** Whether each parent directory exists in the upper dir (cached: many files share one). */
  private readonly upperDirs = new Map<string, boolean>();

  /**
   * @param snapshot the previous build's snapshot of this step (its upper dir, then)
   * @param upper this step's overlay upper dir
   * @param unchanged absolute paths of the context files whose content digest matches the previous build's
   */
  constructor(
    private readonly snapshot: string,
    private readonly upper: string,
    private readonly unchanged: ReadonlySet<string>,
  ) {}

  /**
   * Takes the file `src` about to be written at `rel` (target root `targetAbs`) from the snapshot, if
   * it is there as this copy would write it; the writer then skips it.
   */
  take(src: string, rel: string, targetAbs: string, meta: FileMeta & { size: number }): boolean {
    if (!this.unchanged.has(src)) return false;
    // Synchronous: two lookups of a name take microseconds, less than a trip through libuv's pool.
    const before = lstatSync(`${this.snapshot}/${rel}`, { bigint: true, throwIfNoEntry: false });
    if (before === undefined || !matches(before, meta)) return false;
    // The copy would replace what is at the name in the rootfs (a lower layer's file): let it,
    // so a directory there still fails the copy and the diff is the copy's own.
    if (lstatSync(targetAbs, { throwIfNoEntry: false }) !== undefined) return false;
    if (!this.upperDirExists(dirname(rel))) return false;
    this.taken.set(rel, { rel, src, meta });
    return true;
  }

  /** How many files were taken from the snapshot. */
  get size(): number {
    return this.taken.size;
  }

  /**
   * Links the taken files into the upper dir, which must no longer be mounted. Directory times
   * are put back: the copy set them once their contents were written, and a link changes them.
   */
  link(): void {
    const dirs = new Map<string, BigIntStats>();
    for (const { rel } of this.taken.values()) {
      const dir = dirname(rel);
      if (!dirs.has(dir)) dirs.set(dir, lstatSync(this.abs(dir), { bigint: true }));
    }
    for (const t of this.taken.values()) {
      const abs = this.abs(t.rel);
      try {
        // synchronous, as the writer's metadata calls: a link is microseconds, a pool trip more
        linkSync(`${this.snapshot}/${t.rel}`, abs);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // written by a later source of this copy: that one wins
        if (code === 'EEXIST') continue;
        if (code !== 'ENOENT') throw err;
        // the snapshot went (pruned meanwhile): copy after all
        copyFileSync(t.src, abs, constants.COPYFILE_EXCL);
        setMeta(abs, t.meta);
      }
    }
    for (const [dir, st] of dirs) setTimes(this.abs(dir), st.mtimeNs, st.atimeNs);
  }

  private abs(rel: string): string {
    return rel === '.' || rel === '' ? this.upper : `${this.upper}/${rel}`;
  }

  private upperDirExists(dir: string): boolean {
    let known = this.upperDirs.get(dir);
    if (known === undefined) {
      // the copy makes a source's directories before their files, so this is settled once asked
      known = lstatSync(this.abs(dir), { throwIfNoEntry: false })?.isDirectory() ?? false;
      if (known) this.upperDirs.set(dir, known);
    }
    return known;
  }
}

function matches(st: BigIntStats, meta: FileMeta & { size: number }): boolean {
  if (!st.isFile() || st.size !== BigInt(meta.size)) return false;
  if (Number(st.mode & 0o7777n) !== meta.mode || Number(st.uid) !== meta.uid || Number(st.gid) !== meta.gid) return false;
  const drift = st.mtimeNs - meta.mtimeNs;
  return drift < MTIME_SLACK_NS && drift > -MTIME_SLACK_NS;
}
