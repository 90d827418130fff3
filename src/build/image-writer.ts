/**
 * The result in the store: a stage's config and manifest, and for a multi-platform build the
 * index over them — OCI by default, Docker schema 2 and a manifest list with `--format docker`.
 */
import { ociToDockerIndex, ociToDockerManifest } from '../image/convert.js';
import type { ImageConfig } from '../image/config.js';
import type { Digest } from '../image/digest.js';
import { createIndex, createManifest, type Descriptor } from '../image/manifest.js';
import { MediaType } from '../image/mediatypes.js';
import { formatPlatform, toOciPlatform, type Platform } from '../image/platform.js';
import { ensureBlob } from '../registry/ensure-blob.js';
import type { Store } from '../store/store.js';
import type { BuiltStage } from './stage.js';
import type { Vertex } from './vertices.js';

export type ImageFormat = 'oci' | 'docker';

export interface WrittenImage {
  manifest: Descriptor;
  config: Descriptor;
  image: ImageConfig;
  platform: string;
}

export interface WriteImageOptions {
  labels?: Readonly<Record<string, string>> | undefined;
  /** SOURCE_DATE_EPOCH given: `created` is the build's, not the newest step's. */
  fixedCreated: boolean;
  format: ImageFormat;
}

export async function writeImage(store: Store, target: BuiltStage, created: string, options: WriteImageOptions, vertex: Vertex): Promise<WrittenImage> {
  const { state, layers } = target;
  const labels = options.labels && Object.keys(options.labels).length > 0 ? { Labels: { ...state.image.config?.Labels, ...options.labels } } : {};
  // The newest step time: a rebuild served by the cache gives the same config, hence the same digest.
  const newest = options.fixedCreated ? undefined : state.image.history?.findLast((h) => h.created !== undefined)?.created;
  const image: ImageConfig = {
    ...state.image,
    created: newest ?? created,
    config: { ...state.image.config, ...labels },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) },
  };
  // Layers served by an imported cache are fetched now: the image needs them, nothing else did.
  for (const layer of layers) await ensureBlob(store, layer.blob);
  const docker = options.format === 'docker';
  // The config's bytes are the same in both formats; the Docker one is named by the conversion.
  const config = await store.putJson(image, MediaType.ociConfig);
  vertex.status('config', `writing image config ${config.digest}`, true);
  const oci = createManifest(config, layers.map((l) => l.blob));
  const manifest = docker ? await store.putJson(ociToDockerManifest(oci), MediaType.dockerManifest) : await store.putJson(oci, MediaType.ociManifest);
  vertex.status('manifest', `writing manifest ${manifest.digest}`, true);
  return { manifest, config, image, platform: formatPlatform(target.platform) };
}

/** One index (or manifest list) over the images of a multi-platform build, in the order asked. */
export async function writeIndex(store: Store, images: readonly { manifest: Descriptor; platform: Platform }[], format: ImageFormat, vertex: Vertex): Promise<Descriptor> {
  const entries = images.map((i) => ({ ...i.manifest, platform: toOciPlatform(i.platform) }));
  const index = createIndex(entries);
  const descriptor =
    format === 'docker'
      ? await store.putJson(ociToDockerIndex(index, new Map<Digest, Descriptor>(entries.map((e) => [e.digest, e]))), MediaType.dockerManifestList)
      : await store.putJson(index, MediaType.ociIndex);
  vertex.status('index', `writing ${format === 'docker' ? 'manifest list' : 'image index'} ${descriptor.digest}`, true);
  return descriptor;
}
