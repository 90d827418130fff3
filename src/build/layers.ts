/**
 * A stage's filesystem is a stack of layers; each one exists as a blob in the store and, once a
 * step needs it, as an extracted snapshot (overlay whiteouts) to use as an overlay lower dir.
 * A step's overlay upper dir becomes the next layer: packed into a blob, then moved into the
 * snapshots as it is, since it already is that layer's snapshot — no second extraction.
 */
import { chmod, readdir, rename } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import type { Digest } from '../image/digest.js';
import type { Descriptor } from '../image/manifest.js';
import { layerMediaType } from '../image/mediatypes.js';
import type { Compression } from '../image/mediatypes.js';
import { extractLayer } from '../layer/extract.js';
import { writeLayer } from '../layer/writer.js';
import { ensureBlob } from '../registry/ensure-blob.js';
import type { Store } from '../store/store.js';

export interface LayerRef {
  /** sha256 of the uncompressed tar (the config's rootfs.diff_ids entry). */
  diffID: Digest;
  /** The blob as the manifest lists it. */
  blob: Descriptor;
}

export interface CommitOptions {
  compression?: Compression;
  /** SOURCE_DATE_EPOCH: file mtimes in the layer are clamped to it. */
  sourceDateEpoch?: number;
}

/** The snapshot directory of a layer, extracted from its blob the first time it is needed. */
export async function layerSnapshot(store: Store, layer: LayerRef): Promise<string> {
  return store.ensureSnapshot(layer.diffID, async (dir) => {
    // A layer known from an imported build cache is fetched only now that a step needs it.
    await ensureBlob(store, layer.blob);
    await extractLayer(await store.getBlob(layer.blob.digest), dir, { whiteouts: 'overlay' });
  });
}

/** Overlay lower dirs for a stack of layers (bottom first in `layers`, top first in the result). */
export async function lowerDirs(store: Store, layers: readonly LayerRef[]): Promise<string[]> {
  const dirs: string[] = [];
  for (const layer of layers) dirs.push(await layerSnapshot(store, layer));
  return dirs.reverse();
}

/**
 * Turns an overlay upper dir into a layer: the blob goes to the store and the directory itself
 * becomes the layer's snapshot (it must be on the store's filesystem). An empty diff makes no
 * layer (undefined), as BuildKit drops empty layers and marks the history entry `empty_layer`.
 */
export async function commitUpperDir(store: Store, upperDir: string, options: CommitOptions = {}): Promise<LayerRef | undefined> {
  if ((await readdir(upperDir)).length === 0) return undefined;
  const out = new PassThrough();
  const [layer] = await Promise.all([
    writeLayer(upperDir, out, {
      whiteouts: 'overlay',
      ...(options.compression !== undefined ? { compression: options.compression } : {}),
      ...(options.sourceDateEpoch !== undefined ? { sourceDateEpoch: options.sourceDateEpoch } : {}),
    }),
    store.putBlob(out),
  ]);
  await store.ensureSnapshot(layer.diffID, async (dir) => {
    // Renaming a directory over an empty one replaces it (same filesystem: the store's tmp/).
    await rename(upperDir, dir);
    await chmod(dir, 0o755);
  });
  return { diffID: layer.diffID, blob: { mediaType: layerMediaType(layer.compression), digest: layer.digest, size: layer.size } };
}
