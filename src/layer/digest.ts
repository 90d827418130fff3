/** sha256 while streaming: the layer writer tees the tar through two of these (diffID, blob digest). */
import { Transform, type TransformCallback } from 'node:stream';
import { DigestHasher, type Digest } from '../image/digest.js';

/** A pass-through that hashes and counts every byte it forwards. */
export class DigestStream extends Transform {
  private readonly hasher = new DigestHasher();
  private result: Digest | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hasher.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.result = this.hasher.digest();
    callback();
  }

  /** `sha256:<hex>`; only valid once the stream has ended. */
  get digest(): Digest {
    if (this.result === undefined) throw new Error('DigestStream: digest read before the stream ended');
    return this.result;
  }

  get size(): number {
    return this.hasher.size;
  }
}
