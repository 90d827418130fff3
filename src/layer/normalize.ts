/**
 * A root filesystem tarball (what `hull import` and `docker import` take) re-encoded as a
 * layer: entries in archive order, names made relative and checked, headers normalised the way
 * the directory writer does (numeric ids, no user/group names, mtimes clamped to
 * SOURCE_DATE_EPOCH). Streaming, so a tarball of any size passes in bounded memory, and nothing
 * is extracted, so ownership and device nodes survive also when hull does not run as root.
 */
import { Readable } from 'node:stream';
import { splitEntryName } from './resolve.js';
import { encodeHeader, endOfArchive, padding, type TarHeader } from './tar/header.js';
import { readTar } from './tar/reader.js';

export interface NormalizeOptions {
  /** Clamp every mtime to at most this (seconds since the epoch). */
  sourceDateEpoch?: number;
}

/** `source` is an uncompressed tar stream (see `decompress`); the result is one too. */
export function normalizeTar(source: Readable, options: NormalizeOptions = {}): Readable {
  return Readable.from(normalizedChunks(source, options), { objectMode: false });
}

async function* normalizedChunks(source: Readable, options: NormalizeOptions): AsyncGenerator<Buffer> {
  for await (const { header, body } of readTar(source)) {
    const parts = splitEntryName(header.name, header.name);
    // The archive root itself (`./`) is not an entry of a layer.
    if (parts.length === 0) {
      for await (const chunk of body) void chunk;
      continue;
    }
    const out: TarHeader = {
      ...header,
      name: parts.join('/') + (header.type === 'directory' ? '/' : ''),
      linkname: header.type === 'link' ? splitEntryName(header.linkname, header.name, 'hardlink target').join('/') : header.linkname,
      mtime: options.sourceDateEpoch === undefined ? header.mtime : Math.min(header.mtime, options.sourceDateEpoch),
    };
    yield encodeHeader(out);
    let size = 0;
    for await (const chunk of body) {
      size += chunk.length;
      yield chunk;
    }
    yield padding(size);
  }
  yield endOfArchive();
}
