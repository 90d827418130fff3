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

/** The persisted form: bigints as decimal strings, since JSON has no 64-bit integers. */
export interface SerializedStatCache {
  version: 1;
  records: Record<string, { size: number; mtimeNs: string; ctimeNs: string; ino: string; hash: string; recordedAtNs: string }>;
}

/** An in-memory stat cache that the caller can persist with toJSON/fromJSON. */
export class MemoryStatCache implements StatCache {
  private readonly records = new Map<string, StatRecord>();

  get(path: string): StatRecord | undefined {
    return this.records.get(path);
  }

  set(path: string, record: StatRecord): void {
    this.records.set(path, record);
  }

  get size(): number {
    return this.records.size;
  }

  toJSON(): SerializedStatCache {
    const records: SerializedStatCache['records'] = {};
    for (const [path, r] of this.records) {
      records[path] = { size: r.size, mtimeNs: String(r.mtimeNs), ctimeNs: String(r.ctimeNs), ino: String(r.ino), hash: r.hash, recordedAtNs: String(r.recordedAtNs) };
    }
    return { version: 1, records };
  }

  /** Unknown versions give an empty cache: a cache is only ever an optimisation. */
  static fromJSON(data: unknown): MemoryStatCache {
    const cache = new MemoryStatCache();
    const d = data as Partial<SerializedStatCache> | null;
    if (d === null || typeof d !== 'object' || d.version !== 1 || typeof d.records !== 'object' || d.records === null) return cache;
    for (const [path, r] of Object.entries(d.records)) {
      try {
        cache.set(path, { size: r.size, mtimeNs: BigInt(r.mtimeNs), ctimeNs: BigInt(r.ctimeNs), ino: BigInt(r.ino), hash: r.hash, recordedAtNs: BigInt(r.recordedAtNs) });
      } catch {
        // a damaged record is skipped; that file is simply hashed again
      }
    }
    return cache;
  }
}
