/**
 * A TreeDiff written out as an overlayfs upper dir, as the kernel would have left it for the
 * same changes: changed and new entries copied with their metadata, the unchanged parents of
 * changed entries as directories (overlay copies them up), deletions as 0/0 character devices
 * and replaced directories marked opaque. The layer writer and the snapshot store read it exactly
 * as a real upper dir.
 */
import type { BigIntStats } from 'node:fs';
import { link, lstat, mkdir } from 'node:fs/promises';
import type { NodeMaker } from '../layer/nodes.js';
import { overlayXattrPrefix } from '../layer/whiteout.js';
import type { Xattrs } from '../layer/xattrs.js';
import { copyNode, DeferredMetadata, metadataOf, setCopyMetadata } from './copy-node.js';
import { parentOf, type TreeDiff } from './tree-diff.js';

/**
 * Writes `diff` (of the tree at `merged`) into the empty directory `upper`. `asRoot`: set owners and
 * use overlay's trusted.* xattrs; otherwise the rootless user.* ones. Whiteouts need mknod of a 0/0
 * device, which Linux allows without root since 5.8.
 */
export async function writeUpperDir(merged: string, upper: string, diff: TreeDiff, nodes: NodeMaker, asRoot: boolean): Promise<void> {
  const writer = new UpperWriter(merged, upper, diff.xattrs, nodes, asRoot);
  for (const change of diff.changes) {
    if (change.stat.isDirectory()) await writer.dir(change.rel, change.opaque);
    else await writer.node(change.rel, change.stat);
  }
  for (const rel of diff.deleted) await writer.whiteout(rel);
  await writer.deferred.apply();
}

class UpperWriter {
  readonly deferred: DeferredMetadata;
  private readonly dirs = new Set<string>(['']);
  /** Hardlinks: the rootfs inode → its first copy in the upper dir. */
  private readonly links = new Map<string, string>();
  private readonly opaque: Xattrs;

  constructor(
    private readonly merged: string,
    private readonly upper: string,
    private readonly xattrs: Map<string, Xattrs>,
    private readonly nodes: NodeMaker,
    private readonly asRoot: boolean,
  ) {
    this.deferred = new DeferredMetadata(upper, asRoot);
    this.opaque = new Map([[`${overlayXattrPrefix(!asRoot)}opaque`, Buffer.from('y')]]);
  }

  /** Creates the directory `rel` and its missing parents, each with the rootfs directory's metadata. */
  async dir(rel: string, opaque = false): Promise<void> {
    if (this.dirs.has(rel)) return;
    await this.dir(parentOf(rel));
    await mkdir(`${this.upper}/${rel}`, { mode: 0o700 });
    this.dirs.add(rel);
    const own = this.xattrs.get(rel);
    const xattrs = opaque ? new Map([...(own ?? []), ...this.opaque]) : own;
    this.deferred.set(rel, metadataOf(await lstat(`${this.merged}/${rel}`, { bigint: true })), xattrs);
  }

  async node(rel: string, stat: BigIntStats): Promise<void> {
    await this.dir(parentOf(rel));
    const dest = `${this.upper}/${rel}`;
    const key = stat.nlink > 1n ? `${stat.dev}:${stat.ino}` : undefined;
    const first = key === undefined ? undefined : this.links.get(key);
    if (first !== undefined) {
      await link(`${this.upper}/${first}`, dest);
      return;
    }
    if (!(await copyNode(`${this.merged}/${rel}`, dest, stat, this.nodes))) return;
    if (key !== undefined) this.links.set(key, rel);
    const xattrs = this.xattrs.get(rel);
    if (xattrs) this.deferred.set(rel, metadataOf(stat), xattrs);
    else await setCopyMetadata(dest, metadataOf(stat), this.asRoot, stat.isFile());
  }

  async whiteout(rel: string): Promise<void> {
    await this.dir(parentOf(rel));
    await this.nodes.makeWhiteout(`${this.upper}/${rel}`);
  }
}
