/**
 * A pull-based tar reader. hull parses tar itself (instead of tar-stream's extractor) to keep PAX
 * values as bytes (binary xattrs), to check every header strictly, and so that backpressure is
 * simply "the next chunk is read when the consumer asks for it".
 *
 * Usage: `for await (const entry of readTar(source)) { …consume or ignore entry.body… }`. A body
 * left unread is skipped when the next entry is requested.
 */
import { HullError, LayerError } from '../../errors.js';
import { printable } from '../resolve.js';
import { BLOCK, type EntryType, type TarHeader } from './header.js';
import { decodePaxRecords, paxNumber } from './pax.js';

export interface TarEntry {
  header: TarHeader;
  body: AsyncIterable<Buffer>;
}

/**
 * A well-formed tar entry of a kind hull does not unpack (sparse files, unknown types): unlike a
 * corrupt header, it shows the stream is a tar archive, one that cannot be extracted.
 */
export class UnsupportedEntryError extends LayerError {
  override name = 'UnsupportedEntryError';
}

/** PAX and GNU long-name data are read whole: bounded so a hostile header cannot exhaust memory. */
const MAX_META_SIZE = 1 << 20;

const TYPES: Record<string, EntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'link',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'directory',
  '6': 'fifo',
};

type Chunk = Buffer | Uint8Array | string;

/** Buffers an async byte source and hands out exact amounts. */
class ByteQueue {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private done = false;
  /** Bytes handed out so far: the offset that error messages quote. */
  offset = 0;
  private readonly it: AsyncIterator<Chunk> | Iterator<Chunk>;

  constructor(source: AsyncIterable<Chunk> | Iterable<Chunk>) {
    this.it = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  }

  /** Ensures at least `n` bytes are buffered; false if the source ends first. */
  async fill(n: number): Promise<boolean> {
    while (this.buffered < n && !this.done) {
      let r: IteratorResult<Chunk>;
      try {
        r = await this.it.next();
      } catch (err) {
        // A decompressor's or the network's complaint: about the layer, not about one entry.
        if (err instanceof HullError) throw err;
        throw new LayerError(`cannot read layer: ${(err as Error).message}`);
      }
      if (r.done) {
        this.done = true;
        break;
      }
      const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
      if (chunk.length === 0) continue;
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    return this.buffered >= n;
  }

  get available(): number {
    return this.buffered;
  }

  /** Up to `max` bytes from what is buffered (reading one more chunk if nothing is). */
  async some(max: number): Promise<Buffer | null> {
    if (this.buffered === 0 && !(await this.fill(1))) return null;
    const first = this.chunks[0]!;
    if (first.length <= max) {
      this.chunks.shift();
      this.buffered -= first.length;
      this.offset += first.length;
      return first;
    }
    this.chunks[0] = first.subarray(max);
    this.buffered -= max;
    this.offset += max;
    return first.subarray(0, max);
  }

  /** Exactly `n` buffered bytes (call fill first). */
  take(n: number): Buffer {
    const parts: Buffer[] = [];
    let want = n;
    while (want > 0) {
      const first = this.chunks[0]!;
      if (first.length <= want) {
        parts.push(first);
        this.chunks.shift();
        want -= first.length;
      } else {
        parts.push(first.subarray(0, want));
        this.chunks[0] = first.subarray(want);
        want = 0;
      }
    }
    this.buffered -= n;
    this.offset += n;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}

function cstring(block: Buffer, start: number, length: number): Buffer {
  const end = block.indexOf(0, start);
  return block.subarray(start, end < 0 || end > start + length ? start + length : end);
}

/** Octal (optionally space/NUL padded) or GNU base-256. */
function number(block: Buffer, start: number, length: number, field: string, at: number): number {
  const raw = block.subarray(start, start + length);
  if (raw[0]! & 0x80) {
    if (raw[0] === 0xff) throw new LayerError(`negative ${field} in tar header at offset ${at}`);
    let n = raw[0]! & 0x7f;
    for (let i = 1; i < raw.length; i++) n = n * 256 + raw[i]!;
    if (!Number.isSafeInteger(n)) throw new LayerError(`${field} too large in tar header at offset ${at}`);
    return n;
  }
  const text = raw.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new LayerError(`invalid ${field} '${text}' in tar header at offset ${at}`);
  return parseInt(text, 8);
}

function checksumOk(block: Buffer, at: number): boolean {
  const stored = number(block, 148, 8, 'checksum', at);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

interface Pending {
  pax: Map<string, Buffer> | null;
  longName: Buffer | null;
  longLink: Buffer | null;
}

const utf8 = new TextDecoder('utf-8');

/** Decodes the entries of a tar stream. Throws LayerError on malformed or truncated input. */
export async function* readTar(source: AsyncIterable<Chunk> | Iterable<Chunk>): AsyncGenerator<TarEntry> {
  const q = new ByteQueue(source);
  let pending: Pending = { pax: null, longName: null, longLink: null };
  try {
    for (;;) {
      const at = q.offset;
      if (!(await q.fill(BLOCK))) {
        if (q.available > 0) throw new LayerError(`unexpected end of archive in a header at offset ${at}`);
        // EOF on a block boundary without the zero blocks: accepted, as Go's reader does.
        if (pending.pax || pending.longName || pending.longLink) throw new LayerError('unexpected end of archive after an extended header');
        return;
      }
      const block = q.take(BLOCK);
      if (block.every((b) => b === 0)) {
        // End of archive. Read the rest (padding) so a decompressor upstream checks its trailer.
        while (await q.some(1 << 16));
        return;
      }
      if (!checksumOk(block, at)) throw new LayerError(`invalid tar header checksum at offset ${at} (not a tar archive, or corrupt)`);

      const flag = String.fromCharCode(block[156]!);
      let size = number(block, 124, 12, 'size', at);

      if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
        if (size > MAX_META_SIZE) throw new LayerError(`extended header of ${size} bytes at offset ${at} is too large`);
        const padded = Math.ceil(size / BLOCK) * BLOCK;
        if (!(await q.fill(padded))) throw new LayerError(`unexpected end of archive in an extended header at offset ${at}`);
        const data = q.take(padded).subarray(0, size);
        if (flag === 'x') pending.pax = new Map([...(pending.pax ?? []), ...decodePaxRecords(data, `offset ${at}`)]);
        else if (flag === 'L') pending.longName = cstring(data, 0, data.length);
        else if (flag === 'K') pending.longLink = cstring(data, 0, data.length);
        // 'g' (global PAX) is ignored, as containerd does: it never carries per-file data in layers.
        continue;
      }

      const type = TYPES[flag];
      if (!type) {
        const what = flag === 'S' ? 'GNU sparse files are' : `entry type '${flag.replace(/[^\x20-\x7e]/g, '?')}' is`;
        throw new UnsupportedEntryError(`${what} not supported (tar header at offset ${at})`);
      }

      const magic = block.toString('latin1', 257, 263);
      let nameBytes = cstring(block, 0, 100);
      if (magic === 'ustar\0' && block[345] !== 0) nameBytes = Buffer.concat([cstring(block, 345, 155), Buffer.from('/'), nameBytes]);
      let name = utf8.decode(pending.longName ?? nameBytes);
      let linkname = utf8.decode(pending.longLink ?? cstring(block, 157, 100));
      let uid = number(block, 108, 8, 'uid', at);
      let gid = number(block, 116, 8, 'gid', at);
      let mtime = number(block, 136, 12, 'mtime', at);
      const xattrs = new Map<string, Buffer>();
      if (pending.pax) {
        for (const [key, value] of pending.pax) {
          if (key === 'path') name = value.toString('utf8');
          else if (key === 'linkpath') linkname = value.toString('utf8');
          else if (key === 'size') size = paxNumber(value, key, name);
          else if (key === 'uid') uid = paxNumber(value, key, name);
          else if (key === 'gid') gid = paxNumber(value, key, name);
          else if (key === 'mtime') mtime = paxNumber(value, key, name);
          else if (key.startsWith('SCHILY.xattr.')) xattrs.set(key.slice('SCHILY.xattr.'.length), value);
        }
        // PAX sparse files keep their map in the data and their real name in GNU.sparse.name:
        // unpacked as ordinary files they would be the raw map under a stand-in name.
        if ([...pending.pax.keys()].some((key) => key.startsWith('GNU.sparse.'))) {
          const real = pending.pax.get('GNU.sparse.name')?.toString('utf8') ?? name;
          throw new UnsupportedEntryError(`entry '${printable(real)}': GNU sparse files are not supported (tar header at offset ${at})`, real);
        }
      }
      pending = { pax: null, longName: null, longLink: null };

      // Old (v7) archives mark directories with a trailing slash on a regular entry.
      const realType: EntryType = type === 'file' && flag !== '7' && name.endsWith('/') ? 'directory' : type;
      // Header-only types carry no data whatever their size field says (Go's reader does the same).
      const dataSize = realType === 'file' ? size : 0;
      const header: TarHeader = {
        name,
        type: realType,
        mode: number(block, 100, 8, 'mode', at) & 0o7777,
        uid,
        gid,
        size: dataSize,
        mtime,
        linkname,
        devmajor: realType === 'char' || realType === 'block' ? number(block, 329, 8, 'devmajor', at) : 0,
        devminor: realType === 'char' || realType === 'block' ? number(block, 337, 8, 'devminor', at) : 0,
        xattrs,
      };

      let left = dataSize;
      const body = (async function* (): AsyncGenerator<Buffer> {
        while (left > 0) {
          const chunk = await q.some(left);
          if (!chunk) throw new LayerError(`unexpected end of archive: '${name}' claims ${dataSize} bytes, the archive ends after ${dataSize - left}`, name);
          left -= chunk.length;
          yield chunk;
        }
      })();
      yield { header, body };

      // Skip whatever the consumer left unread, then the padding.
      while (left > 0) {
        const chunk = await q.some(left);
        if (!chunk) throw new LayerError(`unexpected end of archive: '${name}' claims ${dataSize} bytes, the archive ends after ${dataSize - left}`, name);
        left -= chunk.length;
      }
      const pad = (BLOCK - (dataSize % BLOCK)) % BLOCK;
      if (pad > 0) {
        if (!(await q.fill(pad))) throw new LayerError(`unexpected end of archive in the padding after '${name}'`, name);
        q.take(pad);
      }
    }
  } finally {
    await q.close();
  }
}
