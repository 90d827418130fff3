/**
 * An OCI image layout as one tar (`oci-archive:`): the images exactly as stored (same
 * manifest, index and blob digests), every platform of an index unless one is asked for.
 * `index.json` names each tag twice: the full reference as ref.name (the store's own
 * convention, unambiguous when two repositories share a tag, and what
 * `skopeo … oci-archive:FILE:docker.io/library/alpine:latest` addresses) and in containerd's
 * image-name annotation (what containerd and docker with the containerd store import by).
 */
import { configPlatform } from '../image/config.js';
import type { Digest } from '../image/digest.js';
import type { Descriptor } from '../image/manifest.js';
import { platformRank } from '../image/match.js';
import { isForeignLayer, isIndexMediaType, isManifestMediaType } from '../image/mediatypes.js';
import { formatPlatform, platformFromOci } from '../image/platform.js';
import { formatReference } from '../image/reference.js';
import type { Store } from '../store/store.js';
import type { PlatformOption } from './docker-save.js';
import { ArchiveError } from './errors.js';
import { blobDirectories, blobMemberName, indexEntries, indexMember, ociLayoutMember } from './layout.js';
import { pickPlatform, type SaveItem } from './select.js';
import type { ArchiveMember } from './tar-out.js';

export interface OciSaveOptions extends PlatformOption {
  warn(message: string): void;
}

export async function ociArchiveMembers(store: Store, items: readonly SaveItem[], options: OciSaveOptions): Promise<ArchiveMember[]> {
  const blobs = new Map<Digest, Descriptor>();
  const entries: Descriptor[] = [];
  for (const item of items) {
    const root = await narrow(store, item, options);
    entries.push(...indexEntries(root, item.tags, formatReference));
    await collect(store, root, item.label, blobs, options.warn);
  }
  return [
    ociLayoutMember(),
    indexMember(entries),
    ...blobDirectories(blobs.keys()),
    ...[...blobs.values()].map((d): ArchiveMember => ({ kind: 'file', name: blobMemberName(d.digest), size: d.size, digest: d.digest, body: () => store.getBlob(d.digest) })),
  ];
}

/** The item itself, or with --platform the one manifest of an index (checked against a plain manifest). */
async function narrow(store: Store, item: SaveItem, options: OciSaveOptions): Promise<Descriptor> {
  if (!options.platform) return item.descriptor;
  const parsed = await store.readManifest(item.descriptor);
  if (parsed.kind === 'index') return pickPlatform(store, parsed.index, options.platform, item.label, 'leave out --platform to write every platform the store has');
  const actual = configPlatform(await store.readConfig(parsed.manifest.config.digest));
  if (platformRank(options.platform, actual, { strict: true }) === undefined) {
    throw new ArchiveError(`${item.label} is a ${formatPlatform(actual)} image, not ${formatPlatform(options.platform)}`);
  }
  return item.descriptor;
}

/** `d` and everything below it, in walk order; entries of an index the store never pulled are left out. */
async function collect(store: Store, d: Descriptor, label: string, blobs: Map<Digest, Descriptor>, warn: (message: string) => void): Promise<void> {
  if (blobs.has(d.digest)) return;
  blobs.set(d.digest, { mediaType: d.mediaType, digest: d.digest, size: d.size });
  if (!isIndexMediaType(d.mediaType) && !isManifestMediaType(d.mediaType)) return;
  const parsed = await store.readManifest(d);
  if (parsed.kind === 'index') {
    for (const child of parsed.index.manifests) {
      if (await store.hasBlob(child.digest)) {
        await collect(store, child, label, blobs, warn);
      } else {
        const what = child.platform ? formatPlatform(platformFromOci(child.platform)) : child.digest;
        warn(`${label}: the index lists ${what} (${child.digest}), which is not in the store; the archive leaves it out`);
      }
    }
    return;
  }
  const { config, layers } = parsed.manifest;
  blobs.set(config.digest, { mediaType: config.mediaType, digest: config.digest, size: config.size });
  for (const [i, layer] of layers.entries()) {
    if (await store.hasBlob(layer.digest)) {
      blobs.set(layer.digest, { mediaType: layer.mediaType, digest: layer.digest, size: layer.size });
    } else if (!isForeignLayer(layer.mediaType) && !layer.urls) {
      throw new ArchiveError(`${label}: layer ${i} (${layer.digest}) of ${d.digest} is not in the store; the image is incomplete`);
    }
  }
}
