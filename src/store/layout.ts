/**
 * The store on disk:
 *
 *   ROOT/
 *     oci/                        a valid OCI image layout (image-spec 1.1 "image-layout")
 *       oci-layout                {"imageLayoutVersion":"1.0.0"}
 *       index.json                one entry per tag; annotations["org.opencontainers.image.ref.name"]
 *                                 holds the full reference (docker.io/library/alpine:latest), so
 *                                 `skopeo inspect oci:ROOT/oci:docker.io/library/alpine:latest` and
 *                                 `umoci unpack --image ROOT/oci:docker.io/library/alpine:latest` work
 *       blobs/sha256/<hex>        manifests, indexes, configs, layers; read-only, verified when written
 *     snapshots/<diffID hex>/     one extracted layer diff per directory (an overlay lowerdir)
 *     meta/
 *       blobs/<alg>-<hex>.json    {"sources": [repository…]}: where a blob was pulled from (cross-repo mounts)
 *       images/<alg>-<hex>.json   {"added": ISO time}: when a manifest was first tagged here
 *       holds/<sha256 of name>.json  {"name", "blobs", "snapshots"}: kept by prune, dropped by prune --all
 *     locks/<name>.lock           held locks (owner inside); locks/leases/<owner>.<n>: what live processes use
 *     tmp/<owner>.<random>.<what> in-flight writes; removed once their owner process is dead
 *
 * Everything below ROOT is on one filesystem, so a rename from tmp/ into place is atomic.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestAlgorithm, digestHex, type Digest } from '../image/digest.js';
import { MediaType } from '../image/mediatypes.js';
import { createFileExclusive } from './atomic.js';
import { StoreError } from './errors.js';

export const LAYOUT_VERSION = '1.0.0';
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

export class StorePaths {
  readonly root: string;
  readonly layout: string;
  readonly indexJson: string;
  readonly blobs: string;
  readonly snapshots: string;
  readonly meta: string;
  readonly locks: string;
  readonly leases: string;
  readonly tmp: string;

  constructor(root: string) {
    this.root = root;
    this.layout = join(root, 'oci');
    this.indexJson = join(this.layout, 'index.json');
    this.blobs = join(this.layout, 'blobs');
    this.snapshots = join(root, 'snapshots');
    this.meta = join(root, 'meta');
    this.locks = join(root, 'locks');
    this.leases = join(this.locks, 'leases');
    this.tmp = join(root, 'tmp');
  }

  blob(digest: Digest): string {
    return join(this.blobs, digestAlgorithm(digest), digestHex(digest));
  }

  /** sha256 diff IDs (all of them in practice) name their directory by hex alone. */
  snapshot(diffId: Digest): string {
    const alg = digestAlgorithm(diffId);
    return join(this.snapshots, alg === 'sha256' ? digestHex(diffId) : `${alg}-${digestHex(diffId)}`);
  }

  metaFile(kind: 'blobs' | 'images' | 'holds', key: string): string {
    return join(this.meta, kind, `${key}.json`);
  }
}

/** Creates whatever part of the layout is missing; safe when several processes do it at once. */
export async function ensureLayout(paths: StorePaths): Promise<void> {
  for (const dir of [join(paths.blobs, 'sha256'), paths.snapshots, join(paths.meta, 'blobs'), join(paths.meta, 'images'), join(paths.meta, 'holds'), paths.leases, paths.tmp]) {
    await mkdir(dir, { recursive: true });
  }
  const layoutFile = join(paths.layout, 'oci-layout');
  await createFileExclusive(layoutFile, `${JSON.stringify({ imageLayoutVersion: LAYOUT_VERSION })}\n`, paths.tmp);
  let version: unknown;
  try {
    version = (JSON.parse(await readFile(layoutFile, 'utf8')) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
  } catch (err) {
    throw new StoreError(`${layoutFile} is not valid JSON (${(err as Error).message}); is ${paths.layout} an OCI image layout?`);
  }
  if (version !== LAYOUT_VERSION) throw new StoreError(`${layoutFile} declares layout version ${JSON.stringify(version)}; hull reads ${LAYOUT_VERSION}`);
  const emptyIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
  await createFileExclusive(paths.indexJson, `${JSON.stringify(emptyIndex)}\n`, paths.tmp);
}
