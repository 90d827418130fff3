/**
 * Layer compression: parallel gzip (default), zstd through the `zstd` binary, or none; and the
 * reverse, picked by magic bytes.
 */
import { PassThrough, Readable, pipeline, type Duplex, type Transform } from 'node:stream';
import zlib from 'node:zlib';
import { LayerError } from '../errors.js';
import type { Compression } from '../image/mediatypes.js';
import { ParallelGzip } from './pgzip.js';
import { ProcessStream } from './subprocess.js';

export type { Compression };

/** zstd level used unless told otherwise; part of the output format like the gzip block size. */
export const DEFAULT_ZSTD_LEVEL = 3;

export interface CompressOptions {
  compression?: Compression;
  /** gzip 1–9 (default 1) or zstd 1–19 (default 3). */
  level?: number;
  /** gzip blocks compressed at once; never changes the bytes. */
  concurrency?: number;
}

export function createCompressor(options: CompressOptions = {}): Transform | Duplex {
  const compression = options.compression ?? 'gzip';
  switch (compression) {
    case 'gzip': {
      const gz: { level?: number; concurrency?: number } = {};
      if (options.level !== undefined) gz.level = options.level;
      if (options.concurrency !== undefined) gz.concurrency = options.concurrency;
      return new ParallelGzip(gz);
    }
    case 'zstd': {
      const level = options.level ?? DEFAULT_ZSTD_LEVEL;
      if (!Number.isInteger(level) || level < 1 || level > 19) throw new RangeError(`zstd level must be 1–19, not ${level}`);
      // -T0 runs zstd's multi-threaded mode, whose output does not depend on the thread count
      // (unlike --single-thread); no file name or size reaches the frame from a pipe.
      return new ProcessStream('zstd', ['-T0', '-q', '-c', `-${level}`], 'zstd');
    }
    case 'none':
      return new PassThrough();
    default:
      throw new RangeError(`unknown compression '${String(compression)}'`);
  }
}

export type StreamFormat = 'gzip' | 'zstd' | 'tar';

/** What the first bytes of a layer say it is; throws for formats layers never use. */
export function detectFormat(head: Buffer): StreamFormat {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 6 && head.toString('latin1', 0, 6) === '\xfd7zXZ\0') throw new LayerError('xz-compressed layers are not supported (gzip, zstd or plain tar)');
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') throw new LayerError('bzip2-compressed layers are not supported (gzip, zstd or plain tar)');
  return 'tar';
}

/** Reads the first bytes, then hands back a stream that still yields them. */
async function peek(source: Readable, want: number): Promise<{ head: Buffer; stream: Readable }> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const chunks: Buffer[] = [];
  let have = 0;
  let ended = false;
  while (have < want) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    chunks.push(chunk);
    have += chunk.length;
  }
  const head = Buffer.concat(chunks);
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    }
  }
  return { head, stream: Readable.from(rest(), { objectMode: false }) };
}

/** The uncompressed tar stream of a gzip, zstd or plain layer, chosen by its magic bytes. */
export async function decompress(source: Readable): Promise<{ format: StreamFormat; stream: Readable }> {
  const { head, stream } = await peek(source, 6);
  const format = detectFormat(head);
  if (format === 'tar') return { format, stream };
  const decoder = format === 'gzip' ? zlib.createGunzip() : new ProcessStream('zstd', ['-d', '-q', '-c'], 'zstd');
  // pipeline destroys every stage with the first error, so the consumer of `decoder` sees it.
  pipeline(stream, decoder, () => undefined);
  return { format, stream: decoder };
}
