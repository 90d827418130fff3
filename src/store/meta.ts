/**
 * Small JSON records beside the layout (see layout.ts): where blobs came from, when images
 * were added, and holds. Each record is one file replaced atomically; read-modify-write
 * happens under the `meta` lock so concurrent processes do not lose each other's updates.
 */
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalJson } from '../image/canonical.js';
import { digestAlgorithm, digestHex, isDigest, type Digest } from '../image/digest.js';
import { writeFileAtomic } from './atomic.js';
import { listDir } from './fsutil.js';
import type { StorePaths } from './layout.js';
import type { Locks } from './lock.js';

export interface BlobRecord {
  /** Repositories (`docker.io/library/alpine`) the blob was pulled from or pushed to. */
  sources: string[];
}

export interface ImageMeta {
  /** When a manifest was first tagged in this store (ISO 8601). */
  added: string;
}

/** Content kept by prune (not by prune --all) though no tag needs it: the build cache's layers. */
export interface Hold {
  name: string;
  blobs: Digest[];
  snapshots: Digest[];
}

export class Meta {
  private readonly paths: StorePaths;
  private readonly locks: Locks;

  constructor(paths: StorePaths, locks: Locks) {
    this.paths = paths;
    this.locks = locks;
  }

  async blob(digest: Digest): Promise<BlobRecord | undefined> {
    return this.read<BlobRecord>(this.paths.metaFile('blobs', key(digest)));
  }

  async addBlobSource(digest: Digest, repository: string): Promise<void> {
    const file = this.paths.metaFile('blobs', key(digest));
    await this.locks.with('meta', async () => {
      const sources = new Set((await this.read<BlobRecord>(file))?.sources ?? []);
      if (sources.has(repository)) return;
      sources.add(repository);
      await this.write(file, { sources: [...sources].sort() });
    });
  }

  async image(digest: Digest): Promise<ImageMeta | undefined> {
    return this.read<ImageMeta>(this.paths.metaFile('images', key(digest)));
  }

  /** Records the first time a manifest is tagged; later calls keep the first time. */
  async imageAdded(digest: Digest, when: Date = new Date()): Promise<void> {
    const file = this.paths.metaFile('images', key(digest));
    if (await this.read<ImageMeta>(file)) return;
    await this.locks.with('meta', async () => {
      if (!(await this.read<ImageMeta>(file))) await this.write(file, { added: when.toISOString() });
    });
  }

  async setHold(hold: Hold): Promise<void> {
    await this.write(this.holdFile(hold.name), hold);
  }

  async removeHold(name: string): Promise<boolean> {
    const file = this.holdFile(name);
    const had = (await this.read<Hold>(file)) !== undefined;
    await rm(file, { force: true });
    return had;
  }

  async holds(): Promise<Hold[]> {
    const out: Hold[] = [];
    for (const name of await listDir(join(this.paths.meta, 'holds'))) {
      const hold = await this.read<Hold>(join(this.paths.meta, 'holds', name));
      if (hold && typeof hold.name === 'string') {
        out.push({ name: hold.name, blobs: (hold.blobs ?? []).filter(isDigest), snapshots: (hold.snapshots ?? []).filter(isDigest) });
      }
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Forgets what is recorded about blobs that are gone. */
  async forget(digests: Iterable<Digest>): Promise<void> {
    for (const d of digests) {
      await rm(this.paths.metaFile('blobs', key(d)), { force: true });
      await rm(this.paths.metaFile('images', key(d)), { force: true });
    }
  }

  private holdFile(name: string): string {
    return this.paths.metaFile('holds', createHash('sha256').update(name).digest('hex'));
  }

  private async read<T>(file: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(file, 'utf8')) as T;
    } catch {
      // Missing, or damaged by hand: metadata is advisory, so absent is the safe reading.
      return undefined;
    }
  }

  private async write(file: string, value: object): Promise<void> {
    await writeFileAtomic(file, canonicalJson(value), this.paths.tmp);
  }
}

function key(digest: Digest): string {
  return `${digestAlgorithm(digest)}-${digestHex(digest)}`;
}
