/**
 * Docker schema 2 ⇄ OCI conversion, only where nothing is lost: the layers, config and
 * entries keep their digests and sizes, only media types change. What one family cannot say
 * (zstd layers, annotations or subjects in a Docker manifest) makes the conversion fail rather
 * than be dropped. The converted document has new bytes, hence a new digest.
 */
import type { Digest } from './digest.js';
import { ImageError } from './errors.js';
import type { Descriptor, DockerManifest, DockerManifestList, ImageIndex, ImageManifest } from './manifest.js';
import { convertLayerMediaType, MediaType } from './mediatypes.js';

export function dockerToOciManifest(m: ImageManifest): ImageManifest {
  expectType(m.mediaType, [MediaType.dockerManifest, undefined], 'a Docker schema 2 manifest');
  return {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: convertConfig(m.config, 'oci'),
    layers: m.layers.map((l, i) => convertLayer(l, 'oci', i)),
  };
}

export function ociToDockerManifest(m: ImageManifest): DockerManifest {
  expectType(m.mediaType, [MediaType.ociManifest, undefined], 'an OCI image manifest');
  refuseOciOnly(m, 'manifest');
  return {
    schemaVersion: 2,
    mediaType: MediaType.dockerManifest,
    config: convertConfig(m.config, 'docker'),
    layers: m.layers.map((l, i) => convertLayer(l, 'docker', i)),
  };
}

/**
 * A manifest list as an OCI index. Entries pointing at converted manifests are swapped for
 * the descriptors in `converted` (keyed by the old digest); others stay as they are, which
 * OCI allows.
 */
export function dockerToOciIndex(list: ImageIndex, converted: ReadonlyMap<Digest, Descriptor> = new Map()): ImageIndex {
  expectType(list.mediaType, [MediaType.dockerManifestList, undefined], 'a Docker manifest list');
  return {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: list.manifests.map((d) => withPlatform(converted.get(d.digest) ?? d, d)),
  };
}

/**
 * An OCI index as a Docker manifest list. Every entry must be (or be replaced through
 * `converted` by) a Docker manifest or list with a platform, as the Docker format requires.
 */
export function ociToDockerIndex(index: ImageIndex, converted: ReadonlyMap<Digest, Descriptor> = new Map()): DockerManifestList {
  expectType(index.mediaType, [MediaType.ociIndex, undefined], 'an OCI image index');
  refuseOciOnly(index, 'index');
  const manifests = index.manifests.map((d, i) => {
    const entry = withPlatform(converted.get(d.digest) ?? d, d);
    if (entry.mediaType !== MediaType.dockerManifest && entry.mediaType !== MediaType.dockerManifestList) {
      throw new ImageError(`cannot convert to a Docker manifest list: manifests[${i}] is ${entry.mediaType}; convert that manifest first and pass its new descriptor`);
    }
    if (!entry.platform) throw new ImageError(`cannot convert to a Docker manifest list: manifests[${i}] has no platform`);
    if (entry.annotations || entry.artifactType) throw new ImageError(`cannot convert to a Docker manifest list: manifests[${i}] has annotations or an artifactType`);
    return entry;
  });
  return { schemaVersion: 2, mediaType: MediaType.dockerManifestList, manifests };
}

function withPlatform(entry: Descriptor, original: Descriptor): Descriptor {
  return original.platform && !entry.platform ? { ...entry, platform: original.platform } : entry;
}

function expectType(actual: string | undefined, allowed: readonly (string | undefined)[], what: string): void {
  if (!allowed.includes(actual)) throw new ImageError(`expected ${what}, got ${actual ?? 'a document without a media type'}`);
}

function refuseOciOnly(doc: ImageManifest | ImageIndex, what: string): void {
  const extras = (['annotations', 'subject', 'artifactType'] as const).filter((k) => doc[k] !== undefined);
  if (extras.length > 0) throw new ImageError(`cannot convert the OCI ${what} to Docker schema 2 without losing its ${extras.join(', ')}`);
}

function convertConfig(d: Descriptor, to: 'oci' | 'docker'): Descriptor {
  const from = to === 'oci' ? MediaType.dockerConfig : MediaType.ociConfig;
  if (d.mediaType !== from) throw new ImageError(`cannot convert a config of type ${d.mediaType}: expected ${from}`);
  checkDescriptorExtras(d, 'config', to);
  return { ...d, mediaType: to === 'oci' ? MediaType.ociConfig : MediaType.dockerConfig };
}

function convertLayer(d: Descriptor, to: 'oci' | 'docker', i: number): Descriptor {
  const mediaType = convertLayerMediaType(d.mediaType, to);
  if (!mediaType) throw new ImageError(`cannot convert layers[${i}] of type ${d.mediaType}: the ${to === 'oci' ? 'OCI' : 'Docker schema 2'} format has no equivalent`);
  checkDescriptorExtras(d, `layers[${i}]`, to);
  return { ...d, mediaType };
}

function checkDescriptorExtras(d: Descriptor, where: string, to: 'oci' | 'docker'): void {
  if (to === 'docker' && (d.annotations || d.artifactType || d.data)) {
    throw new ImageError(`cannot convert ${where} to Docker schema 2 without losing its annotations, artifactType or data`);
  }
}

