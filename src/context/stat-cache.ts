/**
 * The stat cache: lets an unchanged file skip re-reading. A record is trusted only when size,
 * mtime, ctime and inode all match, and when it is not "racy": if the file's mtime falls in the
 * same second as (or after) the moment the record was made, a later write within that second
 * could leave every stat field unchanged on a coarse-timestamp filesystem, so the file is read
 * again (git's racy-git rule).
 */

export interface StatRecord {
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
  hash: string;
  /** Wall-clock time (ns) when the hash was taken. */
  recordedAtNs: bigint;
}

/** What hashEntry needs; callers may back it with anything (a file, the store). */
export interface StatCache {
  get(path: string): StatRecord | undefined;
  set(path: string, record: StatRecord): void;
}

interface StatLike {
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
}

const SECOND = 1_000_000_000n;

export function isRacy(record: StatRecord): boolean {
  return record.mtimeNs / SECOND >= record.recordedAtNs / SECOND;
}

/** Whether `record` may stand for a file now stat'ed as `now`. */
export function isFresh(record: StatRecord, now: StatLike): boolean {
  return (
    record.size === now.size && record.mtimeNs === now.mtimeNs && record.ctimeNs === now.ctimeNs && record.ino === now.ino && !isRacy(record)
  );
}

/**
 * The persisted form, text made to parse fast: a version line, then one line per record, the path
 * up to a NUL (a path may hold a newline, never a NUL) and then its fields, space-separated:
 * `path\0size mtimeNs ctimeNs ino recordedAtNs hash\n`.
 */
export type SerializedStatCache = string;

const HEADER = 'hull stat cache 2\n';

/** An in-memory stat cache that the caller can persist with serialize/parse. */
export class MemoryStatCache implements StatCache {
  private readonly records = new Map<string, StatRecord>();
  private changed = false;

  get(path: string): StatRecord | undefined {
    return this.records.get(path);
  }

  set(path: string, record: StatRecord): void {
    this.records.set(path, record);
    this.changed = true;
  }

  get size(): number {
    return this.records.size;
  }

  /** Whether a record was set since the cache was made, parsed or last marked saved: an unchanged cache need not be written back. */
  get dirty(): boolean {
    return this.changed;
  }

  markSaved(): void {
    this.changed = false;
  }

  serialize(): SerializedStatCache {
    const lines = [HEADER];
    for (const [path, r] of this.records) lines.push(`${path}\0${r.size} ${r.mtimeNs} ${r.ctimeNs} ${r.ino} ${r.recordedAtNs} ${r.hash}\n`);
    return lines.join('');
  }

  /** Another version, or no cache at all, gives an empty cache: a cache is only ever an optimisation. */
  static parse(text: string): MemoryStatCache {
    const cache = new MemoryStatCache();
    if (!text.startsWith(HEADER)) return cache;
    for (let at = HEADER.length; at < text.length; ) {
      const nul = text.indexOf('\0', at);
      const end = text.indexOf('\n', nul + 1);
      // a cut-off tail (the file is written atomically, but be safe) ends the cache
      if (nul < 0 || end < 0) break;
      const fields = text.slice(nul + 1, end).split(' ');
      const path = text.slice(at, nul);
      at = end + 1;
      if (fields.length !== 6) continue;
      const [size, mtimeNs, ctimeNs, ino, recordedAtNs, hash] = fields as [string, string, string, string, string, string];
      try {
        cache.records.set(path, { size: Number(size), mtimeNs: BigInt(mtimeNs), ctimeNs: BigInt(ctimeNs), ino: BigInt(ino), hash, recordedAtNs: BigInt(recordedAtNs) });
      } catch {
        // a damaged record is skipped; that file is simply hashed again
      }
    }
    return cache;
  }
}
