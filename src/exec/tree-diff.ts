/**
 * Change detection for the copy snapshotter: a record of the flattened rootfs taken before the
 * step, and the rootfs compared with it afterwards. An entry counts as changed when:
 *
 * - its identity moved: device + inode number + birth time. ext4 hands a freed inode number to the
 *   next file at once (`rm -r d && mkdir d` keeps the number), the birth time tells them apart;
 * - its type, mode, owner, mtime (ns), size, symlink target, device number or layer xattrs differ;
 * - it is a regular file whose content differs. A write always moves ctime, which utimes cannot set
 *   back, so a file still at its recorded ctime has its recorded content and is not read. When
 *   ctime moved but everything above is equal (a same-size rewrite with the mtime set back, a
 *   chmod there and back, a new hardlink), the content is compared byte for byte with the lower
 *   it was copied from: snapshots never change, so no hash has to be taken up front.
 *   The kernel stamps ctime from a coarse clock (a jiffy; a second on some filesystems), so a file
 *   recorded in the clock's last tick before the step could be rewritten within that same tick:
 *   files whose ctime is not older than a marker made after the flatten are "racy" and always
 *   compared by content (git's racy-clean rule). A wall clock set back mid-step defeats this, as
 *   it defeats make and rsync.
 *
 * Two differences from overlayfs, both harmless to the image: a change that ends where it began
 * (a chmod there and back) is not listed, where overlayfs has copied the file up; and a file
 * hardlinked in a lower is one inode in the copy, so a write through one name is listed under
 * every name, where overlayfs breaks the link at copy-up.
 *
 * Memory: one small record per path (a Debian rootfs has ~10k: a few MB) plus the xattrs of the
 * few paths that have some; the diff holds the changed entries' stats and a set of the paths seen.
 */
import type { BigIntStats } from 'node:fs';
import { lstat, open, readlink, unlink, writeFile } from 'node:fs/promises';
import { walk } from '../layer/walk.js';
import { isLayerXattr, readTreeXattrs, type Xattrs } from '../layer/xattrs.js';
import { entryKind, type EntryKind } from './copy-node.js';

interface Recorded {
  kind: EntryKind;
  mode: bigint;
  uid: bigint;
  gid: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  dev: bigint;
  ino: bigint;
  birthtimeNs: bigint;
  rdev: bigint;
  /** Symlinks: the target. */
  target?: Buffer;
  /** Regular files: the lower dir holding the recorded content. */
  source?: string;
  /** Regular files: recorded in the clock's last tick, so compared by content whatever the ctime says. */
  racy?: boolean;
}

/** An entry of the rootfs that goes into the upper dir. */
export interface TreeChange {
  rel: string;
  stat: BigIntStats;
  /** A directory that replaced what the lowers had at its path: it hides their contents (overlay's opaque dir). */
  opaque: boolean;
}

export interface TreeDiff {
  /** Changed and new entries, parents before children. */
  changes: TreeChange[];
  /** Deleted paths, topmost only (below a deleted or replaced directory nothing more is listed). */
  deleted: string[];
  /** The layer xattrs of the rootfs now, by path. */
  xattrs: Map<string, Xattrs>;
}

const COMPARE_CHUNK = 256 * 1024;

/** The parent of a relative path ('' for the root). */
export function parentOf(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? '' : rel.slice(0, slash);
}

function sameXattrs(a: Xattrs | undefined, b: Xattrs | undefined): boolean {
  if ((a?.size ?? 0) !== (b?.size ?? 0)) return false;
  for (const [name, value] of a ?? []) {
    const other = b!.get(name);
    if (!other || !other.equals(value)) return false;
  }
  return true;
}

async function sameContent(a: string, b: string): Promise<boolean> {
  const fa = await open(a, 'r');
  try {
    const fb = await open(b, 'r');
    try {
      const ba = Buffer.allocUnsafe(COMPARE_CHUNK);
      const bb = Buffer.allocUnsafe(COMPARE_CHUNK);
      for (let position = 0; ; position += COMPARE_CHUNK) {
        const [ra, rb] = await Promise.all([fa.read(ba, 0, COMPARE_CHUNK, position), fb.read(bb, 0, COMPARE_CHUNK, position)]);
        if (ra.bytesRead !== rb.bytesRead || !ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
        if (ra.bytesRead < COMPARE_CHUNK) return true;
      }
    } finally {
      await fb.close();
    }
  } finally {
    await fa.close();
  }
}

/** The ctime the filesystem under `dir` gives a change made now. */
async function clockStamp(dir: string): Promise<bigint> {
  const marker = `${dir}/.clock-stamp`;
  await writeFile(marker, '');
  try {
    return (await lstat(marker, { bigint: true })).ctimeNs;
  } finally {
    await unlink(marker);
  }
}

export class TreeRecord {
  private constructor(
    private readonly entries: Map<string, Recorded>,
    private readonly xattrs: Map<string, Xattrs>,
  ) {}

  /**
   * Records the tree at `root`, which must be done changing. `sources`: the lower each regular
   * file was copied from; `scratch`: a directory on the same filesystem for the clock marker.
   */
  static async take(root: string, sources: ReadonlyMap<string, string>, scratch: string): Promise<TreeRecord> {
    const stamp = await clockStamp(scratch);
    const entries = new Map<string, Recorded>();
    for await (const { rel, abs, stat } of walk(root)) {
      const r: Recorded = {
        kind: entryKind(stat),
        mode: stat.mode,
        uid: stat.uid,
        gid: stat.gid,
        size: stat.size,
        mtimeNs: stat.mtimeNs,
        ctimeNs: stat.ctimeNs,
        dev: stat.dev,
        ino: stat.ino,
        birthtimeNs: stat.birthtimeNs,
        rdev: stat.rdev,
      };
      if (r.kind === 'symlink') r.target = await readlink(abs, { encoding: 'buffer' });
      if (r.kind === 'file') {
        const source = sources.get(rel);
        if (source !== undefined) r.source = source;
        r.racy = stat.ctimeNs >= stamp;
      }
      entries.set(rel, r);
    }
    return new TreeRecord(entries, await readTreeXattrs(root, isLayerXattr));
  }

  /**
   * What changed under `root` since the record, in the form overlayfs leaves it. A directory
   * "kept" is the recorded one at the same path below kept parents: what the lowers have in it
   * still shows, so only changes inside it are listed. Everything below a new or replaced
   * directory is listed, since nothing of the lowers shows through it. An unchanged file sharing
   * its inode with a listed one is listed too, so the hardlink survives (overlay copies a file up
   * to link it).
   */
  async diff(root: string): Promise<TreeDiff> {
    const xattrs = await readTreeXattrs(root, isLayerXattr);
    const changes: TreeChange[] = [];
    const seen = new Set<string>();
    const kept = new Set<string>();
    const changedInodes = new Set<string>();
    const unchangedLinks = new Map<string, TreeChange[]>();
    for await (const { rel, abs, stat } of walk(root)) {
      seen.add(rel);
      const before = this.entries.get(rel);
      const parentKept = !rel.includes('/') || kept.has(parentOf(rel));
      const same = before !== undefined && before.kind === entryKind(stat) && before.dev === stat.dev && before.ino === stat.ino && before.birthtimeNs === stat.birthtimeNs;
      if (stat.isDirectory() && same && parentKept) kept.add(rel);
      const change: TreeChange = { rel, stat, opaque: stat.isDirectory() && parentKept && before !== undefined && !same };
      if (parentKept && same && (await this.unchanged(before, rel, abs, stat, xattrs.get(rel)))) {
        if (!stat.isDirectory() && stat.nlink > 1n) {
          const key = `${stat.dev}:${stat.ino}`;
          const group = unchangedLinks.get(key);
          if (group) group.push(change);
          else unchangedLinks.set(key, [change]);
        }
        continue;
      }
      changes.push(change);
      if (!stat.isDirectory() && stat.nlink > 1n) changedInodes.add(`${stat.dev}:${stat.ino}`);
    }
    for (const [key, group] of unchangedLinks) if (changedInodes.has(key)) changes.push(...group);
    const deleted: string[] = [];
    for (const rel of this.entries.keys()) {
      if (!seen.has(rel) && (!rel.includes('/') || kept.has(parentOf(rel)))) deleted.push(rel);
    }
    return { changes, deleted, xattrs };
  }

  /** Whether the entry at `rel`, known to be the recorded inode, still has the recorded metadata and content. */
  private async unchanged(before: Recorded, rel: string, abs: string, stat: BigIntStats, xattrs: Xattrs | undefined): Promise<boolean> {
    if (before.mode !== stat.mode || before.uid !== stat.uid || before.gid !== stat.gid || before.mtimeNs !== stat.mtimeNs) return false;
    if (!sameXattrs(this.xattrs.get(rel), xattrs)) return false;
    switch (before.kind) {
      case 'file':
        if (before.size !== stat.size) return false;
        if (before.ctimeNs === stat.ctimeNs && !before.racy) return true;
        return before.source !== undefined && sameContent(abs, `${before.source}/${rel}`);
      case 'symlink':
        return (await readlink(abs, { encoding: 'buffer' })).equals(before.target!);
      case 'char':
      case 'block':
        return before.rdev === stat.rdev;
      default:
        return true;
    }
  }
}
