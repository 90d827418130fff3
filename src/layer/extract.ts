/**
 * Safe layer extraction. Every entry is placed by resolving its parent path component by
 * component inside the target (resolve.ts); the last component is never followed (files are
 * opened O_EXCL|O_NOFOLLOW after whatever was there is removed); hardlinks must point at
 * something already inside; directory modes and times, and xattrs, are applied at the end, and
 * only to paths that are still what they were. An entry that would reach outside the target is an
 * UnsafeArchiveError naming it, raised before anything is written for it.
 */
import { mkdir, realpath } from 'node:fs/promises';
import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import { HullError, LayerError } from '../errors.js';
import { decompress, type StreamFormat } from './compress.js';
import { DigestStream } from './digest.js';
import { Extractor } from './extractor.js';
import { readTar } from './tar/reader.js';
import type { WhiteoutMode } from './whiteout.js';

export interface ExtractOptions {
  /** What whiteout entries become (default `oci`: kept as files). See WhiteoutMode. */
  whiteouts?: WhiteoutMode;
  /**
   * Running without root (default: when the process is not uid 0): no chown, no device nodes
   * (skipped with a warning), no trusted.* xattrs, and overlay markers in user.overlay.*.
   */
  rootless?: boolean;
  /** Restore xattrs (default true; needs setfattr from the `attr` package when some are present). */
  xattrs?: boolean;
  /** Refuse layers whose uncompressed tar is larger than this many bytes. */
  maxSize?: number;
  /**
   * The diffID the image config lists for this layer: extraction fails when the tar hashes to
   * anything else. Snapshots are filed by diffID and shared between images, so a config naming
   * another image's diffID must not get its content filed (and later used) under that name.
   */
  diffID?: string;
  onWarning?: (message: string) => void;
}

export interface ExtractResult {
  format: StreamFormat;
  /** sha256 of the uncompressed tar stream, to check against the image config's diff_ids. */
  diffID: string;
  /** Bytes of the uncompressed tar stream. */
  size: number;
  entries: number;
  /** What was skipped on purpose (at most 100; all of them also went to onWarning). */
  warnings: string[];
}

class SizeLimit extends Transform {
  private seen = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) callback(new LayerError(`layer exceeds the limit of ${this.limit} bytes uncompressed`));
    else callback(null, chunk);
  }
}

/** Extracts a gzip, zstd or plain tar layer into `target` (created if missing). */
export async function extractLayer(source: Readable, target: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  await mkdir(target, { recursive: true });
  const root = await realpath(target);
  const { format, stream } = await decompress(source);
  const digest = new DigestStream();
  if (options.maxSize !== undefined) pipeline(stream, new SizeLimit(options.maxSize), digest, () => undefined);
  else pipeline(stream, digest, () => undefined);

  const extractor = new Extractor(root, options);
  try {
    for await (const entry of readTar(digest)) await extractor.entry(entry);
    await extractor.finish();
    if (options.diffID !== undefined && digest.digest !== options.diffID) {
      throw new LayerError(`the layer's content has diffID ${digest.digest}, not the ${options.diffID} its image config lists`);
    }
  } catch (err) {
    if (err instanceof HullError) throw err;
    throw new LayerError(`extracting into ${root}: ${(err as Error).message}`);
  } finally {
    await extractor.close();
    digest.destroy();
  }
  return { format, diffID: digest.digest, size: digest.size, entries: extractor.count, warnings: extractor.warnings };
}
