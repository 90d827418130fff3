/**
 * The media types of the OCI image spec and of Docker's image manifest v2 schema 2, and
 * questions asked of them. Registries serve both families; hull writes OCI.
 */

export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  /** Deprecated by OCI 1.1 but still served (Windows base layers). */
  ociLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociLayerNondistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  /** The `{}` blob OCI 1.1 artifacts use as a placeholder config. */
  ociEmpty: 'application/vnd.oci.empty.v1+json',

  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  /** containerd's name; Docker's schema 2 itself has no zstd layer. */
  dockerLayerZstd: 'application/vnd.docker.image.rootfs.diff.tar.zstd',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  /** Schema 1: recognised only to refuse it with a clear message. */
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

export type KnownMediaType = (typeof MediaType)[keyof typeof MediaType];

export type Compression = 'none' | 'gzip' | 'zstd';

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
}

export function isManifestMediaType(mediaType: string): boolean {
  return mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest;
}

export function isSchema1MediaType(mediaType: string): boolean {
  return mediaType === MediaType.dockerSchema1 || mediaType === MediaType.dockerSchema1Signed;
}

export function isConfigMediaType(mediaType: string): boolean {
  return mediaType === MediaType.ociConfig || mediaType === MediaType.dockerConfig;
}

interface LayerInfo {
  compression: Compression;
  /** The blob may not be pushed anywhere but where its `urls` point. */
  foreign: boolean;
  flavor: 'oci' | 'docker';
}

const LAYERS: ReadonlyMap<string, LayerInfo> = new Map<string, LayerInfo>([
  [MediaType.ociLayer, { compression: 'none', foreign: false, flavor: 'oci' }],
  [MediaType.ociLayerGzip, { compression: 'gzip', foreign: false, flavor: 'oci' }],
  [MediaType.ociLayerZstd, { compression: 'zstd', foreign: false, flavor: 'oci' }],
  [MediaType.ociLayerNondistributable, { compression: 'none', foreign: true, flavor: 'oci' }],
  [MediaType.ociLayerNondistributableGzip, { compression: 'gzip', foreign: true, flavor: 'oci' }],
  [MediaType.ociLayerNondistributableZstd, { compression: 'zstd', foreign: true, flavor: 'oci' }],
  [MediaType.dockerLayer, { compression: 'none', foreign: false, flavor: 'docker' }],
  [MediaType.dockerLayerGzip, { compression: 'gzip', foreign: false, flavor: 'docker' }],
  [MediaType.dockerLayerZstd, { compression: 'zstd', foreign: false, flavor: 'docker' }],
  [MediaType.dockerForeignLayerGzip, { compression: 'gzip', foreign: true, flavor: 'docker' }],
]);

export function isLayerMediaType(mediaType: string): boolean {
  return LAYERS.has(mediaType);
}

/** How a layer blob is compressed, or undefined when the media type is not a known layer type. */
export function layerCompression(mediaType: string): Compression | undefined {
  return LAYERS.get(mediaType)?.compression;
}

/** Foreign (Docker) and nondistributable (OCI) layers: not pushed, often not even pulled. */
export function isForeignLayer(mediaType: string): boolean {
  return LAYERS.get(mediaType)?.foreign ?? false;
}

/** The media type hull gives a layer it writes. */
export function layerMediaType(compression: Compression, flavor: 'oci' | 'docker' = 'oci'): string {
  for (const [mediaType, info] of LAYERS) {
    if (info.compression === compression && info.flavor === flavor && !info.foreign) return mediaType;
  }
  /* c8 ignore next */
  throw new Error(`no ${flavor} layer media type for ${compression}`);
}

/**
 * The same layer under the other family's name, for manifest conversion; undefined when the
 * other family has no equivalent (a zstd layer in a Docker schema 2 manifest).
 */
export function convertLayerMediaType(mediaType: string, to: 'oci' | 'docker'): string | undefined {
  const info = LAYERS.get(mediaType);
  if (!info) return undefined;
  if (info.flavor === to) return mediaType;
  for (const [other, o] of LAYERS) {
    if (o.flavor !== to || o.compression !== info.compression || o.foreign !== info.foreign) continue;
    if (other === MediaType.dockerLayerZstd) return undefined;
    return other;
  }
  return undefined;
}
