/**
 * Writes copied entries below directories that Destination resolved, the way BuildKit's copier
 * (tonistiigi/fsutil copy) does: files keep their mode bits (set-id and sticky included) and
 * mtime, symlinks are copied as links, hardlinks within one source stay hardlinks, FIFOs and
 * devices are recreated, sockets are skipped. Owners are the fixed ids or the source's own.
 *
 * Below a resolved directory nothing is ever followed: a directory in the way must be a real
 * one (a symlink there is refused, as fsutil refuses it), and the last component is created
 * exclusively (O_EXCL copy, mkdir, symlink, link, mknod all fail on an existing name) after
 * whatever was there is unlinked. Path-based chown/chmod/utimes on what we just created are
 * then safe: nothing else writes into the target while a step runs.
 */
import type { BigIntStats } from 'node:fs';
import { chmod, constants, copyFile, lchown, link, lstat, lutimes, mkdir, stat, symlink, unlink } from 'node:fs/promises';
import type { ContextEntry } from '../../context/walk.js';
import { LayerError } from '../../errors.js';
import { NodeMaker } from '../../layer/nodes.js';
import { lstatOrNull, printable } from '../../layer/resolve.js';
import { deviceNumbers } from '../../layer/walk.js';
import type { ChmodSpec } from '../../parse/instructions/chmod.js';
import { applyChmod } from './chmod.js';
import type { Owner } from './destination.js';

/** What the writer needs of a source object (a ContextEntry has it). */
export type Meta = Pick<ContextEntry, 'type' | 'mode' | 'uid' | 'gid' | 'mtimeNs'>;

/** First target path of each multiply-linked source inode (`dev:ino`), for one source. */
export type LinkMap = Map<string, string>;

export interface WriterOptions {
  targetRoot: string;
  owner: Owner;
  chmod?: ChmodSpec | undefined;
  instruction: string;
}

/** A source directory's metadata, following links (a `--parents` directory may be named through one). */
export async function directoryMeta(abs: string): Promise<Meta> {
  const st = await stat(abs, { bigint: true });
  return { type: 'directory', mode: Number(st.mode) & 0o7777, uid: Number(st.uid), gid: Number(st.gid), mtimeNs: st.mtimeNs };
}

function kindOf(st: BigIntStats): string {
  return st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'directory' : 'file';
}

export class TargetWriter {
  /** Non-directories written (files, links, nodes). */
  files = 0;
  /** File content bytes copied (hardlinks add nothing). */
  bytes = 0;
  private nodes: NodeMaker | undefined;

  constructor(private readonly o: WriterOptions) {}

  private abs(rel: string): string {
    return rel === '' ? this.o.targetRoot : `${this.o.targetRoot}/${rel}`;
  }

  private fail(message: string, rel: string): LayerError {
    return new LayerError(`${this.o.instruction} failed: ${message}`, `/${rel}`);
  }

  /**
   * A copied directory at `rel` (in a real directory): made when missing, kept when a real
   * directory is there, refused when anything else is. Mode and times follow in closeDir, once
   * its contents are written, so its mtime sticks and a read-only mode cannot get in the way.
   */
  async openDir(rel: string, meta: Meta): Promise<void> {
    const abs = this.abs(rel);
    const st = await lstatOrNull(abs);
    if (st === null) await mkdir(abs, { mode: 0o700 });
    else if (!st.isDirectory()) throw this.fail(`cannot copy a directory to /${printable(rel)}: a ${kindOf(st)} is there`, rel);
    await this.own(abs, meta);
  }

  async closeDir(rel: string, meta: Meta): Promise<void> {
    const abs = this.abs(rel);
    await chmod(abs, this.modeOf(meta, true));
    await this.setTimes(abs, meta);
  }

  /** Writes the non-directory `entry` (read from host path `src`) at `rel`, replacing what is there. */
  async writeEntry(src: string, rel: string, entry: ContextEntry, links: LinkMap): Promise<void> {
    if (entry.type === 'socket' || entry.type === 'directory') return;
    const abs = this.abs(rel);
    const st = await lstatOrNull(abs);
    if (st?.isDirectory()) throw this.fail(`cannot replace the directory /${printable(rel)} with a ${entry.type}`, rel);
    if (st !== null) await unlink(abs);
    this.files++;
    switch (entry.type) {
      case 'file': {
        const key = `${entry.dev}:${entry.ino}`;
        const first = entry.nlink > 1 ? links.get(key) : undefined;
        if (first !== undefined) {
          await link(first, abs); // same inode: owner, mode and times are already right
          return;
        }
        await copyFile(src, abs, constants.COPYFILE_EXCL);
        this.bytes += entry.size;
        if (entry.nlink > 1) links.set(key, abs);
        break;
      }
      case 'symlink':
        await symlink(entry.linkTarget ?? '', abs);
        break;
      case 'fifo':
        await this.nodeMaker().make(abs, 'fifo');
        break;
      case 'char-device':
      case 'block-device': {
        const { major, minor } = deviceNumbers((await lstat(src, { bigint: true })).rdev);
        await this.nodeMaker().make(abs, entry.type === 'char-device' ? 'char' : 'block', major, minor);
        break;
      }
    }
    // chown before chmod: chown clears set-id bits
    await this.own(abs, entry);
    if (entry.type !== 'symlink') await chmod(abs, this.modeOf(entry, false));
    await this.setTimes(abs, entry);
  }

  async close(): Promise<void> {
    await this.nodes?.close();
  }

  private nodeMaker(): NodeMaker {
    this.nodes ??= new NodeMaker(this.o.targetRoot);
    return this.nodes;
  }

  private modeOf(meta: Meta, isDirectory: boolean): number {
    return this.o.chmod === undefined ? meta.mode : applyChmod(this.o.chmod, meta.mode, isDirectory);
  }

  private async own(abs: string, meta: Meta): Promise<void> {
    const { owner } = this.o;
    if (owner === 'preserve') await lchown(abs, meta.uid, meta.gid);
    else await lchown(abs, owner.uid, owner.gid);
  }

  /** The source's mtime, as atime too: layers record no atime, and the host's would vary. */
  private async setTimes(abs: string, meta: Meta): Promise<void> {
    const seconds = Number(meta.mtimeNs / 1_000_000_000n) + Number(meta.mtimeNs % 1_000_000_000n) / 1e9;
    await lutimes(abs, seconds, seconds);
  }
}
