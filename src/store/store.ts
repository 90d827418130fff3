/**
 * The local store: content-addressed blobs and tags in an OCI image layout, extracted layer
 * snapshots beside it (layout.ts draws the tree). Every method is safe to call from several
 * hull processes on one root at once, and a process killed anywhere leaves a store the next
 * one uses as it is.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve as resolvePath } from 'node:path';
import type { Readable } from 'node:stream';
import { canonicalJson } from '../image/canonical.js';
import { parseImageConfig, type ImageConfig } from '../image/config.js';
import { digestHex, type Digest } from '../image/digest.js';
import { parseManifestOrIndex, type Descriptor, type ParsedManifest } from '../image/manifest.js';
import { isForeignLayer, isIndexMediaType, isManifestMediaType } from '../image/mediatypes.js';
import { DEFAULT_TAG, formatReference, parseReference, type ImageReference } from '../image/reference.js';
import { writeFileAtomic, type BlobSource, type Expected } from './atomic.js';
import { MAX_JSON_BLOB, openBlob, readVerified, statBlob, storeBlob, type BlobInfo } from './blobs.js';
import { BlobNotFoundError, LockTimeoutError, StoreError } from './errors.js';
import { exists, sizeOf } from './fsutil.js';
import { collect, type PruneOptions, type PruneReport } from './gc.js';
import { ensureLayout, StorePaths } from './layout.js';
import { Leases } from './lease.js';
import { Locks, type LockOptions } from './lock.js';
import { Meta, type BlobRecord, type Hold, type ImageMeta } from './meta.js';
import { readIndexJson, refName, removeTag, setTag, tagsOf, writeIndexJson, type TagEntry } from './oci-index.js';
import { resolveName } from './resolve.js';
import { makeSnapshot } from './snapshots.js';
import { cleanTemp, type TempCleanup } from './temp.js';
import { Walker, type ImageRecord } from './walk.js';

export type StoreOptions = LockOptions;
export type { BlobInfo };

export class Store {
  readonly root: string;
  readonly paths: StorePaths;
  private readonly locks: Locks;
  /** The same locks, never waited for (tryLock). */
  private readonly freeLocks: Locks;
  private readonly leases: Leases;
  private readonly meta: Meta;

  private constructor(root: string, options: StoreOptions) {
    this.root = root;
    this.paths = new StorePaths(root);
    this.locks = new Locks(this.paths.locks, this.paths.tmp, options);
    this.freeLocks = new Locks(this.paths.locks, this.paths.tmp, { ...options, timeoutMs: 0 });
    this.leases = new Leases(this.paths.leases);
    this.meta = new Meta(this.paths, this.locks);
  }

  /** Opens (creating if needed) the store at `root`, clearing what dead processes left in tmp/. */
  static async open(root: string, options: StoreOptions = {}): Promise<Store> {
    const store = new Store(resolvePath(root), options);
    await ensureLayout(store.paths);
    await cleanTemp(store.paths);
    return store;
  }

  /** Ends this process's lease: a prune may now remove what it wrote but did not tag or hold. */
  async close(): Promise<void> {
    await this.leases.releaseAll();
  }

  // ── blobs ──────────────────────────────────────────────────────────────

  blobPath(digest: Digest): string {
    return this.paths.blob(digest);
  }

  /** Whether the blob is here; a true answer stays true while this store is open (it is leased). */
  async hasBlob(digest: Digest): Promise<boolean> {
    await this.leases.add(digest);
    return exists(this.blobPath(digest));
  }

  async statBlob(digest: Digest): Promise<BlobInfo | undefined> {
    return statBlob(this.paths, this.leases, digest);
  }

  /**
   * Stores content, verifying it against `expected` (digest and/or size) while it streams to
   * disk. With an expected digest that is already stored, the source is not read at all.
   * Throws DigestMismatchError (nothing stored) when the content is not what was announced.
   */
  async putBlob(content: BlobSource, expected: Expected = {}): Promise<BlobInfo> {
    return storeBlob(this.paths, this.leases, content, expected);
  }

  /** Stores a document as canonical JSON and returns its descriptor. */
  async putJson(document: object, mediaType: string): Promise<Descriptor> {
    const { digest, size } = await this.putBlob(canonicalJson(document));
    return { mediaType, digest, size };
  }

  /** A stream of the blob; with `verify`, the stream errors at its end if the content does not match its digest. */
  async getBlob(digest: Digest, options: { verify?: boolean } = {}): Promise<Readable> {
    return openBlob(this.blobPath(digest), digest, options.verify ?? false);
  }

  /** A small blob (a manifest, a config) read whole and checked against its digest. */
  async readBlob(digest: Digest, options: { maxSize?: number } = {}): Promise<Buffer> {
    return readVerified(this.blobPath(digest), digest, options.maxSize);
  }

  async readManifest(descriptor: Descriptor | Digest): Promise<ParsedManifest> {
    const d = typeof descriptor === 'string' ? { digest: descriptor, mediaType: undefined } : descriptor;
    return parseManifestOrIndex(await this.readBlob(d.digest), d.mediaType);
  }

  async readConfig(digest: Digest): Promise<ImageConfig> {
    return parseImageConfig(await this.readBlob(digest));
  }

  // ── layer member indexes ─────────────────────────────────────────────

  /**
   * Keeps the member index of a gzip layer blob (layer/member-index.ts, as text) beside the blob,
   * in ROOT/meta/layer-index/<hex>.json, replacing any before it. The next build of the same step
   * reads it to copy the blob's unchanged gzip members instead of compressing them again.
   */
  async putLayerIndex(digest: Digest, json: string): Promise<void> {
    const file = this.layerIndexPath(digest);
    await mkdir(dirname(file), { recursive: true });
    await writeFileAtomic(file, json, this.paths.tmp);
  }

  /** The member index kept for a layer blob, as written; undefined when there is none. */
  async layerIndex(digest: Digest): Promise<string | undefined> {
    try {
      return await readFile(this.layerIndexPath(digest), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  private layerIndexPath(digest: Digest): string {
    return join(this.paths.meta, 'layer-index', `${digestHex(digest)}.json`);
  }

  // ── tags ───────────────────────────────────────────────────────────────

  /**
   * Points `reference` (normalised: `alpine` is docker.io/library/alpine:latest) at a manifest
   * or index, replacing its previous target. The image must be complete: its manifest, config
   * and (non-foreign) layers stored; entries of an index that were never pulled may be absent.
   */
  async tag(reference: string | ImageReference, descriptor: Descriptor): Promise<void> {
    const name = tagName(reference);
    if (!isManifestMediaType(descriptor.mediaType) && !isIndexMediaType(descriptor.mediaType)) {
      throw new StoreError(`cannot tag ${name}: ${descriptor.mediaType} is not an image manifest or index`);
    }
    await this.checkComplete(descriptor, name);
    await this.locks.with('index', async () => {
      await writeIndexJson(this.paths, setTag(await readIndexJson(this.paths), name, descriptor));
    });
    await this.meta.imageAdded(descriptor.digest);
  }

  /** Removes a tag; returns what it pointed at, or undefined if there was no such tag. */
  async untag(reference: string | ImageReference): Promise<Descriptor | undefined> {
    const name = tagName(reference);
    return this.locks.with('index', async () => {
      const { index, removed } = removeTag(await readIndexJson(this.paths), name);
      if (removed) await writeIndexJson(this.paths, index);
      return removed;
    });
  }

  /** The tags, sorted by full reference. */
  async listTags(): Promise<TagEntry[]> {
    return tagsOf(await readIndexJson(this.paths));
  }

  /** A reference, `name@digest`, digest, image ID or unique ID prefix → what it names here. */
  async resolve(nameOrId: string): Promise<Descriptor | undefined> {
    return resolveName(
      {
        tags: () => this.listTags(),
        images: () => this.images(),
        describe: (d) => this.describe(d),
      },
      nameOrId,
    );
  }

  /** Every image (manifest with its config and layers) reachable from index.json. */
  async images(): Promise<{ entries: Descriptor[]; images: ImageRecord[] }> {
    const index = await readIndexJson(this.paths);
    const entries = tagsOf(index).map((t) => t.descriptor);
    const untagged = index.manifests.filter((e) => refName(e) === undefined);
    const walker = this.walker();
    for (const e of [...entries, ...untagged]) await walker.visit(e);
    return { entries: [...entries, ...untagged], images: walker.result.images };
  }

  private async describe(digest: Digest): Promise<Descriptor | undefined> {
    const size = await sizeOf(this.blobPath(digest));
    if (size === undefined || size > MAX_JSON_BLOB) return undefined;
    try {
      const parsed = parseManifestOrIndex(await this.readBlob(digest));
      return { mediaType: parsed.mediaType, digest, size };
    } catch {
      return undefined;
    }
  }

  private walker(lease = false): Walker {
    return new Walker(
      async (d) => {
        if (lease) await this.leases.add(d);
        return (await exists(this.blobPath(d))) ? this.readBlob(d) : undefined;
      },
      (d) => sizeOf(this.blobPath(d)),
    );
  }

  /** Leases everything the image needs (so no prune takes it meanwhile), then checks it is all here. */
  private async checkComplete(descriptor: Descriptor, name: string): Promise<void> {
    await this.leases.add(descriptor.digest);
    const size = await sizeOf(this.blobPath(descriptor.digest));
    if (size === undefined) throw new BlobNotFoundError(descriptor.digest, `: store the ${isIndexMediaType(descriptor.mediaType) ? 'index' : 'manifest'} before tagging it as ${name}`);
    if (size !== descriptor.size) throw new StoreError(`cannot tag ${name}: the descriptor says ${descriptor.size} bytes but blob ${descriptor.digest} has ${size}`);
    const walker = await this.leaseClosure((w) => w.visit(descriptor));
    for (const image of walker.result.images) {
      for (const blob of [image.config, ...image.layers.filter((l) => !isForeignLayer(l.mediaType) && !l.urls)]) {
        if (!(await exists(this.blobPath(blob.digest)))) {
          throw new StoreError(`cannot tag ${name}: image ${image.manifest.digest} is incomplete, blob ${blob.digest} (${blob.mediaType}) is not in the store`);
        }
      }
    }
  }

  /** Walks from some roots, leasing every blob before reading it and everything found after. */
  private async leaseClosure(visit: (walker: Walker) => Promise<void>): Promise<Walker> {
    const walker = this.walker(true);
    await visit(walker);
    await this.leases.add(...walker.result.blobs, ...walker.result.diffIds);
    return walker;
  }

  // ── snapshots ──────────────────────────────────────────────────────────

  /** Where the extracted layer with this diff ID lives (whether or not it exists yet). */
  snapshotPath(diffId: Digest): string {
    return this.paths.snapshot(diffId);
  }

  async hasSnapshot(diffId: Digest): Promise<boolean> {
    await this.leases.add(diffId);
    return exists(this.snapshotPath(diffId));
  }

  /**
   * The snapshot directory of `diffId`, made if missing: `create` fills a fresh empty
   * directory (e.g. by extracting the layer), which then becomes the snapshot in one rename.
   * One process creates a given snapshot at a time; the others wait and reuse it.
   */
  async ensureSnapshot(diffId: Digest, create: (dir: string) => Promise<void>): Promise<string> {
    const target = this.snapshotPath(diffId);
    if (await this.hasSnapshot(diffId)) return target;
    return makeSnapshot(this.paths, this.locks, diffId, create);
  }

  // ── metadata and holds ─────────────────────────────────────────────────

  /** Notes that a blob exists in a repository (`docker.io/library/alpine`), for cross-repository mounts. */
  async addBlobSource(digest: Digest, repository: string): Promise<void> {
    await this.meta.addBlobSource(digest, repository);
  }

  async blobRecord(digest: Digest): Promise<BlobRecord | undefined> {
    return this.meta.blob(digest);
  }

  async imageMeta(digest: Digest): Promise<ImageMeta | undefined> {
    return this.meta.image(digest);
  }

  /** Keeps blobs (followed if they are manifests or indexes) and snapshots from `prune` (not from `prune --all`). */
  async hold(name: string, content: { blobs?: readonly Digest[]; snapshots?: readonly Digest[] }): Promise<void> {
    const blobs = [...(content.blobs ?? [])].sort();
    const snapshots = [...(content.snapshots ?? [])].sort();
    await this.leases.add(...snapshots);
    await this.leaseClosure(async (w) => {
      for (const d of blobs) await w.visitDigest(d);
    });
    await this.meta.setHold({ name, blobs, snapshots });
  }

  /** Drops a hold; true if there was one. */
  async release(name: string): Promise<boolean> {
    return this.meta.removeHold(name);
  }

  async holds(): Promise<Hold[]> {
    return this.meta.holds();
  }

  // ── locks for callers ──────────────────────────────────────────────────

  /**
   * Takes the store-wide lock `name` (a file-name-safe word that no store method uses), waiting
   * while another process or step holds it; returns its release. For work that must not overlap
   * across builds, such as a RUN on a `sharing=locked` cache mount; the holder's death frees it.
   */
  async lock(name: string): Promise<() => Promise<void>> {
    return this.locks.acquire(name);
  }

  /** Takes lock `name` only if nobody holds it: its release, or undefined when it is taken. */
  async tryLock(name: string): Promise<(() => Promise<void>) | undefined> {
    try {
      return await this.freeLocks.acquire(name);
    } catch (err) {
      if (err instanceof LockTimeoutError) return undefined;
      throw err;
    }
  }

  // ── cleanup ────────────────────────────────────────────────────────────

  /** Removes unreferenced blobs and snapshots and temp leftovers (see gc.ts for what is kept). */
  async prune(options: PruneOptions = {}): Promise<PruneReport> {
    return this.locks.with('gc', async () => {
      const report = await collect({ paths: this.paths, leases: this.leases, meta: this.meta, read: async (d) => ((await exists(this.blobPath(d))) ? this.readBlob(d).catch(() => undefined) : undefined) }, options);
      // A member index is only of use with its blob.
      for (const { digest } of report.blobs) await rm(this.layerIndexPath(digest), { force: true });
      return report;
    });
  }

  /** Removes what dead processes left in tmp/ (open does this too). */
  async cleanTemp(): Promise<TempCleanup> {
    return cleanTemp(this.paths);
  }
}

function tagName(reference: string | ImageReference): string {
  const ref = typeof reference === 'string' ? parseReference(reference) : reference;
  if (ref.digest !== undefined) throw new StoreError(`cannot tag ${formatReference(ref)}: a tag cannot contain a digest; write name:tag`);
  return formatReference(ref.tag === undefined ? { ...ref, tag: DEFAULT_TAG } : ref);
}

