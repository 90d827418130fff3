/**
 * Blob files: storing verified content under its digest, and reading it back as a stream or
 * whole, checked against the digest it is filed under.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { DigestHasher, digestAlgorithm, parseDigest, type Digest } from '../image/digest.js';
import { fsyncDir, ingest, tempPath, type BlobSource, type Expected } from './atomic.js';
import { BlobNotFoundError, DigestMismatchError, StoreError } from './errors.js';
import { exists, removeTree, sizeOf } from './fsutil.js';
import type { StorePaths } from './layout.js';
import type { Leases } from './lease.js';

export interface BlobInfo {
  digest: Digest;
  size: number;
}

/** JSON documents (manifests, configs) are read whole; anything bigger is not one. */
export const MAX_JSON_BLOB = 16 << 20;

export async function statBlob(paths: StorePaths, leases: Leases, digest: Digest): Promise<BlobInfo | undefined> {
  await leases.add(digest);
  const size = await sizeOf(paths.blob(digest));
  return size === undefined ? undefined : { digest, size };
}

/**
 * Lease first, then check or publish: prune (gc.ts) relies on that order. The blob is
 * published by a rename, so it is never seen half written.
 */
export async function storeBlob(paths: StorePaths, leases: Leases, content: BlobSource, expected: Expected): Promise<BlobInfo> {
  if (expected.digest !== undefined) {
    const have = await statBlob(paths, leases, parseDigest(expected.digest));
    if (have && (expected.size === undefined || have.size === expected.size)) {
      release(content);
      return have;
    }
  }
  const got = await ingest(content, tempPath(paths.tmp, 'blob'), expected);
  await leases.add(got.digest);
  const target = paths.blob(got.digest);
  if (await exists(target)) {
    await removeTree(got.path);
  } else {
    await mkdir(dirname(target), { recursive: true });
    await rename(got.path, target);
    await fsyncDir(dirname(target));
  }
  return { digest: got.digest, size: got.size };
}

/** Lets go of a source that will not be read (a stream would otherwise keep its producer waiting). */
function release(content: BlobSource): void {
  const maybe = content as { destroy?: () => void };
  if (!(content instanceof Uint8Array) && typeof maybe.destroy === 'function') maybe.destroy();
}

export async function openBlob(path: string, digest: Digest, verify: boolean): Promise<Readable> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(digest);
    throw err;
  }
  // Opened first so a missing blob is an error here, not later on the stream.
  const stream = fh.createReadStream();
  if (!verify) return stream;
  const hasher = new DigestHasher(digestAlgorithm(digest));
  const check = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hasher.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      const actual = hasher.digest();
      done(actual === digest ? null : new DigestMismatchError({ digest }, { digest: actual, size: hasher.size }, `stored blob ${path}`));
    },
  });
  stream.on('error', (err) => check.destroy(err));
  return stream.pipe(check);
}

export async function readVerified(path: string, digest: Digest, max = MAX_JSON_BLOB): Promise<Buffer> {
  const size = await sizeOf(path);
  if (size === undefined) throw new BlobNotFoundError(digest);
  if (size > max) throw new StoreError(`blob ${digest} is ${size} bytes, more than the ${max} this read allows`);
  const bytes = await readFile(path);
  const actual = new DigestHasher(digestAlgorithm(digest)).update(bytes).digest();
  if (actual !== digest) throw new DigestMismatchError({ digest }, { digest: actual, size: bytes.length }, `stored blob ${path} (damaged on disk)`);
  return bytes;
}
