import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import xxhash, { type XXHashAPI } from 'xxhash-wasm';
import { isFresh, type StatCache } from './stat-cache.js';
import type { ContextEntry, EntryType } from './walk.js';

/**
 * Content hashes of context files: xxh64 (the only 64-bit hash xxhash-wasm 1.x has; no xxh3),
 * fed chunk by chunk from a read stream so a big file never sits in memory.
 */

let api: Promise<XXHashAPI> | undefined;

/** The wasm module is instantiated once per process, on first use. */
function xx(): Promise<XXHashAPI> {
  api ??= xxhash();
  return api;
}

/** "xxh64:" + 16 hex digits; the prefix keeps the algorithm visible wherever the value travels. */
function format(value: bigint): string {
  return `xxh64:${value.toString(16).padStart(16, '0')}`;
}

/** Hashes a stream of bytes (chunks as Buffers/Uint8Arrays). */
export async function hashStream(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const h = (await xx()).create64();
  for await (const chunk of chunks) h.update(chunk);
  return format(h.digest());
}

/** Hashes a file by streaming it. */
export function hashFile(absPath: string): Promise<string> {
  return hashStream(createReadStream(absPath, { highWaterMark: 1 << 20 }));
}

export interface HashResult {
  hash: string;
  /** True when the stat cache answered and the file was not read. */
  cached: boolean;
}

/**
 * The content hash of a regular file of the context, reusing `cache` when size, mtime, ctime and
 * inode are unchanged and the record is not racy (see stat-cache.ts). `now` is injectable for tests.
 */
export async function hashEntry(root: string, entry: ContextEntry, cache?: StatCache, now: () => bigint = wallClockNs): Promise<HashResult> {
  if (entry.type !== 'file') throw new TypeError(`only regular files have a content hash: ${entry.path} is a ${entry.type}`);
  const known = cache?.get(entry.path);
  if (known !== undefined && isFresh(known, entry)) return { hash: known.hash, cached: true };
  // the time is taken before reading, so a write during the read falls in the racy window
  const recordedAtNs = now();
  const hash = await hashFile(join(root, entry.path));
  cache?.set(entry.path, { size: entry.size, mtimeNs: entry.mtimeNs, ctimeNs: entry.ctimeNs, ino: entry.ino, hash, recordedAtNs });
  return { hash, cached: false };
}

function wallClockNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** What a cache key needs to know about one entry (owners are left out: COPY sets them itself). */
export interface DigestInput {
  path: string;
  type: EntryType;
  mode: number;
  linkTarget?: string | undefined;
  /** Content hash, for regular files. */
  hash?: string | undefined;
}

/**
 * A sha256 digest of a set of entries, independent of the order given (sorted by path bytes).
 * Each entry is one JSON array per line, so no field can run into the next.
 */
export function digestEntries(entries: Iterable<DigestInput>): string {
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const h = createHash('sha256');
  for (const e of sorted) {
    h.update(JSON.stringify([e.path, e.type, e.mode, e.linkTarget ?? '', e.hash ?? '']));
    h.update('\n');
  }
  return `sha256:${h.digest('hex')}`;
}
