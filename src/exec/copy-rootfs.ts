/**
 * The copy snapshotter: the MountedRootfs contract without any mount, for hosts where overlayfs
 * cannot be mounted (the store itself on overlayfs, as inside a container; old kernels; some
 * filesystems). `merged` is a real directory holding the lowers flattened (flatten.ts); a record
 * of it is taken (tree-diff.ts), and unmount() compares the tree with that record and writes the
 * differences into `upper` in overlay form (upper-dir.ts), so callers cannot tell it from an
 * overlay's upper dir. Slower: every step copies its whole rootfs (reflinks make that cheap on
 * btrfs and xfs) and walks it once more afterwards.
 */
import { rmSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ExecError, HullError } from '../errors.js';
import { NodeMaker } from '../layer/nodes.js';
import { removeTree } from '../store/fsutil.js';
import { registerCleanup } from './cleanup.js';
import { flattenLowers } from './flatten.js';
import type { MountedRootfs } from './rootfs.js';
import { TreeRecord } from './tree-diff.js';
import { writeUpperDir } from './upper-dir.js';

/** Runs `work` with a mknod helper whose shared whiteout device lives in `dir`, then stops it. */
async function withNodes<T>(dir: string, work: (nodes: NodeMaker) => Promise<T>): Promise<T> {
  const nodes = new NodeMaker(dir);
  try {
    return await work(nodes);
  } finally {
    await nodes.close();
  }
}

/** A failure of the filesystem itself, told apart from hull's typed errors. */
function wrapped(err: unknown, doing: string): Error {
  if (err instanceof HullError) return err;
  return new ExecError(`copy snapshotter: ${doing}: ${(err as Error).message}`);
}

/**
 * Builds the rootfs of `lowers` (top layer first; empty for FROM scratch) under a new directory
 * `dir`, which must not exist yet. On failure `dir` is removed.
 */
export async function copyRootfs(dir: string, lowers: readonly string[]): Promise<MountedRootfs> {
  const upper = join(dir, 'upper');
  const merged = join(dir, 'merged');
  // Only root may give files away (others keep their own uid, as rootless extraction does) and
  // write trusted.* xattrs (others mark opaque dirs with user.overlay.opaque).
  const asRoot = process.getuid?.() === 0;
  const unregister = registerCleanup(() => rmSync(dir, { recursive: true, force: true }));
  let record: TreeRecord | undefined;
  let unmounting: Promise<void> | undefined;

  const writeUpper = async (taken: TreeRecord): Promise<void> => {
    try {
      const diff = await taken.diff(merged);
      await withNodes(dir, (nodes) => writeUpperDir(merged, upper, diff, nodes, asRoot));
      // An unmounted overlay leaves an empty mount point; the copy's space is freed before the layer is packed.
      await removeTree(merged);
      await mkdir(merged);
    } catch (err) {
      throw wrapped(err, `writing the changes of ${merged} into ${upper}`);
    }
  };
  const unmount = (): Promise<void> => {
    if (record === undefined) return unmounting ?? Promise.resolve();
    unmounting = writeUpper(record);
    record = undefined;
    return unmounting;
  };
  // Removing needs no diff: the upper dir goes too.
  const remove = async (): Promise<void> => {
    record = undefined;
    await unmounting?.catch(() => undefined);
    await removeTree(dir);
    unregister();
  };

  try {
    await mkdir(dir, { mode: 0o700 });
    await mkdir(upper);
    await mkdir(merged);
    // The root's metadata is the upper dir's under overlayfs; the same here, whatever the umask.
    await chmod(merged, 0o755);
    await chmod(upper, 0o755);
    const sources = await withNodes(dir, (nodes) => flattenLowers(lowers, merged, nodes, asRoot));
    record = await TreeRecord.take(merged, sources, dir);
  } catch (err) {
    await remove();
    throw wrapped(err, `copying the layers into ${merged}`);
  }
  return { dir, upper, merged, snapshotter: 'copy', unmount, remove };
}
