/**
 * Copying filesystem entries with their metadata, for the copy snapshotter: flattening the lowers
 * into the rootfs, and writing a step's changes out as an upper dir.
 */
import { constants, type BigIntStats } from 'node:fs';
import { chmod, copyFile, lchown, lutimes, readlink, symlink } from 'node:fs/promises';
import type { NodeMaker } from '../layer/nodes.js';
import { deviceNumbers } from '../layer/walk.js';
import { applyXattrs, type Xattrs } from '../layer/xattrs.js';

export type EntryKind = 'dir' | 'file' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

export function entryKind(stat: BigIntStats): EntryKind {
  if (stat.isDirectory()) return 'dir';
  if (stat.isFile()) return 'file';
  if (stat.isSymbolicLink()) return 'symlink';
  if (stat.isCharacterDevice()) return 'char';
  if (stat.isBlockDevice()) return 'block';
  return stat.isFIFO() ? 'fifo' : 'socket';
}

/** What setMetadata restores. */
export interface Metadata {
  mode: number;
  uid: number;
  gid: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  symlink: boolean;
}

export function metadataOf(stat: BigIntStats): Metadata {
  return { mode: Number(stat.mode) & 0o7777, uid: Number(stat.uid), gid: Number(stat.gid), atimeNs: stat.atimeNs, mtimeNs: stat.mtimeNs, symlink: stat.isSymbolicLink() };
}

/** Node's utimes takes seconds as a double, which keeps about a microsecond: ns cannot be set from here. */
function seconds(ns: bigint): number {
  return Number(ns / 1000n) / 1e6;
}

/** Owner (when `chown`: only root may give files away), mode and times, never following a symlink. */
export async function setMetadata(abs: string, meta: Metadata, chown: boolean): Promise<void> {
  // chown first: it clears setuid/setgid bits, which chmod then sets again.
  if (chown) await lchown(abs, meta.uid, meta.gid);
  if (!meta.symlink) await chmod(abs, meta.mode);
  await lutimes(abs, seconds(meta.atimeNs), seconds(meta.mtimeNs));
}

/** Who owns what this process creates (root: 0/0). */
const creator = { uid: process.geteuid?.() ?? -1, gid: process.getegid?.() ?? -1 };

/**
 * setMetadata for an entry copyNode just made, skipping what the copy has already: it belongs to
 * this process, and copyFile gave a file its mode, setuid/setgid aside (chown drops them, and so
 * does a write by a non-root owner). Two syscalls fewer per file of a root-owned rootfs.
 */
export async function setCopyMetadata(abs: string, meta: Metadata, chown: boolean, file: boolean): Promise<void> {
  if (chown && (meta.uid !== creator.uid || meta.gid !== creator.gid)) await lchown(abs, meta.uid, meta.gid);
  if (!meta.symlink && (!file || (meta.mode & 0o6000) !== 0)) await chmod(abs, meta.mode);
  await lutimes(abs, seconds(meta.atimeNs), seconds(meta.mtimeNs));
}

/**
 * Creates at `dest` (which must not exist) a copy of the non-directory `src`, without its
 * metadata. File data goes through copy_file_range or a reflink where the filesystem has them,
 * never through memory. Returns false for a socket, which is not copied: it belongs to a running
 * process, and the layer writer skips sockets too.
 */
export async function copyNode(src: string, dest: string, stat: BigIntStats, nodes: NodeMaker): Promise<boolean> {
  const kind = entryKind(stat);
  switch (kind) {
    case 'file':
      await copyFile(src, dest, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL);
      return true;
    case 'symlink':
      await symlink(await readlink(src, { encoding: 'buffer' }), dest);
      return true;
    case 'char':
    case 'block': {
      const { major, minor } = deviceNumbers(stat.rdev);
      await nodes.make(dest, kind, major, minor);
      return true;
    }
    case 'fifo':
      await nodes.make(dest, 'fifo');
      return true;
    default:
      return false;
  }
}

/**
 * Metadata set once a tree is written: a directory's mtime moves with every child created in it,
 * and a read-only mode would keep a non-root user from setting xattrs. Holds directories and the
 * few entries with xattrs, keyed by path relative to `root`.
 */
export class DeferredMetadata {
  private readonly entries = new Map<string, { meta: Metadata; xattrs: Xattrs | undefined }>();

  constructor(
    private readonly root: string,
    private readonly chown: boolean,
  ) {}

  /** Replaces what was queued for `rel` (a higher layer's directory wins over a lower one's). */
  set(rel: string, meta: Metadata, xattrs: Xattrs | undefined): void {
    this.entries.set(rel, { meta, xattrs });
  }

  /** `rel` is gone, with everything below it. */
  forget(rel: string): void {
    this.entries.delete(rel);
    const prefix = `${rel}/`;
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  async apply(): Promise<void> {
    const targets = [];
    for (const [rel, { meta, xattrs }] of this.entries) {
      // Owners before xattrs: chown drops security.capability.
      if (this.chown) await lchown(`${this.root}/${rel}`, meta.uid, meta.gid);
      if (xattrs && xattrs.size > 0) targets.push({ path: `${this.root}/${rel}`, xattrs });
    }
    // The warnings name xattrs this filesystem cannot hold (ENOTSUP): the rootfs then lacks them,
    // as an overlay on the same filesystem would, and the diff cannot see them either.
    await applyXattrs(targets);
    for (const [rel, { meta }] of this.entries) await setMetadata(`${this.root}/${rel}`, meta, false);
  }
}
