/**
 * Writes copied entries below directories that Destination resolved, the way BuildKit's copier
 * (tonistiigi/fsutil copy) does: files keep their mode bits (set-id and sticky included) and
 * mtime, symlinks are copied as links, hardlinks within one source stay hardlinks, FIFOs and
 * devices are recreated, sockets are skipped. Owners are the fixed ids or the source's own.
 *
 * Below a resolved directory nothing is ever followed: a directory in the way must be a real
 * one (a symlink there is refused, as fsutil refuses it), and the last component is created
 * exclusively (O_EXCL copy, mkdir, symlink, link, mknod all fail on an existing name), a name in
 * the way unlinked first. Path-based chown/chmod/utimes on what we just created are then safe:
 * nothing else writes into the target while a step runs, and the writes of one step that run at
 * once are to different names.
 *
 * Those metadata calls are synchronous: on an inode just made they take microseconds, less than
 * the main thread spends on a round trip through libuv's pool. Copies stay asynchronous, several
 * at once (tree.ts): their bytes move in the kernel, on the pool's threads.
 */
import { chmodSync, lchownSync, type BigIntStats } from 'node:fs';
import { constants, copyFile, link, lstat, mkdir, stat, symlink, unlink } from 'node:fs/promises';
import type { ContextEntry, EntryType } from '../../context/walk.js';
import { LayerError } from '../../errors.js';
import { NodeMaker } from '../../layer/nodes.js';
import { lstatOrNull, printable } from '../../layer/resolve.js';
import { deviceNumbers } from '../../layer/walk.js';
import type { ChmodSpec } from '../../parse/instructions/chmod.js';
import { applyChmod } from './chmod.js';
import type { Owner } from './destination.js';
import { setMeta, setTimes, type FileMeta } from './metadata.js';
import type { SnapshotReuse } from './reuse.js';

/** What the writer needs of a source object (a ContextEntry has it). */
export type Meta = Pick<ContextEntry, 'type' | 'mode' | 'uid' | 'gid' | 'mtimeNs'>;

/** The first name written for a multiply-linked source inode, and its copy under way. */
interface FirstName {
  abs: string;
  made: Promise<void>;
}

/** The first name of each multiply-linked source inode (`dev:ino`), for one source. */
export type LinkMap = Map<string, FirstName>;

export interface WriterOptions {
  targetRoot: string;
  owner: Owner;
  chmod?: ChmodSpec | undefined;
  instruction: string;
  /** Unchanged files of the previous build's copy, linked from its snapshot instead of copied. */
  reuse?: SnapshotReuse | undefined;
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
    const { uid, gid } = this.metaOf(meta, true);
    lchownSync(abs, uid, gid);
  }

  closeDir(rel: string, meta: Meta): void {
    const abs = this.abs(rel);
    const { mode, mtimeNs } = this.metaOf(meta, true);
    chmodSync(abs, mode);
    setTimes(abs, mtimeNs);
  }

  /**
   * Writes the non-directory `entry` (read from host path `src`) at `rel`, replacing what is there.
   * Writes of different names may run at once, FIFOs and devices excepted (the mknod helper takes
   * one request at a time). A multiply-linked file's first name is recorded in `links` before
   * anything is awaited, so it is the first name in call order; its other names are linked once
   * that copy is done.
   */
  writeEntry(src: string, rel: string, entry: ContextEntry, links: LinkMap): Promise<void> {
    if (entry.type === 'socket' || entry.type === 'directory') return Promise.resolve();
    const key = entry.type === 'file' && entry.nlink > 1 ? `${entry.dev}:${entry.ino}` : undefined;
    const first = key === undefined ? undefined : links.get(key);
    if (first !== undefined) return this.linkTo(first, rel);
    const made = this.write(src, rel, entry);
    if (key !== undefined) links.set(key, { abs: this.abs(rel), made });
    return made;
  }

  private async linkTo(first: FirstName, rel: string): Promise<void> {
    await first.made;
    // same inode: owner, mode and times are already right
    await this.create(rel, 'file', (abs) => link(first.abs, abs));
  }

  private async write(src: string, rel: string, entry: ContextEntry): Promise<void> {
    const abs = this.abs(rel);
    const meta = this.metaOf(entry, false);
    switch (entry.type) {
      case 'file':
        if (entry.nlink === 1 && this.o.reuse?.take(src, rel, abs, { ...meta, size: entry.size })) {
          this.files++;
          return;
        }
        await this.create(rel, entry.type, () => copyFile(src, abs, constants.COPYFILE_EXCL));
        this.bytes += entry.size;
        break;
      case 'symlink':
        await this.create(rel, entry.type, () => symlink(entry.linkTarget ?? '', abs));
        break;
      case 'fifo':
        await this.clear(rel, entry.type);
        this.files++;
        await this.nodeMaker().make(abs, 'fifo');
        break;
      case 'char-device':
      case 'block-device': {
        await this.clear(rel, entry.type);
        this.files++;
        const { major, minor } = deviceNumbers((await lstat(src, { bigint: true })).rdev);
        await this.nodeMaker().make(abs, entry.type === 'char-device' ? 'char' : 'block', major, minor);
        break;
      }
    }
    setMeta(abs, meta, entry.type === 'symlink');
  }

  /**
   * Creates `rel` with `make`, which fails with EEXIST on any existing name and never follows
   * one (an O_EXCL copy, link, symlink). Tried first, since a copy mostly lands in a directory
   * it just made: only when a name is in the way is it looked at, and unlinked unless a directory.
   */
  private async create(rel: string, type: EntryType, make: (abs: string) => Promise<void>): Promise<void> {
    const abs = this.abs(rel);
    try {
      await make(abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      await this.clear(rel, type);
      await make(abs);
    }
    this.files++;
  }

  /** Makes room for a non-directory at `rel`: whatever is there is unlinked, a directory refused. */
  private async clear(rel: string, type: EntryType): Promise<void> {
    const abs = this.abs(rel);
    const st = await lstatOrNull(abs);
    if (st?.isDirectory()) throw this.fail(`cannot replace the directory /${printable(rel)} with a ${type}`, rel);
    if (st !== null) await unlink(abs);
  }

  async close(): Promise<void> {
    await this.nodes?.close();
  }

  private nodeMaker(): NodeMaker {
    this.nodes ??= new NodeMaker(this.o.targetRoot);
    return this.nodes;
  }

  /** What the copy of `meta` gets: the fixed owner or the source's, the mode after --chmod, the source's mtime. */
  private metaOf(meta: Meta, isDirectory: boolean): FileMeta {
    const { owner, chmod } = this.o;
    const ids = owner === 'preserve' ? { uid: meta.uid, gid: meta.gid } : owner;
    return { mode: chmod === undefined ? meta.mode : applyChmod(chmod, meta.mode, isDirectory), uid: ids.uid, gid: ids.gid, mtimeNs: meta.mtimeNs };
  }
}
