/**
 * sha256 while streaming. Local on purpose: src/image owns digests, but layer/ must not depend on
 * it yet (the lead dedupes later).
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** A pass-through that hashes and counts every byte it forwards. */
export class DigestStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private count = 0;
  private result: string | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.count += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.result = `sha256:${this.hash.digest('hex')}`;
    callback();
  }

  /** `sha256:<hex>`; only valid once the stream has ended. */
  get digest(): string {
    if (this.result === undefined) throw new Error('DigestStream: digest read before the stream ended');
    return this.result;
  }

  get size(): number {
    return this.count;
  }
}
