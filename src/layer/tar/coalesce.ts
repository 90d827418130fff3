/**
 * Gathers the many small pieces of a tar stream (512-byte headers, small files, padding) into
 * chunks of a fixed size, so every later stage (hashing, compression, the file) sees a few large
 * writes instead of tens of thousands of tiny ones.
 */
export class Coalescer {
  private buf: Buffer;
  private used = 0;

  constructor(private readonly size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Copies `data` in; returns the chunks that became full. */
  push(data: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let at = 0;
    while (at < data.length) {
      const n = Math.min(data.length - at, this.size - this.used);
      data.copy(this.buf, this.used, at, at + n);
      this.used += n;
      at += n;
      if (this.used === this.size) out.push(this.take());
    }
    return out;
  }

  /** Whatever is buffered (possibly nothing), leaving the coalescer empty. */
  flush(): Buffer[] {
    return this.used === 0 ? [] : [this.take()];
  }

  private take(): Buffer {
    const chunk = this.used === this.size ? this.buf : this.buf.subarray(0, this.used);
    this.buf = Buffer.allocUnsafe(this.size);
    this.used = 0;
    return chunk;
  }
}
