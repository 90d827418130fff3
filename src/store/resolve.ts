/**
 * What a user may type to name a local image, as Docker accepts it: a reference
 * (`alpine`, `localhost:5000/x:1`), a reference pinned by digest, a digest, or an image ID or
 * a unique prefix of one (`3f5ab`, `sha256:3f5ab…`). An image ID is the config digest, as in
 * Docker; the digest of a manifest or index works too.
 */
import { isDigest, type Digest } from '../image/digest.js';
import type { Descriptor } from '../image/manifest.js';
import { formatReference, parseReference, type ImageReference } from '../image/reference.js';
import { StoreError } from './errors.js';
import type { TagEntry } from './oci-index.js';
import type { ImageRecord } from './walk.js';

export interface ResolveSource {
  tags(): Promise<TagEntry[]>;
  /** Every image reachable from index.json, with the entries themselves. */
  images(): Promise<{ entries: Descriptor[]; images: ImageRecord[] }>;
  /** The descriptor of a blob the store holds that parses as a manifest or index. */
  describe(digest: Digest): Promise<Descriptor | undefined>;
}

const ID_PREFIX = /^(?:sha256:)?([0-9a-f]{1,64})$/;

export async function resolveName(source: ResolveSource, text: string): Promise<Descriptor | undefined> {
  if (isDigest(text)) return byDigest(source, text);
  const id = ID_PREFIX.exec(text);
  if (id && (id[1]!.length === 64 || text.startsWith('sha256:'))) {
    return id[1]!.length === 64 ? byDigest(source, `sha256:${id[1]!}` as Digest) : byPrefix(source, id[1]!);
  }
  let ref: ImageReference;
  try {
    ref = parseReference(text);
  } catch (err) {
    if (id) return byPrefix(source, id[1]!);
    throw err;
  }
  if (ref.digest) return byDigest(source, ref.digest);
  const full = formatReference(ref);
  const tagged = (await source.tags()).find((t) => t.reference === full);
  if (tagged) return tagged.descriptor;
  return id ? byPrefix(source, id[1]!) : undefined;
}

async function byDigest(source: ResolveSource, digest: Digest): Promise<Descriptor | undefined> {
  const tagged = (await source.tags()).find((t) => t.descriptor.digest === digest);
  if (tagged) return tagged.descriptor;
  const { entries, images } = await source.images();
  const entry = entries.find((e) => e.digest === digest);
  if (entry) return entry;
  const image = images.find((i) => i.manifest.digest === digest || i.config.digest === digest);
  if (image) return image.manifest;
  return source.describe(digest);
}

async function byPrefix(source: ResolveSource, hex: string): Promise<Descriptor | undefined> {
  const prefix = `sha256:${hex}`;
  const { entries, images } = await source.images();
  const found = new Map<string, Descriptor>();
  for (const e of entries) if (e.digest.startsWith(prefix)) found.set(e.digest, e);
  for (const i of images) {
    if (i.config.digest.startsWith(prefix) || i.manifest.digest.startsWith(prefix)) found.set(i.manifest.digest, i.manifest);
  }
  if (found.size > 1) {
    throw new StoreError(`image ID prefix "${hex}" is ambiguous: it matches ${[...found.keys()].join(', ')}; give more digits`);
  }
  return found.values().next().value;
}
