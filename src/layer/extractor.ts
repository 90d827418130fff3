/**
 * The per-entry work of extractLayer (extract.ts), one entry at a time, in archive order.
 */
import { constants, type BigIntStats } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, readdir, rm, symlink, unlink, type FileHandle } from 'node:fs/promises';
import { HullError, LayerError, UnsafeArchiveError } from '../errors.js';
import type { ExtractOptions } from './extract.js';
import { NodeMaker } from './nodes.js';
import { PATH_MAX, RootResolver, lstatOrNull, printable, splitEntryName } from './resolve.js';
import type { TarHeader } from './tar/header.js';
import type { TarEntry } from './tar/reader.js';
import { classifyWhiteout, extractWhiteout, type WhiteoutContext, type WhiteoutMode } from './whiteout.js';
import { applyXattrs, isLayerXattr, isOverlayXattr, type Xattrs } from './xattrs.js';

const WRITE_BATCH = 256 * 1024;
const MAX_WARNINGS = 100;

interface Deferred {
  rel: string;
  dev: bigint;
  ino: bigint;
}
interface DirRecord extends Deferred {
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}
interface XattrRecord extends Deferred {
  xattrs: Xattrs;
  /** A mode applied only after the xattrs (a rootless user may not set them on a read-only file). */
  mode?: number;
}

export class Extractor {
  count = 0;
  readonly warnings: string[] = [];
  private readonly resolver: RootResolver;
  private readonly nodes: NodeMaker;
  private readonly mode: WhiteoutMode;
  private readonly rootless: boolean;
  private readonly dirs: DirRecord[] = [];
  private readonly xattrs: XattrRecord[] = [];
  /** Only in apply mode: what this layer created, and the directories above those. */
  private readonly unpacked = new Set<string>();
  private readonly above = new Set<string>();
  private readonly whiteoutContext: WhiteoutContext;

  constructor(
    readonly root: string,
    private readonly options: ExtractOptions,
  ) {
    this.resolver = new RootResolver(root);
    this.nodes = new NodeMaker(root);
    this.mode = options.whiteouts ?? 'oci';
    this.rootless = options.rootless ?? process.getuid?.() !== 0;
    this.whiteoutContext = this.makeWhiteoutContext();
  }

  close(): Promise<void> {
    return this.nodes.close();
  }

  private warn(message: string): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(message);
    this.options.onWarning?.(message);
  }

  async entry({ header: h, body }: TarEntry): Promise<void> {
    this.count++;
    const parts = splitEntryName(h.name, h.name);
    if (parts.length === 0) return; // the root itself ("./"): the target's own metadata stays
    if (Buffer.byteLength(`${this.root}/${parts.join('/')}`) > PATH_MAX) {
      throw new LayerError(`entry '${printable(h.name)}': path is too long (Linux allows ${PATH_MAX} bytes)`, h.name);
    }
    if (this.options.maxSize !== undefined && h.size > this.options.maxSize) {
      throw new LayerError(`entry '${printable(h.name)}' claims ${h.size} bytes, more than the limit of ${this.options.maxSize}`, h.name);
    }
    const base = parts[parts.length - 1]!;
    const parent = parts.slice(0, -1);
    try {
      if (this.mode !== 'oci') {
        const kind = classifyWhiteout(base, h.name);
        if (kind.kind !== 'none') return await extractWhiteout(kind, parent, h.name, this.whiteoutContext);
      }
      const dir = (await this.resolver.resolveDir(parent, h.name, true))!;
      const rel = dir === '' ? base : `${dir}/${base}`;
      await this.create(h, rel, body);
      if (this.mode === 'apply') this.remember(rel);
    } catch (err) {
      if (err instanceof HullError) throw err;
      throw new LayerError(`entry '${printable(h.name)}': ${(err as Error).message}`, h.name);
    }
  }

  private remember(rel: string): void {
    this.unpacked.add(rel);
    for (let i = rel.lastIndexOf('/'); i > 0; i = rel.lastIndexOf('/', i - 1)) {
      const up = rel.slice(0, i);
      if (this.above.has(up)) break;
      this.above.add(up);
    }
  }

  /** Removes what is at `abs` unless it is a directory and `keepDir`; returns the kept directory. */
  private async clear(abs: string, keepDir: boolean): Promise<BigIntStats | null> {
    const st = await lstatOrNull(abs);
    if (!st) return null;
    if (st.isDirectory()) {
      if (keepDir) return st;
      await rm(abs, { recursive: true, force: true });
      this.resolver.invalidate();
    } else {
      await unlink(abs);
      if (st.isSymbolicLink()) this.resolver.invalidate();
    }
    return null;
  }

  private async create(h: TarHeader, rel: string, body: AsyncIterable<Buffer>): Promise<void> {
    const abs = this.resolver.abs(rel);
    const xattrs = this.keptXattrs(h);
    switch (h.type) {
      case 'directory': {
        if (!(await this.clear(abs, true))) await mkdir(abs, { mode: 0o700 });
        const st = await lstat(abs, { bigint: true });
        // Modes and times wait for the end: children would change the mtime, and a read-only
        // mode would stop a rootless extraction from creating them.
        this.dirs.push({ rel, dev: st.dev, ino: st.ino, mode: h.mode, uid: h.uid, gid: h.gid, mtime: h.mtime });
        if (xattrs) this.xattrs.push({ rel, dev: st.dev, ino: st.ino, xattrs });
        return;
      }
      case 'file':
        return this.createFile(h, rel, abs, body, xattrs);
      case 'link':
        return this.createHardlink(h, abs);
      case 'symlink':
        if (h.linkname === '') throw new LayerError(`entry '${printable(h.name)}': symlink without a target`, h.name);
        if (h.linkname.includes('\0')) throw new UnsafeArchiveError(`entry '${printable(h.name)}': symlink target contains a NUL byte`, h.name);
        await this.clear(abs, false);
        // The target is stored as it is: it is only ever followed inside the root (resolve.ts).
        await symlink(h.linkname, abs);
        break;
      case 'char':
      case 'block':
        if (this.rootless) {
          this.warn(`skipping device '${printable(h.name)}' (${h.devmajor}:${h.devminor}): creating devices needs root`);
          return;
        }
        await this.clear(abs, false);
        await this.nodes.make(abs, h.type, h.devmajor, h.devminor);
        break;
      case 'fifo':
        await this.clear(abs, false);
        await this.nodes.make(abs, 'fifo');
        break;
    }
    if (!this.rootless) await lchown(abs, h.uid, h.gid);
    if (h.type !== 'symlink') await chmod(abs, h.mode);
    await lutimes(abs, h.mtime, h.mtime);
    if (xattrs) {
      const st = await lstat(abs, { bigint: true });
      this.xattrs.push({ rel, dev: st.dev, ino: st.ino, xattrs });
    }
  }

  private async createFile(h: TarHeader, rel: string, abs: string, body: AsyncIterable<Buffer>, xattrs: Xattrs | null): Promise<void> {
    await this.clear(abs, false);
    const fh = await open(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      let batch: Buffer[] = [];
      let batched = 0;
      for await (const chunk of body) {
        batch.push(chunk);
        batched += chunk.length;
        if (batched >= WRITE_BATCH) {
          await writeAll(fh, batch);
          batch = [];
          batched = 0;
        }
      }
      if (batched > 0) await writeAll(fh, batch);
      // chown before chmod: chown clears setuid/setgid bits.
      if (!this.rootless) await fh.chown(h.uid, h.gid);
      const deferMode = xattrs !== null && this.rootless;
      if (!deferMode) await fh.chmod(h.mode);
      await fh.utimes(h.mtime, h.mtime);
      if (xattrs) {
        const st = await fh.stat({ bigint: true });
        const record: XattrRecord = { rel, dev: st.dev, ino: st.ino, xattrs };
        if (deferMode) record.mode = h.mode;
        this.xattrs.push(record);
      }
    } finally {
      await fh.close();
    }
  }

  private async createHardlink(h: TarHeader, abs: string): Promise<void> {
    const parts = splitEntryName(h.linkname, h.name, 'hardlink target');
    if (parts.length === 0) throw new UnsafeArchiveError(`entry '${printable(h.name)}': hardlink to the root directory`, h.name);
    const dir = await this.resolver.resolveDir(parts.slice(0, -1), h.name, false);
    const targetAbs = dir === null ? null : this.resolver.abs(dir === '' ? parts[parts.length - 1]! : `${dir}/${parts[parts.length - 1]!}`);
    const st = targetAbs === null ? null : await lstatOrNull(targetAbs);
    if (targetAbs === null || st === null) {
      throw new UnsafeArchiveError(`entry '${printable(h.name)}': hardlink target '${printable(h.linkname)}' does not exist in the target`, h.name);
    }
    if (st.isDirectory()) throw new UnsafeArchiveError(`entry '${printable(h.name)}': hardlink to a directory ('${printable(h.linkname)}')`, h.name);
    if (targetAbs === abs) return; // a link to itself: already there
    await this.clear(abs, false);
    // link(2) does not follow a symlink target: a link to a symlink links the symlink itself.
    await link(targetAbs, abs);
  }

  private keptXattrs(h: TarHeader): Xattrs | null {
    if (this.options.xattrs === false || h.xattrs.size === 0) return null;
    const kept: Xattrs = new Map();
    for (const [name, value] of h.xattrs) {
      if (isOverlayXattr(name)) this.warn(`'${printable(h.name)}': dropping ${name} (an archive must not steer overlayfs)`);
      else if (!isLayerXattr(name)) this.warn(`'${printable(h.name)}': dropping xattr ${name}`);
      else if (this.rootless && (name.startsWith('trusted.') || name === 'security.capability')) this.warn(`'${printable(h.name)}': dropping ${name} (needs root)`);
      else kept.set(name, value);
    }
    return kept.size > 0 ? kept : null;
  }

  /** Deferred work, each item only if its path still leads to the same inode through real directories. */
  async finish(): Promise<void> {
    await this.nodes.close();
    const targets = [];
    const modes: XattrRecord[] = [];
    for (const x of this.xattrs) {
      if (!(await this.resolver.stillAt(x.rel, x.dev, x.ino))) continue;
      targets.push({ path: this.resolver.abs(x.rel), xattrs: x.xattrs });
      if (x.mode !== undefined) modes.push(x);
    }
    for (const w of await applyXattrs(targets)) this.warn(w);
    for (const x of modes) await chmod(this.resolver.abs(x.rel), x.mode!);

    const done = new Set<string>();
    for (let i = this.dirs.length - 1; i >= 0; i--) {
      const d = this.dirs[i]!;
      if (done.has(d.rel)) continue; // the last entry for a directory wins
      done.add(d.rel);
      if (!(await this.resolver.stillAt(d.rel, d.dev, d.ino))) continue;
      const abs = this.resolver.abs(d.rel);
      if (!this.rootless) await lchown(abs, d.uid, d.gid);
      await chmod(abs, d.mode);
      await lutimes(abs, d.mtime, d.mtime);
    }
  }

  private makeWhiteoutContext(): WhiteoutContext {
    return {
      mode: this.mode === 'overlay' ? 'overlay' : 'apply',
      rootless: this.rootless,
      resolveDir: (c, e, create) => this.resolver.resolveDir(c, e, create),
      abs: (rel) => this.resolver.abs(rel),
      makeWhiteoutDevice: (abs) => this.nodes.makeWhiteout(abs),
      setDirXattr: async (rel, name, value) => {
        const st = await lstat(this.resolver.abs(rel), { bigint: true });
        this.xattrs.push({ rel, dev: st.dev, ino: st.ino, xattrs: new Map([[name, value]]) });
      },
      remove: async (abs) => {
        await this.clear(abs, false);
      },
      fromThisLayer: (rel) => this.unpacked.has(rel),
      aboveThisLayer: (rel) => this.above.has(rel),
      exists: async (abs) => (await lstatOrNull(abs)) !== null,
      isRealDir: async (abs) => (await lstatOrNull(abs))?.isDirectory() ?? false,
      list: (abs) => readdir(abs),
    };
  }
}

async function writeAll(fh: FileHandle, buffers: Buffer[]): Promise<void> {
  let pending = buffers;
  while (pending.length > 0) {
    const { bytesWritten } = await fh.writev(pending);
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const b of pending) {
      if (skip >= b.length) skip -= b.length;
      else {
        rest.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    pending = rest;
  }
}
