/**
 * Parallel gzip, pigz's way: the input is cut into fixed blocks, each block is raw-deflated on its
 * own (on libuv's threadpool, so several at once) primed with the previous block's last 32 KiB as
 * a dictionary, and ended with a sync flush so the pieces concatenate into one deflate stream.
 * One gzip header, one CRC32 + ISIZE trailer: a single valid member that gzip, Go and Node read.
 *
 * The block size is fixed, never derived from the core count, and every block's bytes depend only
 * on (dictionary, block, level): the same input gives the same output with 1 thread or 64.
 */
import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';

/** Part of the output format: changing it changes every layer digest. */
export const GZIP_BLOCK_SIZE = 1 << 20;
const DICT_SIZE = 32 * 1024;
export const DEFAULT_GZIP_LEVEL = 6;

export interface ParallelGzipOptions {
  /** zlib level 1–9 (default 6, what Docker and BuildKit use). */
  level?: number;
  /** Blocks compressed at once (default: cores, at most libuv threadpool size − 1). Never changes the bytes. */
  concurrency?: number;
}

/** Leaves one libuv thread for file reads, which share the pool with zlib's async calls. */
export function defaultConcurrency(): number {
  const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  return Math.max(1, Math.min(availableParallelism(), pool - 1));
}

function deflateBlock(data: Buffer, dictionary: Buffer | undefined, level: number, last: boolean): Promise<Buffer> {
  const options: zlib.ZlibOptions = {
    level,
    finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
    // Room for the whole output (deflate's worst case is a little over the input), so a block is
    // one trip to the threadpool instead of one per 16 KiB of output.
    chunkSize: GZIP_BLOCK_SIZE + 64 * 1024,
  };
  if (dictionary) options.dictionary = dictionary;
  return new Promise((resolve, reject) => {
    zlib.deflateRaw(data, options, (err, out) => (err ? reject(err) : resolve(out)));
  });
}

interface Block {
  data: Buffer;
  dictionary: Buffer | undefined;
  last: boolean;
  started: boolean;
  done: Promise<Buffer>;
  resolve: (out: Buffer) => void;
  reject: (err: Error) => void;
}

export class ParallelGzip extends Transform {
  private readonly level: number;
  private readonly concurrency: number;
  private block: Buffer = Buffer.allocUnsafe(GZIP_BLOCK_SIZE);
  private filled = 0;
  private previous: Buffer | undefined;
  /** Blocks not yet pushed, in order; the first `running` of those not started wait for a thread. */
  private readonly queue: Block[] = [];
  private running = 0;
  private crc = 0;
  private total = 0;

  constructor(options: ParallelGzipOptions = {}) {
    super();
    this.level = options.level ?? DEFAULT_GZIP_LEVEL;
    if (!Number.isInteger(this.level) || this.level < 1 || this.level > 9) throw new RangeError(`gzip level must be 1–9, not ${this.level}`);
    this.concurrency = Math.max(1, options.concurrency ?? defaultConcurrency());
    const xfl = this.level === 9 ? 2 : this.level === 1 ? 4 : 0;
    // mtime 0 and no file name: nothing in the header depends on when or where it was made.
    this.push(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3]));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.accept(chunk).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.finish().then(() => callback(), callback);
  }

  private async accept(chunk: Buffer): Promise<void> {
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(chunk.length - at, GZIP_BLOCK_SIZE - this.filled);
      chunk.copy(this.block, this.filled, at, at + n);
      this.filled += n;
      at += n;
      if (this.filled === GZIP_BLOCK_SIZE) {
        this.enqueue(false);
        // Twice as many blocks as threads: the next ones are ready the moment a thread frees up,
        // while reading input goes on here. Memory stays at a few blocks per thread.
        while (this.queue.length >= 2 * this.concurrency) await this.pushHead();
      }
    }
  }

  private enqueue(last: boolean): void {
    const data = this.block.subarray(0, this.filled);
    this.crc = zlib.crc32(data, this.crc);
    this.total += data.length;
    const dictionary = this.previous && this.previous.subarray(this.previous.length - DICT_SIZE);
    let resolve!: (out: Buffer) => void;
    let reject!: (err: Error) => void;
    const done = new Promise<Buffer>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    done.catch(() => undefined); // a rejection surfaces when this block reaches the head
    this.queue.push({ data, dictionary, last, started: false, done, resolve, reject });
    this.previous = data;
    this.block = Buffer.allocUnsafe(last ? 0 : GZIP_BLOCK_SIZE);
    this.filled = 0;
    this.pump();
  }

  /** Starts waiting blocks while fewer than `concurrency` are being deflated. */
  private pump(): void {
    for (const b of this.queue) {
      if (this.running >= this.concurrency) return;
      if (b.started) continue;
      b.started = true;
      this.running++;
      deflateBlock(b.data, b.dictionary, this.level, b.last).then(
        (out) => {
          this.running--;
          b.resolve(out);
          this.pump();
        },
        (err: Error) => {
          this.running--;
          b.reject(err);
        },
      );
    }
  }

  private async pushHead(): Promise<void> {
    const out = await this.queue[0]!.done;
    this.queue.shift();
    this.push(out);
  }

  private async finish(): Promise<void> {
    this.enqueue(true);
    while (this.queue.length > 0) await this.pushHead();
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.crc >>> 0, 0);
    trailer.writeUInt32LE(this.total % 2 ** 32, 4);
    this.push(trailer);
  }
}
