/**
 * Flattening overlay lower dirs into one real directory, for the copy snapshotter: each lower,
 * bottom first, is copied over the result with its overlay whiteouts applied (a 0/0 character
 * device deletes what the lowers below have at its path, an opaque directory drops what they had
 * in it), which gives the tree overlayfs would show as its merged dir.
 */
import type { BigIntStats } from 'node:fs';
import { link, mkdir, readdir, rm, unlink } from 'node:fs/promises';
import type { NodeMaker } from '../layer/nodes.js';
import { lstatOrNull } from '../layer/resolve.js';
import { walk } from '../layer/walk.js';
import { isOpaqueDir, isOverlayWhiteout } from '../layer/whiteout.js';
import { isLayerXattr, isOverlayXattr, readTreeXattrs, type Xattrs } from '../layer/xattrs.js';
import { copyNode, DeferredMetadata, metadataOf, setCopyMetadata } from './copy-node.js';
import { parentOf } from './tree-diff.js';

/**
 * Copies `lowers` (top layer first, as overlayfs lists them) into the empty directory `target`.
 * `chown`: set owners (root only). Returns, for every regular file, the lower it was copied from:
 * its unchanged content, for the change detection.
 */
export async function flattenLowers(lowers: readonly string[], target: string, nodes: NodeMaker, chown: boolean): Promise<Map<string, string>> {
  const flattener = new Flattener(target, nodes, chown);
  for (let i = lowers.length - 1; i >= 0; i--) await flattener.layer(lowers[i]!, i === lowers.length - 1);
  await flattener.deferred.apply();
  return flattener.sources;
}

/** The xattrs a copy carries: a layer's own, minus those only root may set when not root. */
function copiedXattrs(all: Xattrs | undefined, chown: boolean): Xattrs | undefined {
  if (!all) return undefined;
  const kept: Xattrs = new Map();
  for (const [name, value] of all) {
    if (!isLayerXattr(name)) continue;
    if (!chown && (name.startsWith('trusted.') || name === 'security.capability')) continue;
    kept.set(name, value);
  }
  return kept.size > 0 ? kept : undefined;
}

/** Entries copied at once: enough to keep the disk and libuv's threads busy on a tree of small files. */
const PARALLEL_COPIES = 32;

/** Tasks with at most `limit` in flight; the first failure is thrown once none is running any more. */
class TaskPool {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {}

  /** Waits for a free slot. */
  async ready(): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    if (this.failure) await this.drain();
  }

  add(task: Promise<void>): void {
    const tracked: Promise<void> = task
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  async drain(): Promise<void> {
    await Promise.all(this.running);
    if (this.failure) throw this.failure.error;
  }
}

/** A hardlink's first copy, being made. */
interface FirstLink {
  rel: string;
  made: Promise<void>;
}

class Flattener {
  readonly sources = new Map<string, string>();
  readonly deferred: DeferredMetadata;

  constructor(
    private readonly target: string,
    private readonly nodes: NodeMaker,
    private readonly chown: boolean,
  ) {
    this.deferred = new DeferredMetadata(target, chown);
  }

  /**
   * Copies one lower over the result. Directories, whiteouts and opaque dirs are handled in walk
   * order; files and symlinks are copied in parallel, which is safe because the walk puts a
   * directory before its children and one layer never holds two entries for the same path.
   */
  async layer(lower: string, bottom: boolean): Promise<void> {
    const pool = new TaskPool(PARALLEL_COPIES);
    try {
      await this.entries(lower, bottom, pool);
    } finally {
      // After a failure too: the caller removes the tree, which must not fill up behind it.
      await pool.drain();
    }
  }

  private async entries(lower: string, bottom: boolean, pool: TaskPool): Promise<void> {
    const xattrs = await readTreeXattrs(lower, (name) => isLayerXattr(name) || isOverlayXattr(name));
    // Hardlinks within this layer: the lower's inode → its first copy.
    const links = new Map<string, FirstLink>();
    // Directories this layer created: nothing else can be in them, so no lstat is needed there.
    const fresh = new Set<string>(bottom ? [''] : []);
    for await (const { rel, abs, stat } of walk(lower)) {
      const dest = `${this.target}/${rel}`;
      if (isOverlayWhiteout(stat)) {
        await this.remove(rel);
        continue;
      }
      const attrs = xattrs.get(rel);
      const present = fresh.has(parentOf(rel)) ? null : await lstatOrNull(dest);
      if (stat.isDirectory()) {
        if (present?.isDirectory()) {
          if (isOpaqueDir(attrs)) for (const name of await readdir(dest)) await this.remove(`${rel}/${name}`);
        } else {
          if (present) await this.remove(rel);
          // Writable until the deferred metadata lands, whatever the layer's mode.
          await mkdir(dest, { mode: 0o700 });
          fresh.add(rel);
        }
        this.deferred.set(rel, metadataOf(stat), copiedXattrs(attrs, this.chown));
        continue;
      }
      if (present) await this.remove(rel);
      if (stat.isFile()) this.sources.set(rel, lower);
      const copied = copiedXattrs(attrs, this.chown);
      // Queued for every name of a hardlinked file: a higher layer may delete the first one.
      if (copied) this.deferred.set(rel, metadataOf(stat), copied);
      const key = stat.nlink > 1n ? `${stat.dev}:${stat.ino}` : undefined;
      const first = key === undefined ? undefined : links.get(key);
      // Devices and FIFOs go one at a time: the mknod helper takes one request at a time.
      const parallel = first !== undefined || stat.isFile() || stat.isSymbolicLink();
      if (parallel) await pool.ready();
      const made = first !== undefined ? this.link(first, dest) : this.copy(abs, dest, stat, copied === undefined);
      if (key !== undefined && first === undefined) links.set(key, { rel, made });
      if (parallel) pool.add(made);
      else await made;
    }
  }

  private async copy(abs: string, dest: string, stat: BigIntStats, withMetadata: boolean): Promise<void> {
    if ((await copyNode(abs, dest, stat, this.nodes)) && withMetadata) await setCopyMetadata(dest, metadataOf(stat), this.chown, stat.isFile());
  }

  private async link(first: FirstLink, dest: string): Promise<void> {
    await first.made;
    await link(`${this.target}/${first.rel}`, dest);
  }

  /** Deletes `rel` from the result (a directory with everything in it), and what was recorded about it. */
  private async remove(rel: string): Promise<void> {
    const abs = `${this.target}/${rel}`;
    const st = await lstatOrNull(abs);
    if (!st) return;
    if (st.isDirectory()) {
      await rm(abs, { recursive: true, force: true });
      const prefix = `${rel}/`;
      for (const key of this.sources.keys()) if (key.startsWith(prefix)) this.sources.delete(key);
    } else {
      await unlink(abs);
    }
    this.sources.delete(rel);
    this.deferred.forget(rel);
  }
}
