/**
 * Writes that a killed process cannot leave half done: content goes to a temp file in the
 * store's tmp/ (same filesystem), is fsynced, then renamed into place, and the directory is
 * fsynced so the new name survives a power cut too. Blob ingestion hashes while it writes, so
 * a layer is read once and never held in memory.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { digestAlgorithm, DigestHasher, parseDigest, type Digest } from '../image/digest.js';
import { DigestMismatchError, noSpaceError } from './errors.js';
import { currentOwner } from './owner.js';

/** Bytes, or a stream of them (a Node Readable is one). */
export type BlobSource = Uint8Array | AsyncIterable<Uint8Array | string>;

export interface Expected {
  digest?: Digest | string;
  size?: number;
}

/** A fresh temp path in `tmpDir` whose name says which process owns it and what it is for. */
export function tempPath(tmpDir: string, purpose: string): string {
  return join(tmpDir, `${currentOwner().token}.${randomBytes(6).toString('hex')}.${purpose}`);
}

/** Makes a rename or creation in `dir` durable. Some filesystems cannot fsync a directory: that is not an error. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    await fh.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR' && code !== 'EPERM') throw err;
  } finally {
    await fh?.close();
  }
}

async function writeTemp(tmp: string, data: Uint8Array | string, mode: number): Promise<void> {
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw noSpaceError(err, `into ${dirname(tmp)}`);
  }
}

/** Replaces `target` with `data` atomically. */
export async function writeFileAtomic(target: string, data: Uint8Array | string, tmpDir: string, mode = 0o644): Promise<void> {
  const tmp = tempPath(tmpDir, 'write');
  try {
    await writeTemp(tmp, data, mode);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dirname(target));
}

/**
 * Creates `target` with `data` only if it does not exist yet (link(2) is atomic and exclusive);
 * returns false when another writer got there first.
 */
export async function createFileExclusive(target: string, data: Uint8Array | string, tmpDir: string, mode = 0o644): Promise<boolean> {
  const tmp = tempPath(tmpDir, 'create');
  try {
    await writeTemp(tmp, data, mode);
    await link(tmp, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
  await fsyncDir(dirname(target));
  return true;
}

export interface Ingested {
  /** The temp file holding the verified content, fsynced. */
  path: string;
  digest: Digest;
  size: number;
}

/**
 * Streams `source` into a new temp file while hashing it (with the expected digest's
 * algorithm, else sha256), then checks digest and size. Stops as soon as the content runs past
 * the expected size. On any failure the temp file is gone and the source is released.
 */
export async function ingest(source: BlobSource, tmp: string, expected: Expected = {}, mode = 0o444): Promise<Ingested> {
  const expectedDigest = expected.digest === undefined ? undefined : parseDigest(expected.digest);
  const hasher = new DigestHasher(expectedDigest ? digestAlgorithm(expectedDigest) : 'sha256');
  const fh = await open(tmp, 'wx', mode).catch((err: unknown) => {
    throw noSpaceError(err, `a blob into ${dirname(tmp)}`);
  });
  try {
    const chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array> = source instanceof Uint8Array ? [source] : source;
    for await (const piece of chunks) {
      const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
      hasher.update(chunk);
      if (expected.size !== undefined && hasher.size > expected.size) {
        throw new DigestMismatchError({ ...expected, digest: expectedDigest }, { size: hasher.size });
      }
      await writeAll(fh, chunk);
    }
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw noSpaceError(err, `a blob into ${dirname(tmp)}`);
  }
  await fh.close();
  const actual = { digest: hasher.digest(), size: hasher.size };
  if ((expectedDigest !== undefined && actual.digest !== expectedDigest) || (expected.size !== undefined && actual.size !== expected.size)) {
    await rm(tmp, { force: true });
    throw new DigestMismatchError({ digest: expectedDigest, size: expected.size }, actual);
  }
  return { path: tmp, ...actual };
}

async function writeAll(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await fh.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}
