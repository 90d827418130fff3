/**
 * Directory → layer blob, in one streaming pass:
 *
 *   walk ─▶ tar bytes ─▶ sha256 (diffID) ─▶ compressor ─▶ sha256 (digest) ─▶ file
 *
 * with backpressure end to end (stream.pipeline), so memory stays bounded whatever the size.
 * Headers are normalised (numeric ids only, mode bits and mtime as on disk, mtime clamped to
 * SOURCE_DATE_EPOCH or forced) and entries come in a fixed order, so the same tree always gives the
 * same bytes.
 *
 * With `members`, the compressor is member-aligned gzip instead (member-gzip.ts): the tar is cut
 * into independent gzip members at entry boundaries (member-cut.ts) and their index comes back
 * with the digests; with `reuse`, members a previous blob already holds are copied from it instead
 * of deflated again, which changes nothing in the bytes written.
 */
import type { BigIntStats } from 'node:fs';
import { readlink, realpath } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HullError, LayerError } from '../errors.js';
import { DigestHasher, type Digest } from '../image/digest.js';
import { createCompressor, type CompressOptions, type Compression } from './compress.js';
import { DigestStream } from './digest.js';
import { MemberCutter, type TarMember } from './member-cut.js';
import { MemberGzip, type MemberReuse, type MemberWrite } from './member-gzip.js';
import { fileChunks, readWholeSync, SMALL_FILE } from './file-contents.js';
import { Coalescer } from './tar/coalesce.js';
import { encodeHeader, endOfArchive, padding, type TarHeader } from './tar/header.js';
import { deviceNumbers, walk } from './walk.js';
import {
  checkNotWhiteoutName,
  checkOverlaySupported,
  isOpaqueDir,
  isOverlayWhiteout,
  opaqueEntryName,
  whiteoutEntryName,
} from './whiteout.js';
import { isLayerXattr, isOverlayXattr, readTreeXattrs, type Xattrs } from './xattrs.js';

export interface TarOptions {
  /**
   * `overlay`: the directory is an overlayfs upper dir, whose 0/0 char devices and opaque xattrs
   * become `.wh.` entries. `none` (default): a plain tree, stored as it is.
   */
  whiteouts?: 'overlay' | 'none';
  /** Clamp every mtime to at most this (seconds since the epoch), as SOURCE_DATE_EPOCH asks. */
  sourceDateEpoch?: number;
  /** Set every mtime to this (seconds since the epoch). Wins over sourceDateEpoch. */
  mtime?: number;
  /** Read and store xattrs (default true). Needs getfattr (Debian package `attr`). */
  xattrs?: boolean;
  /** Told about things skipped on purpose (sockets). */
  onWarning?: (message: string) => void;
}

export interface WriteLayerOptions extends TarOptions, CompressOptions {
  /**
   * gzip only: write the blob as independent gzip members cut at tar entry boundaries and return
   * their index (LayerBlob.members), so a later write can reuse them. Other bytes than without it.
   */
  members?: boolean;
  /** The previous blob of the same layer and its index: unchanged members are copied from it. Implies `members`. */
  reuse?: MemberReuse;
}

export interface LayerBlob {
  /** sha256 of the uncompressed tar: what an image config lists in rootfs.diff_ids. */
  diffID: Digest;
  /** sha256 of the bytes written: the blob's digest in a manifest. */
  digest: Digest;
  /** Bytes written. */
  size: number;
  /** Bytes of the uncompressed tar. */
  uncompressedSize: number;
  compression: Compression;
  /** With `members`: the member index, and how many members were copied and compressed. */
  members?: MemberWrite;
}

/**
 * Where the tar producer puts its bytes. Told where each entry starts, a sink hands back whatever
 * became ready to go downstream: chunks of the byte stream, or whole gzip members.
 */
interface TarSink<T> {
  /** An entry starts: its name as stored and its bytes of data (0 for all but regular files). */
  entry(name: string, size: number): T[];
  bytes(data: Buffer): T[];
  end(): T[];
  /** A buffer of `size` bytes to read file contents into before passing them to bytes(). */
  alloc(size: number): Buffer;
}

/** What the tar stream is cut into for the stages after it. */
const OUTPUT_CHUNK = 512 * 1024;

/** The plain byte stream: small pieces gathered into OUTPUT_CHUNK writes, large ones passed on as they are. */
class ChunkSink implements TarSink<Buffer> {
  private readonly out = new Coalescer(OUTPUT_CHUNK);

  entry(): Buffer[] {
    return [];
  }

  bytes(data: Buffer): Buffer[] {
    return data.length >= OUTPUT_CHUNK ? [...this.out.flush(), data] : this.out.push(data);
  }

  end(): Buffer[] {
    return this.out.flush();
  }

  alloc(size: number): Buffer {
    return Buffer.allocUnsafe(size);
  }
}

/** The uncompressed, deterministic tar stream of `dir`. */
export function tarDirectory(dir: string, options: TarOptions = {}): Readable {
  return Readable.from(tarParts(dir, options, new ChunkSink()), { objectMode: false, highWaterMark: OUTPUT_CHUNK });
}

/** Packs `dir` into `out` (which is ended) and returns the digests, all computed on the way. */
export async function writeLayer(dir: string, out: Writable, options: WriteLayerOptions = {}): Promise<LayerBlob> {
  if (options.members || options.reuse) return writeMemberLayer(dir, out, options);
  return compressLayer(tarDirectory(dir, options), out, options);
}

async function writeMemberLayer(dir: string, out: Writable, options: WriteLayerOptions): Promise<LayerBlob> {
  const compression = options.compression ?? 'gzip';
  if (compression !== 'gzip') throw new RangeError(`gzip members need gzip compression, not '${compression}'`);
  const gzip = new MemberGzip({
    ...(options.level !== undefined ? { level: options.level } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.reuse ? { reuse: options.reuse } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  const diff = new DigestHasher();
  async function* hashed(): AsyncGenerator<TarMember> {
    for await (const member of tarParts(dir, options, new MemberCutter())) {
      for (const part of member.parts) diff.update(part);
      yield member;
    }
  }
  const blob = new DigestStream();
  await pipeline(Readable.from(gzip.compress(hashed()), { objectMode: false }), blob, out);
  return { diffID: diff.digest(), digest: blob.digest, size: blob.size, uncompressedSize: diff.size, compression, members: gzip.result };
}

/** Compresses an uncompressed layer tar into `out` (which is ended); both digests are computed on the way. */
export async function compressLayer(tar: Readable, out: Writable, options: CompressOptions = {}): Promise<LayerBlob> {
  const compression = options.compression ?? 'gzip';
  const diff = new DigestStream();
  if (compression === 'none') {
    // The blob is the tar: one hash serves as both digests.
    await pipeline(tar, diff, out);
    return { diffID: diff.digest, digest: diff.digest, size: diff.size, uncompressedSize: diff.size, compression };
  }
  const blob = new DigestStream();
  await pipeline(tar, diff, createCompressor(options), blob, out);
  return { diffID: diff.digest, digest: blob.digest, size: blob.size, uncompressedSize: diff.size, compression };
}

function mtimeOf(stat: BigIntStats, options: TarOptions): number {
  if (options.mtime !== undefined) return options.mtime;
  let t = Number(stat.mtimeNs / 1_000_000_000n);
  if (t < 0) t = 0; // before 1970: not worth a PAX record, and no layer means it
  if (options.sourceDateEpoch !== undefined && t > options.sourceDateEpoch) t = options.sourceDateEpoch;
  return t;
}

function baseHeader(name: string, stat: BigIntStats, options: TarOptions): TarHeader {
  return {
    name,
    type: 'file',
    mode: Number(stat.mode) & 0o7777,
    uid: Number(stat.uid),
    gid: Number(stat.gid),
    size: 0,
    mtime: mtimeOf(stat, options),
    linkname: '',
    devmajor: 0,
    devminor: 0,
    xattrs: new Map(),
  };
}

/** The empty regular file that stands for a whiteout. */
function markerHeader(name: string, mtime: number): TarHeader {
  return { name, type: 'file', mode: 0, uid: 0, gid: 0, size: 0, mtime, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map() };
}

function layerXattrs(all: Xattrs | undefined, rel: string, options: TarOptions): Xattrs {
  const out: Xattrs = new Map();
  if (!all) return out;
  for (const [k, v] of all) {
    if (!isLayerXattr(k)) continue;
    // A PAX key ends at the first '=', so such a name cannot be stored (Go's writer refuses it too).
    if (k.includes('=')) options.onWarning?.(`'${rel}': skipping xattr ${JSON.stringify(k)}: '=' cannot appear in a PAX record key`);
    else out.set(k, v);
  }
  return out;
}

async function* tarParts<T>(dir: string, options: TarOptions, sink: TarSink<T>): AsyncGenerator<T> {
  try {
    yield* entryParts(dir, options, sink);
  } catch (err) {
    // An unreadable file or directory is a fact about the tree, not a bug in hull.
    if (err instanceof HullError) throw err;
    throw new LayerError(`packing ${dir}: ${(err as Error).message}`);
  }
}

async function* entryParts<T>(dir: string, options: TarOptions, out: TarSink<T>): AsyncGenerator<T> {
  const root = await realpath(dir);
  const overlay = options.whiteouts === 'overlay';
  const keepXattr = (name: string): boolean => isLayerXattr(name) || (overlay && isOverlayXattr(name));
  const xattrs = options.xattrs === false ? new Map<string, Xattrs>() : await readTreeXattrs(root, keepXattr);
  const firstLink = new Map<string, string>();
  /** An entry that is only a header. */
  const header = (h: TarHeader): T[] => [...out.entry(h.name, 0), ...out.bytes(encodeHeader(h))];

  for await (const { rel, abs, stat } of walk(root)) {
    const attrs = xattrs.get(rel);
    if (overlay) {
      checkOverlaySupported(attrs, rel);
      if (isOverlayWhiteout(stat)) {
        yield* header(markerHeader(whiteoutEntryName(rel), mtimeOf(stat, options)));
        continue;
      }
    }
    checkNotWhiteoutName(rel);

    const h = baseHeader(stat.isDirectory() ? `${rel}/` : rel, stat, options);
    if (!stat.isDirectory() && stat.nlink > 1n) {
      const key = `${stat.dev}:${stat.ino}`;
      const first = firstLink.get(key);
      if (first !== undefined) {
        h.type = 'link';
        h.linkname = first;
        yield* header(h);
        continue;
      }
      firstLink.set(key, rel);
    }
    h.xattrs = layerXattrs(attrs, rel, options);

    if (stat.isDirectory()) {
      h.type = 'directory';
      yield* header(h);
      if (overlay && isOpaqueDir(attrs)) yield* header(markerHeader(opaqueEntryName(rel), h.mtime));
    } else if (stat.isFile()) {
      h.size = Number(stat.size);
      yield* out.entry(h.name, h.size);
      yield* out.bytes(encodeHeader(h));
      if (h.size === 0) continue;
      if (h.size <= SMALL_FILE) {
        yield* out.bytes(readWholeSync(abs, h.size, rel, (n) => out.alloc(n)));
      } else {
        for await (const chunk of fileChunks(abs, h.size, rel, (n) => out.alloc(n))) yield* out.bytes(chunk);
      }
      yield* out.bytes(padding(h.size));
    } else if (stat.isSymbolicLink()) {
      h.type = 'symlink';
      const target = await readlink(abs, { encoding: 'buffer' });
      h.linkname = target.toString('utf8');
      if (!Buffer.from(h.linkname, 'utf8').equals(target)) throw new LayerError(`symlink '${rel}' has a target that is not valid UTF-8`, rel);
      yield* header(h);
    } else if (stat.isCharacterDevice() || stat.isBlockDevice()) {
      h.type = stat.isCharacterDevice() ? 'char' : 'block';
      const { major, minor } = deviceNumbers(stat.rdev);
      h.devmajor = major;
      h.devminor = minor;
      yield* header(h);
    } else if (stat.isFIFO()) {
      h.type = 'fifo';
      yield* header(h);
    } else {
      // Sockets belong to a running process, not to an image (Docker skips them too).
      options.onWarning?.(`skipping socket '${rel}'`);
    }
  }
  yield* out.bytes(endOfArchive());
  yield* out.end();
}
