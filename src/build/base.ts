/**
 * FROM <image>: the base's config and layers, from the store when it has the image (unless
 * `--pull`), else pulled through the registry client for the stage's platform.
 */
import { HullError } from '../errors.js';
import type { ImageConfig } from '../image/config.js';
import type { Digest } from '../image/digest.js';
import { convertLayerMediaType, isForeignLayer } from '../image/mediatypes.js';
import { formatPlatform, normalizePlatform, type Platform } from '../image/platform.js';
import { formatReference, parseReference } from '../image/reference.js';
import { pull, type PullEvent } from '../registry/pull.js';
import { loadImage, type LocalImage } from '../store/local-image.js';
import type { Store } from '../store/store.js';
import type { LayerRef } from './layers.js';

export interface BaseImage {
  /** The reference, normalised (`docker.io/library/busybox:latest`). */
  reference: string;
  /** The image manifest's digest: what the build used, whatever the tag says later. */
  digest: Digest;
  config: ImageConfig;
  layers: LayerRef[];
}

export interface ResolveBaseOptions {
  /** Always ask the registry, even when the store has the image (`--pull`). */
  pull: boolean;
  onPull?: (event: PullEvent) => void;
  onWarning?: (message: string) => void;
}

export async function resolveBase(store: Store, name: string, platform: Platform, options: ResolveBaseOptions): Promise<BaseImage> {
  const ref = parseReference(name);
  const reference = formatReference(ref);
  let image = options.pull ? undefined : await findLocal(store, reference, platform);
  if (image === undefined) {
    const pulled = await pull(store, ref, { platform, ...(options.onPull ? { onEvent: options.onPull } : {}) });
    image = await loadImage(store, pulled.manifest.digest, platform);
  }
  const { manifest, config } = image;
  const wanted = formatPlatform(normalizePlatform(platform));
  const got = formatPlatform(normalizePlatform({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) }));
  if (got !== wanted) options.onWarning?.(`${reference}: the image is for ${got}, not the requested ${wanted}`);
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== manifest.layers.length) {
    throw new HullError(`${reference}: its config lists ${diffIds.length} layers but its manifest ${manifest.layers.length}`);
  }
  const layers = manifest.layers.map((blob, i): LayerRef => {
    if (isForeignLayer(blob.mediaType)) throw new HullError(`${reference}: layer ${blob.digest} is a foreign (non-distributable) layer, which hull cannot build on`);
    // New manifests are OCI: the base's Docker layer types get their OCI names (same bytes).
    return { diffID: diffIds[i]!, blob: { ...blob, mediaType: convertLayerMediaType(blob.mediaType, 'oci') ?? blob.mediaType } };
  });
  return { reference, digest: image.manifestDescriptor.digest, config, layers };
}

/** The image from the store, or undefined when the store lacks it (or lacks its blobs). */
async function findLocal(store: Store, reference: string, platform: Platform): Promise<LocalImage | undefined> {
  if ((await store.resolve(reference)) === undefined) return undefined;
  return loadImage(store, reference, platform);
}
