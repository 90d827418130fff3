/**
 * Following what points at what: index → manifests → config and layers, config → diff IDs.
 * Prune uses it for reachability, resolve for image IDs. Blobs that are absent are skipped (an
 * index pulled for one platform lists manifests that were never fetched), and a blob that does
 * not parse is a leaf.
 */
import type { Digest } from '../image/digest.js';
import { parseImageConfig } from '../image/config.js';
import { parseManifestOrIndex, type Descriptor } from '../image/manifest.js';
import { isConfigMediaType, isIndexMediaType, isManifestMediaType } from '../image/mediatypes.js';

/** A blob's bytes, or undefined when the store does not have it. */
export type BlobReader = (digest: Digest) => Promise<Buffer | undefined>;

export interface ImageRecord {
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
  diffIds: Digest[];
}

export interface Reachable {
  blobs: Set<Digest>;
  diffIds: Set<Digest>;
  images: ImageRecord[];
}

/** Documents larger than this are layers, not manifests or configs. */
const MAX_DOCUMENT = 4 << 20;

export class Walker {
  private readonly read: BlobReader;
  private readonly sizeOf: (digest: Digest) => Promise<number | undefined>;
  readonly result: Reachable = { blobs: new Set(), diffIds: new Set(), images: [] };

  constructor(read: BlobReader, sizeOf: (digest: Digest) => Promise<number | undefined>) {
    this.read = read;
    this.sizeOf = sizeOf;
  }

  /** Marks `root` and everything below it. */
  async visit(root: Descriptor): Promise<void> {
    if (this.result.blobs.has(root.digest)) return;
    this.result.blobs.add(root.digest);
    if (isManifestMediaType(root.mediaType) || isIndexMediaType(root.mediaType)) await this.document(root);
  }

  /** Marks a blob known only by digest, reading it if it looks like a manifest or an index. */
  async visitDigest(digest: Digest): Promise<void> {
    if (this.result.blobs.has(digest)) return;
    const size = await this.sizeOf(digest);
    if (size === undefined || size > MAX_DOCUMENT) {
      this.result.blobs.add(digest);
      return;
    }
    const bytes = await this.read(digest);
    const mediaType = bytes && bytes[0] === 0x7b ? sniff(bytes) : undefined;
    if (mediaType) await this.visit({ mediaType, digest, size });
    else this.result.blobs.add(digest);
  }

  private async document(d: Descriptor): Promise<void> {
    const bytes = await this.read(d.digest);
    if (!bytes) return;
    let parsed;
    try {
      parsed = parseManifestOrIndex(bytes);
    } catch {
      return;
    }
    if (parsed.kind === 'index') {
      for (const child of parsed.index.manifests) await this.visit(child);
      return;
    }
    const { config, layers } = parsed.manifest;
    this.result.blobs.add(config.digest);
    for (const layer of layers) this.result.blobs.add(layer.digest);
    const diffIds = isConfigMediaType(config.mediaType) ? await this.diffIds(config.digest) : [];
    for (const id of diffIds) this.result.diffIds.add(id);
    this.result.images.push({ manifest: d, config, layers, diffIds });
  }

  private async diffIds(digest: Digest): Promise<Digest[]> {
    const bytes = await this.read(digest);
    if (!bytes) return [];
    try {
      return parseImageConfig(bytes).rootfs.diff_ids;
    } catch {
      return [];
    }
  }
}

function sniff(bytes: Buffer): string | undefined {
  try {
    return parseManifestOrIndex(bytes).mediaType;
  } catch {
    return undefined;
  }
}
