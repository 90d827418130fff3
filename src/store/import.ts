/**
 * `hull import`: a one-layer image from a root filesystem (a directory or a tarball), as
 * `docker import` makes one. This is how base images are made without a registry, e.g. from
 * Debian's busybox-static.
 */
import { createReadStream } from 'node:fs';
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { HullError } from '../errors.js';
import { PassThrough, Readable } from 'node:stream';
import { createImageConfig, type ImageConfig } from '../image/config.js';
import { createManifest, type Descriptor } from '../image/manifest.js';
import { layerMediaType, MediaType } from '../image/mediatypes.js';
import { hostPlatform, type Platform } from '../image/platform.js';
import { decompress, type Compression } from '../layer/compress.js';
import { normalizeTar } from '../layer/normalize.js';
import { compressLayer, tarDirectory, type LayerBlob } from '../layer/writer.js';
import type { Store } from './store.js';

export interface ImportOptions {
  platform?: Platform;
  compression?: Compression;
  /** The compressor's level (see CompressOptions). */
  level?: number;
  /** Seconds since the epoch: the image's `created` and the clamp for file mtimes (reproducible imports). */
  sourceDateEpoch?: number;
  /** The history comment (`docker import --message`). */
  message?: string;
}

export interface ImportResult {
  manifest: Descriptor;
  config: Descriptor;
  layer: LayerBlob;
}

/** Imports `source` (a directory, a tar/tar.gz/tar.zst file, or `-` read from `stdin`) and tags it `reference`. */
export async function importRootfs(
  store: Store,
  source: string,
  reference: string,
  options: ImportOptions & { stdin?: Readable } = {},
): Promise<ImportResult> {
  const tar = await rootfsTar(source, options);
  const layer = await storeLayer(store, tar, options);
  const created = new Date((options.sourceDateEpoch ?? Date.now() / 1000) * 1000).toISOString();
  const config: ImageConfig = {
    ...createImageConfig(options.platform ?? hostPlatform()),
    created,
    rootfs: { type: 'layers', diff_ids: [layer.diffID] },
    history: [{ created, created_by: `hull import ${source}`, comment: options.message ?? `Imported from ${source}` }],
  };
  const configDescriptor = await store.putJson(config, MediaType.ociConfig);
  const layerDescriptor: Descriptor = {
    mediaType: layerMediaType(layer.compression),
    digest: layer.digest,
    size: layer.size,
  };
  const manifest = createManifest(configDescriptor, [layerDescriptor]);
  const manifestDescriptor = await store.putJson(manifest, MediaType.ociManifest);
  await store.tag(reference, manifestDescriptor);
  return { manifest: manifestDescriptor, config: configDescriptor, layer };
}

async function rootfsTar(source: string, options: ImportOptions & { stdin?: Readable }): Promise<Readable> {
  const epoch = options.sourceDateEpoch === undefined ? {} : { sourceDateEpoch: options.sourceDateEpoch };
  if (source !== '-' && (await sourceStat(source)).isDirectory()) return tarDirectory(source, epoch);
  const input = source === '-' ? (options.stdin ?? process.stdin) : createReadStream(source);
  const { stream } = await decompress(input);
  return normalizeTar(stream, epoch);
}

async function sourceStat(source: string): Promise<Stats> {
  try {
    return await stat(source);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (err as Error).message;
    throw new HullError(`cannot import ${source}: ${reason}`);
  }
}

/** Compresses the tar into the store: the layer's digests and the store's check come from one pass. */
async function storeLayer(store: Store, tar: Readable, options: ImportOptions): Promise<LayerBlob> {
  const blob = new PassThrough();
  const [layer] = await Promise.all([
    compressLayer(tar, blob, {
      ...(options.compression !== undefined && { compression: options.compression }),
      ...(options.level !== undefined && { level: options.level }),
    }),
    store.putBlob(blob),
  ]);
  return layer;
}
