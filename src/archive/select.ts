/**
 * Which images `save` writes, named as docker names them: `alpine:3` is that tag, `alpine` alone
 * is every tag of the repository (docker save's rule), and a digest or image ID is the image
 * without a tag. Images named several times are written once, with all their tags.
 */
import type { Descriptor, ImageIndex } from '../image/manifest.js';
import { isManifestMediaType } from '../image/mediatypes.js';
import { formatPlatform, platformFromOci, type Platform } from '../image/platform.js';
import { selectPlatform } from '../image/match.js';
import { PlatformMismatchError } from '../image/errors.js';
import { formatReference, parseReference, repositoryName, type ImageReference } from '../image/reference.js';
import type { Store } from '../store/store.js';
import { ArchiveError } from './errors.js';

export interface SaveItem {
  /** What the names resolved to: a manifest or an index. */
  descriptor: Descriptor;
  /** Full references with a tag; empty when the image was named by digest or ID. */
  tags: ImageReference[];
  /** The first name the user gave for it, for messages. */
  label: string;
}

export async function resolveSaveItems(store: Store, names: readonly string[]): Promise<SaveItem[]> {
  const items = new Map<string, SaveItem>();
  const add = (descriptor: Descriptor, label: string, tag: ImageReference | undefined): void => {
    let item = items.get(descriptor.digest);
    if (!item) {
      item = { descriptor, tags: [], label };
      items.set(descriptor.digest, item);
    }
    if (tag && !item.tags.some((t) => formatReference(t) === formatReference(tag))) item.tags.push(tag);
  };
  for (const name of names) {
    const ref = tryParse(name);
    if (ref && ref.tag === undefined && ref.digest === undefined) {
      const repo = repositoryName(ref);
      const tagged = (await store.listTags()).filter((t) => repositoryName(parseReference(t.reference)) === repo);
      for (const t of tagged) add(t.descriptor, name, parseReference(t.reference));
      if (tagged.length > 0) continue;
    }
    const descriptor = await store.resolve(name);
    if (!descriptor) throw new ArchiveError(`no such image: ${name} (see 'hull images')`);
    add(descriptor, name, ref && ref.tag !== undefined && ref.digest === undefined ? ref : undefined);
  }
  return [...items.values()];
}

function tryParse(name: string): ImageReference | undefined {
  try {
    return parseReference(name, { defaultTag: false });
  } catch {
    return undefined;
  }
}

/**
 * The manifest of `index` for `wanted`, among the entries the store holds (an index pulled for
 * one platform lists others that were never fetched); the error lists both kinds.
 */
export async function pickPlatform(store: Store, index: ImageIndex, wanted: Platform, label: string, hint: string): Promise<Descriptor> {
  const present: Descriptor[] = [];
  const absent: string[] = [];
  for (const entry of index.manifests) {
    if (!isManifestMediaType(entry.mediaType)) continue;
    if (await store.hasBlob(entry.digest)) present.push(entry);
    else if (entry.platform) absent.push(formatPlatform(platformFromOci(entry.platform)));
  }
  try {
    return selectPlatform(present, wanted);
  } catch (err) {
    if (!(err instanceof PlatformMismatchError)) throw err;
    const have = err.available.length > 0 ? `the store has ${err.available.join(', ')}` : 'the store has none of its platforms';
    const missing = absent.length > 0 ? ` (listed but not pulled: ${absent.join(', ')})` : '';
    throw new ArchiveError(`${label} is a multi-platform image with no ${err.wanted} image in the store: ${have}${missing}; ${hint}`);
  }
}
