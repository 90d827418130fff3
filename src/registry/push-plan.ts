/**
 * What a push sends, read from the local store: every blob (configs and layers, once each
 * even when platforms share them) and every manifest, children before the index that lists
 * them, each with its exact stored bytes so its digest survives the trip.
 */
import { RegistryError } from '../errors.js';
import type { Digest } from '../image/digest.js';
import { parseManifestOrIndex, type Descriptor } from '../image/manifest.js';
import { isForeignLayer } from '../image/mediatypes.js';
import type { Store } from '../store/store.js';

export interface PlannedManifest {
  descriptor: Descriptor;
  /** The document's own media type: the Content-Type of its PUT. */
  mediaType: string;
  bytes: Buffer;
}

export interface PushPlan {
  /** What the tags will point at. */
  root: PlannedManifest;
  /** Manifests pushed by digest before the root (the children of an index), deepest first. */
  children: PlannedManifest[];
  blobs: Descriptor[];
  /** Index entries not in the local store: the registry must already have them (checked before the index is PUT). */
  absent: Descriptor[];
}

export async function planPush(store: Store, source: string): Promise<PushPlan> {
  const descriptor = await store.resolve(source);
  if (!descriptor) throw new RegistryError(`no such image: ${source} (see 'hull images')`);
  const blobs = new Map<Digest, Descriptor>();
  const children: PlannedManifest[] = [];
  const absent: Descriptor[] = [];
  const seen = new Set<Digest>();

  const visit = async (d: Descriptor, depth: number): Promise<PlannedManifest> => {
    const bytes = await store.readBlob(d.digest);
    const parsed = parseManifestOrIndex(bytes, d.mediaType);
    const planned = { descriptor: { ...d, mediaType: parsed.mediaType, size: bytes.length }, mediaType: parsed.mediaType, bytes };
    if (parsed.kind === 'manifest') {
      for (const b of [parsed.manifest.config, ...parsed.manifest.layers]) {
        // Foreign layers (Windows base layers) live elsewhere by design; docker does not push them either.
        if ((isForeignLayer(b.mediaType) || b.urls) && !(await store.statBlob(b.digest))) continue;
        if (!blobs.has(b.digest)) blobs.set(b.digest, b);
      }
      return planned;
    }
    if (depth > 4) throw new RegistryError(`cannot push ${source}: indexes nest deeper than hull follows`);
    for (const child of parsed.index.manifests) {
      if (seen.has(child.digest)) continue;
      seen.add(child.digest);
      if (!(await store.statBlob(child.digest))) {
        absent.push(child);
        continue;
      }
      children.push(await visit(child, depth + 1));
    }
    return planned;
  };

  const root = await visit(descriptor, 0);
  return { root, children, blobs: [...blobs.values()], absent };
}
