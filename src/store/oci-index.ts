/**
 * The layout's index.json as a tag table: each tag is an entry whose ref.name annotation holds
 * the full reference. Entries without that annotation (written by other tools) are kept as
 * they are. Reading needs no lock (index.json only ever changes by rename); changing it is done
 * by the store under its `index` lock.
 */
import { readFile } from 'node:fs/promises';
import { canonicalJson } from '../image/canonical.js';
import { ManifestError } from '../image/errors.js';
import { parseIndex, type Descriptor, type ImageIndex } from '../image/manifest.js';
import { MediaType } from '../image/mediatypes.js';
import { writeFileAtomic } from './atomic.js';
import { StoreError } from './errors.js';
import { REF_NAME_ANNOTATION, type StorePaths } from './layout.js';

export interface TagEntry {
  /** The full reference: `docker.io/library/alpine:latest`. */
  reference: string;
  /** What the tag points at (its ref.name annotation left out). */
  descriptor: Descriptor;
}

export async function readIndexJson(paths: StorePaths): Promise<ImageIndex> {
  let bytes: Buffer;
  try {
    bytes = await readFile(paths.indexJson);
  } catch (err) {
    throw new StoreError(`cannot read ${paths.indexJson}: ${(err as Error).message}`);
  }
  try {
    return parseIndex(bytes, MediaType.ociIndex);
  } catch (err) {
    if (err instanceof ManifestError) throw new StoreError(`${paths.indexJson} is damaged: ${err.message}`);
    throw err;
  }
}

export async function writeIndexJson(paths: StorePaths, index: ImageIndex): Promise<void> {
  await writeFileAtomic(paths.indexJson, canonicalJson(index), paths.tmp);
}

export function refName(entry: Descriptor): string | undefined {
  return entry.annotations?.[REF_NAME_ANNOTATION];
}

/** The tags, sorted by reference. */
export function tagsOf(index: ImageIndex): TagEntry[] {
  const out: TagEntry[] = [];
  for (const entry of index.manifests) {
    const reference = refName(entry);
    if (reference !== undefined) out.push({ reference, descriptor: withoutRefName(entry) });
  }
  return out.sort((a, b) => (a.reference < b.reference ? -1 : a.reference > b.reference ? 1 : 0));
}

/** `index` with `reference` pointing at `descriptor` (replacing what it pointed at before). */
export function setTag(index: ImageIndex, reference: string, descriptor: Descriptor): ImageIndex {
  const { index: rest } = removeTag(index, reference);
  const entry: Descriptor = { ...withoutRefName(descriptor), annotations: { ...descriptor.annotations, [REF_NAME_ANNOTATION]: reference } };
  return sorted({ ...rest, manifests: [...rest.manifests, entry] });
}

export function removeTag(index: ImageIndex, reference: string): { index: ImageIndex; removed?: Descriptor } {
  let removed: Descriptor | undefined;
  const manifests = index.manifests.filter((entry) => {
    if (refName(entry) !== reference) return true;
    removed = withoutRefName(entry);
    return false;
  });
  return { index: { ...index, manifests }, ...(removed ? { removed } : {}) };
}

/** Untagged entries first, as found; then tags by reference, so equal stores write equal files. */
function sorted(index: ImageIndex): ImageIndex {
  const untagged = index.manifests.filter((e) => refName(e) === undefined);
  const tagged = index.manifests.filter((e) => refName(e) !== undefined).sort((a, b) => (refName(a)! < refName(b)! ? -1 : 1));
  return { ...index, schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [...untagged, ...tagged] };
}

function withoutRefName(d: Descriptor): Descriptor {
  if (!d.annotations || !(REF_NAME_ANNOTATION in d.annotations)) return d;
  const { [REF_NAME_ANNOTATION]: _ref, ...annotations } = d.annotations;
  const { annotations: _all, ...rest } = d;
  return Object.keys(annotations).length > 0 ? { ...rest, annotations } : rest;
}
