/**
 * Tar headers in and out. hull writes its own headers instead of tar-stream's because layers must
 * be byte-for-byte reproducible and carry binary xattr values (security.capability) in PAX
 * records, which tar-stream re-encodes as UTF-8 text. The output is POSIX pax/ustar, the format
 * Go's archive/tar (Docker, BuildKit) writes.
 */
import { LayerError } from '../../errors.js';
import { encodePaxRecords } from './pax.js';

export const BLOCK = 512;

export type EntryType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo';

export interface TarHeader {
  /** The path as stored (directories end in `/` when hull writes them). */
  name: string;
  type: EntryType;
  /** Permission bits plus setuid/setgid/sticky (`& 0o7777`). */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of data that follow; 0 for every type but `file`. */
  size: number;
  /** Whole seconds since the epoch. */
  mtime: number;
  /** Symlink target, or the earlier entry a hardlink points at; '' otherwise. */
  linkname: string;
  devmajor: number;
  devminor: number;
  /** `SCHILY.xattr.*` records, values as raw bytes. */
  xattrs: Map<string, Buffer>;
}

const TYPEFLAG: Record<EntryType, number> = {
  file: 0x30,
  link: 0x31,
  symlink: 0x32,
  char: 0x33,
  block: 0x34,
  directory: 0x35,
  fifo: 0x36,
};
const PAX_TYPEFLAG = 0x78; // 'x'

const MAX_OCTAL_7 = 0o7777777;
const MAX_OCTAL_11 = 0o77777777777;

/** Printable ASCII only: anything else goes in a PAX record, as Go's writer does. */
function isPlainAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

function writeOctal(block: Buffer, offset: number, width: number, value: number): void {
  block.write(value.toString(8).padStart(width - 1, '0'), offset, width - 1, 'ascii');
  block[offset + width - 1] = 0;
}

/** Splits a long ASCII name into ustar prefix + name, or returns null when it does not fit. */
function splitUstar(name: string): [string, string] | null {
  if (name.length <= 100) return ['', name];
  if (name.length > 256) return null;
  // The last '/' that leaves a name of ≤ 100 bytes and a prefix of ≤ 155.
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== '/') continue;
    if (name.length - i - 1 > 100) break;
    if (i <= 155 && name.length - i - 1 > 0) return [name.slice(0, i), name.slice(i + 1)];
  }
  return null;
}

function ustarBlock(
  h: Pick<TarHeader, 'mode' | 'uid' | 'gid' | 'size' | 'mtime' | 'devmajor' | 'devminor'>,
  name: string,
  prefix: string,
  linkname: string,
  typeflag: number,
): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, 100, 'utf8');
  writeOctal(block, 100, 8, h.mode & 0o7777);
  writeOctal(block, 108, 8, h.uid);
  writeOctal(block, 116, 8, h.gid);
  writeOctal(block, 124, 12, h.size);
  writeOctal(block, 136, 12, h.mtime);
  block[156] = typeflag;
  block.write(linkname, 157, 100, 'utf8');
  block.write('ustar\x0000', 257, 8, 'latin1');
  writeOctal(block, 329, 8, h.devmajor);
  writeOctal(block, 337, 8, h.devminor);
  block.write(prefix, 345, 155, 'utf8');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i]!;
  block.write(sum.toString(8).padStart(6, '0'), 148, 6, 'ascii');
  block[154] = 0;
  block[155] = 0x20;
  return block;
}

/** ASCII-only, ≤ 100 bytes: the name field under a PAX header or for a non-ASCII name. */
function placeholderName(name: string): string {
  let s = '';
  for (const ch of name) s += isPlainAscii(ch) ? ch : '_';
  return s.length > 100 ? s.slice(s.length - 100) : s;
}

/**
 * The header blocks for one entry: a PAX extended header when something does not fit ustar
 * (long or non-ASCII names, big numbers, xattrs), then the ustar block. PAX records are sorted by
 * key so equal inputs give equal bytes.
 */
export function encodeHeader(h: TarHeader): Buffer {
  const pax = new Map<string, Buffer>();
  let name = h.name;
  let prefix = '';
  const split = isPlainAscii(h.name) ? splitUstar(h.name) : null;
  if (split) {
    [prefix, name] = split;
  } else {
    pax.set('path', Buffer.from(h.name, 'utf8'));
    name = placeholderName(h.name);
  }
  let linkname = h.linkname;
  if (!isPlainAscii(linkname) || Buffer.byteLength(linkname) > 100) {
    pax.set('linkpath', Buffer.from(linkname, 'utf8'));
    linkname = placeholderName(linkname);
  }
  const fields = { mode: h.mode, uid: h.uid, gid: h.gid, size: h.size, mtime: h.mtime, devmajor: h.devmajor, devminor: h.devminor };
  if (!Number.isSafeInteger(h.size) || h.size < 0) throw new LayerError(`invalid size ${h.size}`, h.name);
  if (h.size > MAX_OCTAL_11) {
    pax.set('size', Buffer.from(String(h.size)));
    fields.size = 0;
  }
  for (const key of ['uid', 'gid'] as const) {
    if (h[key] > MAX_OCTAL_7) {
      pax.set(key, Buffer.from(String(h[key])));
      fields[key] = 0;
    }
  }
  if (h.mtime < 0 || h.mtime > MAX_OCTAL_11) {
    pax.set('mtime', Buffer.from(String(h.mtime)));
    fields.mtime = 0;
  }
  if (h.devmajor > MAX_OCTAL_7 || h.devminor > MAX_OCTAL_7) {
    throw new LayerError(`device number ${h.devmajor}:${h.devminor} does not fit a tar header`, h.name);
  }
  for (const [key, value] of h.xattrs) pax.set(`SCHILY.xattr.${key}`, value);

  const main = ustarBlock(fields, name, prefix, linkname, TYPEFLAG[h.type]);
  if (pax.size === 0) return main;

  const records = encodePaxRecords(pax);
  const base = h.name.replace(/\/+$/, '').split('/').pop() ?? '';
  const paxName = placeholderName(`PaxHeaders.0/${base}`);
  const paxHeader = ustarBlock(
    { mode: 0o644, uid: 0, gid: 0, size: records.length, mtime: fields.mtime, devmajor: 0, devminor: 0 },
    paxName,
    '',
    '',
    PAX_TYPEFLAG,
  );
  return Buffer.concat([paxHeader, records, padding(records.length), main]);
}

const ZEROS = Buffer.alloc(BLOCK * 2);

/** Zero bytes that round `size` up to a whole block. */
export function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? ZEROS.subarray(0, 0) : ZEROS.subarray(0, BLOCK - rest);
}

/** Two zero blocks: the end of the archive (and nothing more, as Go writes it). */
export function endOfArchive(): Buffer {
  return ZEROS;
}
