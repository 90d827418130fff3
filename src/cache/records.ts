/**
 * The local cache index: one record per step key, in the store. A record names the layer the
 * step made (or says it made none) and when it first ran; its blob is held so `hull prune` keeps
 * it (`prune --all` drops the build cache). A record whose blob has gone (and that no registry
 * is known to hold) is a miss.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Descriptor } from '../image/manifest.js';
import { isDigest, type Digest } from '../image/digest.js';
import { blobAvailable } from '../registry/ensure-blob.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { Store } from '../store/store.js';

export interface CacheRecord {
  /** The step's key (hex, see keys.ts). */
  key: string;
  /** The layer the step made; absent when its diff was empty. */
  layer?: { diffID: Digest; blob: Descriptor };
  /** When the step first ran (RFC 3339): a rebuild from cache writes the same history. */
  created: string;
}

const HOLD_PREFIX = 'cache:';

export class CacheIndex {
  private readonly dir: string;

  constructor(private readonly store: Store) {
    this.dir = join(store.paths.root, 'cache', 'records');
  }

  /** The record for `key` when it is usable here: its layer's blob is in the store or known in a registry. */
  async get(key: string): Promise<CacheRecord | undefined> {
    const record = await this.read(key);
    if (record === undefined) return undefined;
    if (record.layer && !(await blobAvailable(this.store, record.layer.blob.digest))) return undefined;
    return record;
  }

  /** The record as stored, whether or not its blob is here (exports and imports use this). */
  async read(key: string): Promise<CacheRecord | undefined> {
    if (!/^[0-9a-f]{64}$/.test(key)) return undefined;
    try {
      return parseRecord(JSON.parse(await readFile(this.file(key), 'utf8')));
    } catch {
      // Missing or damaged: a cache is an optimisation, so this is just a miss.
      return undefined;
    }
  }

  async put(record: CacheRecord): Promise<void> {
    if (record.layer) await this.store.hold(`${HOLD_PREFIX}${record.key}`, { blobs: [record.layer.blob.digest], snapshots: [record.layer.diffID] });
    await mkdir(join(this.dir, record.key.slice(0, 2)), { recursive: true });
    await writeFileAtomic(this.file(record.key), `${JSON.stringify(record)}\n`, this.store.paths.tmp);
  }

  private file(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }
}

export function parseRecord(value: unknown): CacheRecord | undefined {
  const r = value as Partial<CacheRecord> | null;
  if (r === null || typeof r !== 'object' || typeof r.key !== 'string' || typeof r.created !== 'string') return undefined;
  if (r.layer !== undefined) {
    const { diffID, blob } = r.layer;
    if (!isDigest(diffID) || typeof blob !== 'object' || blob === null || !isDigest(blob.digest) || typeof blob.size !== 'number' || typeof blob.mediaType !== 'string') return undefined;
  }
  return { key: r.key, created: r.created, ...(r.layer ? { layer: r.layer } : {}) };
}
