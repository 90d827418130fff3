/**
 * A stage's filesystem is a stack of layers; each one exists as a blob in the store and, once a
 * step needs it, as an extracted snapshot (overlay whiteouts) to use as an overlay lower dir.
 * A step's overlay upper dir becomes the next layer: packed into a blob, then moved into the
 * snapshots as it is, since it already is that layer's snapshot — no second extraction.
 *
 * gzip layers are written as independent gzip members with an index kept beside the blob, so the
 * next build of the same step copies the members whose bytes did not change from the previous
 * layer's blob instead of compressing the whole diff again (layer/member-gzip.ts). The blob is
 * the same either way: reuse saves time, never changes a digest.
 */
import { chmod, readdir, rename } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import type { Digest } from '../image/digest.js';
import type { Descriptor } from '../image/manifest.js';
import { layerMediaType } from '../image/mediatypes.js';
import type { Compression } from '../image/mediatypes.js';
import { extractLayer } from '../layer/extract.js';
import type { MemberReuse, MemberWrite } from '../layer/member-gzip.js';
import { MemberIndexError, parseMemberIndex, serializeMemberIndex } from '../layer/member-index.js';
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
  /** The compressor's level (see CompressOptions). */
  level?: number;
  /** SOURCE_DATE_EPOCH: file mtimes in the layer are clamped to it. */
  sourceDateEpoch?: number;
  /**
   * The layer this same step made in the previous build of this Dockerfile, if any: the gzip
   * members the new layer shares with it are copied from its blob instead of compressed again
   * (only when its blob and member index are in the store; otherwise this is ignored).
   */
  previous?: LayerRef;
  /** Told, for gzip layers, how many members were copied from `previous` and how many compressed. */
  onMembers?: (counts: Pick<MemberWrite, 'reused' | 'compressed'>) => void;
}

/** The snapshot directory of a layer, extracted from its blob the first time it is needed. */
export async function layerSnapshot(store: Store, layer: LayerRef): Promise<string> {
  return store.ensureSnapshot(layer.diffID, async (dir) => {
    // A layer known from an imported build cache is fetched only now that a step needs it.
    await ensureBlob(store, layer.blob);
    await extractLayer(await store.getBlob(layer.blob.digest), dir, { whiteouts: 'overlay', diffID: layer.diffID });
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
  const compression = options.compression ?? 'gzip';
  const members = compression === 'gzip';
  const reuse = members && options.previous ? await reusableMembers(store, options.previous) : undefined;
  const out = new PassThrough();
  // A store failing before it has read everything (a full disk) must stop the writer too.
  const storing = store.putBlob(out).catch((err: unknown) => {
    out.destroy(err instanceof Error ? err : undefined);
    throw err;
  });
  const [written, stored] = await Promise.allSettled([
    writeLayer(upperDir, out, {
      whiteouts: 'overlay',
      compression,
      members,
      ...(options.level !== undefined ? { level: options.level } : {}),
      ...(reuse ? { reuse } : {}),
      ...(options.sourceDateEpoch !== undefined ? { sourceDateEpoch: options.sourceDateEpoch } : {}),
    }),
    storing,
  ]);
  // Either side failing fails the other: the store's error is the cause (a full disk is ENOSPC
  // there, and only an AbortError on the writer's side), or the writer's own error passed along.
  if (stored.status === 'rejected') throw stored.reason;
  if (written.status === 'rejected') throw written.reason;
  const layer = written.value;
  if (layer.members) {
    await store.putLayerIndex(layer.digest, serializeMemberIndex(layer.members.index));
    options.onMembers?.({ reused: layer.members.reused, compressed: layer.members.compressed });
  }
  await store.ensureSnapshot(layer.diffID, async (dir) => {
    // Renaming a directory over an empty one replaces it (same filesystem: the store's tmp/).
    await rename(upperDir, dir);
    await chmod(dir, 0o755);
  });
  return { diffID: layer.diffID, blob: { mediaType: layerMediaType(layer.compression), digest: layer.digest, size: layer.size } };
}

/** The previous layer's blob and member index, when the store has both (the blob leased meanwhile). */
async function reusableMembers(store: Store, previous: LayerRef): Promise<MemberReuse | undefined> {
  const { digest } = previous.blob;
  if (!(await store.hasBlob(digest))) return undefined;
  const json = await store.layerIndex(digest);
  if (json === undefined) return undefined;
  try {
    return { index: parseMemberIndex(json), blobPath: store.blobPath(digest) };
  } catch (err) {
    // Damaged, or written by another hull: this layer is written without reuse.
    if (err instanceof MemberIndexError) return undefined;
    throw err;
  }
}
