/**
 * The docker-archive `docker save` writes since moby 25: an OCI image layout (`oci-layout`,
 * `index.json`, `blobs/`) plus `manifest.json` and `repositories` in the same tar, so both
 * docker-archive readers (docker load, skopeo docker-archive:) and OCI readers accept it.
 *
 * Layers are written uncompressed, as moby does: `manifest.json` names each layer file by its
 * diff ID, so every reader that checks "sha256 of the layer file = config diff_id" (docker load
 * does) passes, and the OCI manifest in the layout lists the same blobs. A layer stored
 * compressed is decompressed twice: once to learn its size and check its diff ID before
 * anything is written (a tar header needs the size first), once while it streams out.
 */
import { canonicalJson } from '../image/canonical.js';
import { checkImage, configPlatform, type ImageConfig } from '../image/config.js';
import { digestHex, type Digest } from '../image/digest.js';
import { ImageError } from '../image/errors.js';
import { serialize, type Descriptor, type Flavor, type ImageManifest } from '../image/manifest.js';
import { platformRank } from '../image/match.js';
import { isForeignLayer, layerCompression, layerMediaType, MediaType } from '../image/mediatypes.js';
import { formatPlatform, hostPlatform, toOciPlatform, type Platform } from '../image/platform.js';
import { familiarName, familiarString, type ImageReference } from '../image/reference.js';
import type { Store } from '../store/store.js';
import { ArchiveError } from './errors.js';
import { blobDirectories, blobMemberName, DOCKER_MANIFEST_FILE, fileMember, indexEntries, indexMember, ociLayoutMember, REPOSITORIES_FILE } from './layout.js';
import { pickPlatform, type SaveItem } from './select.js';
import type { ArchiveMember, MemberBody } from './tar-out.js';
import { measureUncompressed, openUncompressed } from './uncompressed.js';

export interface PlatformOption {
  /** The platform the user asked for; undefined means this machine's (for indexes only). */
  platform?: Platform;
}

interface PlannedLayer {
  diffId: Digest;
  size: number;
  /** The stored blob it is read from. */
  source: Digest;
}

interface PlannedImage {
  manifest: Descriptor;
  /** Set when the manifest was rewritten for uncompressed layers (not in the store). */
  manifestBytes?: Buffer;
  config: Descriptor;
  configJson: ImageConfig;
  layers: PlannedLayer[];
  tags: ImageReference[];
}

export async function dockerArchiveMembers(store: Store, items: readonly SaveItem[], options: PlatformOption): Promise<ArchiveMember[]> {
  const measured = new Map<Digest, { digest: Digest; size: number }>();
  const images = new Map<Digest, PlannedImage>();
  for (const item of items) {
    const image = await planImage(store, item, options, measured);
    const same = images.get(image.manifest.digest);
    if (same) same.tags.push(...image.tags.filter((t) => !same.tags.some((s) => familiarString(s) === familiarString(t))));
    else images.set(image.manifest.digest, image);
  }
  return members(store, [...images.values()]);
}

async function planImage(store: Store, item: SaveItem, options: PlatformOption, measured: Map<Digest, { digest: Digest; size: number }>): Promise<PlannedImage> {
  let descriptor = item.descriptor;
  let parsed = await store.readManifest(descriptor);
  if (parsed.kind === 'index') {
    descriptor = await pickPlatform(store, parsed.index, options.platform ?? hostPlatform(), item.label, 'choose one with --platform, or write every platform with --format oci');
    parsed = await store.readManifest(descriptor);
  }
  if (parsed.kind !== 'manifest') throw new ArchiveError(`${item.label}: ${descriptor.digest} is an index inside an index, which the docker format cannot hold; use --format oci`);
  const manifest = parsed.manifest;
  const configJson = await store.readConfig(manifest.config.digest);
  if (options.platform && item.descriptor === descriptor && platformRank(options.platform, configPlatform(configJson), { strict: true }) === undefined) {
    throw new ArchiveError(`${item.label} is a ${formatPlatform(configPlatform(configJson))} image, not ${formatPlatform(options.platform)}`);
  }
  try {
    checkImage(manifest, configJson);
  } catch (err) {
    if (err instanceof ImageError) throw new ArchiveError(`${item.label}: ${err.message}`);
    throw err;
  }
  const layers: PlannedLayer[] = [];
  for (const [i, layer] of manifest.layers.entries()) {
    const diffId = configJson.rootfs.diff_ids[i]!;
    if (!(await store.hasBlob(layer.digest))) {
      const why = isForeignLayer(layer.mediaType) ? ' (a foreign layer, which pulls leave out)' : '';
      throw new ArchiveError(`${item.label}: layer ${i} (${layer.digest}) is not in the store${why}; the docker format needs every layer`);
    }
    if (layerCompression(layer.mediaType) === 'none' && layer.digest === diffId) {
      layers.push({ diffId, size: layer.size, source: layer.digest });
      continue;
    }
    let m = measured.get(layer.digest);
    if (!m) {
      m = await measureUncompressed(store, layer.digest);
      measured.set(layer.digest, m);
    }
    if (m.digest !== diffId) throw new ArchiveError(`${item.label}: layer ${i} (${layer.digest}) uncompresses to ${m.digest}, but the config says its diff ID is ${diffId}`);
    layers.push({ diffId, size: m.size, source: layer.digest });
  }
  const platform = toOciPlatform(configPlatform(configJson));
  // A fresh descriptor: an index entry's own annotations say nothing about this archive.
  const planned: PlannedImage = { manifest: { mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size, platform }, config: manifest.config, configJson, layers, tags: [...item.tags] };
  if (layers.every((l, i) => l.diffId === manifest.layers[i]!.digest && layerCompression(manifest.layers[i]!.mediaType) === 'none')) return planned;
  const rewritten = serialize(uncompressedManifest(manifest, parsed.flavor, layers));
  return { ...planned, manifest: { ...rewritten.descriptor, platform }, manifestBytes: rewritten.bytes };
}

/** The same image pointing at its uncompressed layers, in the stored manifest's own flavor. */
function uncompressedManifest(stored: ImageManifest, flavor: Flavor, layers: readonly PlannedLayer[]): ImageManifest {
  const mediaType = layerMediaType('none', flavor);
  return {
    schemaVersion: 2,
    mediaType: flavor === 'docker' ? MediaType.dockerManifest : MediaType.ociManifest,
    config: stored.config,
    // Layer annotations describe the compressed blob (eStargz TOCs and the like): not carried over.
    layers: layers.map((l) => ({ mediaType, digest: l.diffId, size: l.size })),
    ...(flavor === 'oci' && stored.annotations ? { annotations: stored.annotations } : {}),
  };
}

function members(store: Store, images: readonly PlannedImage[]): ArchiveMember[] {
  const manifestJson = images.map((img) => ({
    Config: blobMemberName(img.config.digest),
    RepoTags: img.tags.map(familiarString),
    Layers: img.layers.map((l) => blobMemberName(l.diffId)),
  }));
  const repositories: Record<string, Record<string, string>> = {};
  for (const img of images) {
    const top = img.layers.at(-1);
    if (!top) continue;
    for (const tag of img.tags) (repositories[familiarName(tag)] ??= {})[tag.tag ?? 'latest'] = digestHex(top.diffId);
  }
  const blobs = new Map<Digest, ArchiveMember>();
  const addBlob = (digest: Digest, size: number, body: MemberBody): void => {
    if (!blobs.has(digest)) blobs.set(digest, { kind: 'file', name: blobMemberName(digest), size, digest, body });
  };
  for (const img of images) {
    const m = img.manifest;
    addBlob(m.digest, m.size, img.manifestBytes ?? (() => store.getBlob(m.digest)));
    addBlob(img.config.digest, img.config.size, () => store.getBlob(img.config.digest));
    for (const l of img.layers) {
      addBlob(l.diffId, l.size, l.source === l.diffId ? () => store.getBlob(l.source) : async () => (await openUncompressed(store, l.source)).stream);
    }
  }
  const entries = images.flatMap((img) => indexEntries(img.manifest, img.tags, (tag) => tag.tag ?? 'latest'));
  return [
    ociLayoutMember(),
    indexMember(entries),
    fileMember(DOCKER_MANIFEST_FILE, Buffer.from(`${JSON.stringify(manifestJson)}\n`)),
    ...(Object.keys(repositories).length > 0 ? [fileMember(REPOSITORIES_FILE, Buffer.concat([canonicalJson(repositories), Buffer.from('\n')]))] : []),
    ...blobDirectories(blobs.keys()),
    ...blobs.values(),
  ];
}
