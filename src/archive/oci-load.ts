/**
 * Reading an archive as an OCI image layout: `index.json` names the images; every blob they
 * reach must be in the archive (and so now in the store, verified), except entries of an
 * index that were never pulled and foreign layers, which OCI allows to be absent.
 */
import { checkImage, parseImageConfig } from '../image/config.js';
import type { Digest } from '../image/digest.js';
import { ImageError } from '../image/errors.js';
import { parseIndex, parseManifestOrIndex, type Descriptor, type ParsedManifest } from '../image/manifest.js';
import { isForeignLayer, isIndexMediaType, isManifestMediaType, layerCompression, MediaType } from '../image/mediatypes.js';
import { formatPlatform, platformFromOci } from '../image/platform.js';
import { parseReference, type ImageReference } from '../image/reference.js';
import type { Store } from '../store/store.js';
import { ArchiveError } from './errors.js';
import { blobMemberName, IMAGE_NAME_ANNOTATION, INDEX_FILE, REF_NAME_ANNOTATION } from './layout.js';
import type { ArchiveManifest, LoadedImage } from './loaded.js';
import type { SpooledArchive } from './spool.js';

export async function ociImages(store: Store, archive: SpooledArchive, warn: (message: string) => void): Promise<LoadedImage[]> {
  const index = readIndexFile(archive);
  const out: LoadedImage[] = [];
  for (const [i, entry] of index.manifests.entries()) {
    const where = `${INDEX_FILE} manifests[${i}]`;
    const descriptor = withoutNames(entry);
    const id = await checkTree(store, archive, descriptor, where, warn);
    out.push({ descriptor, names: namesOf(entry, where, warn), id });
  }
  return out;
}

/**
 * The manifests the archive's layout reaches, read leniently (no error for what is missing or
 * malformed): the docker view reuses one when it describes the same image.
 */
export async function layoutManifests(store: Store, archive: SpooledArchive): Promise<ArchiveManifest[]> {
  let entries: Descriptor[];
  try {
    entries = readIndexFile(archive).manifests;
  } catch {
    return [];
  }
  const out: ArchiveManifest[] = [];
  const visit = async (d: Descriptor, depth: number): Promise<void> => {
    const file = archive.blob(d.digest);
    if (!file || depth > 2) return;
    let parsed: ParsedManifest;
    try {
      parsed = parseManifestOrIndex(await store.readBlob(file.digest), d.mediaType);
    } catch {
      return;
    }
    if (parsed.kind === 'manifest') out.push({ descriptor: withoutNames(d), manifest: parsed.manifest });
    else for (const child of parsed.index.manifests) await visit(child, depth + 1);
  };
  for (const e of entries) await visit(e, 0);
  return out;
}

function readIndexFile(archive: SpooledArchive): { manifests: Descriptor[] } {
  const bytes = archive.metadata.get(INDEX_FILE);
  if (!bytes) throw new ArchiveError(`the archive has no ${INDEX_FILE}`);
  try {
    return parseIndex(bytes, MediaType.ociIndex);
  } catch (err) {
    if (err instanceof ImageError) throw new ArchiveError(`member ${INDEX_FILE} is not a valid OCI index: ${err.message}`, INDEX_FILE);
    throw err;
  }
}

/**
 * containerd's image-name annotation first; else ref.name when it is a whole reference (the
 * store's convention). A bare ref.name (`latest`, as buildx and moby write it next to the
 * image name) has no repository to tag: the image loads without a name.
 */
function namesOf(entry: Descriptor, where: string, warn: (message: string) => void): ImageReference[] {
  const a = entry.annotations ?? {};
  const text = a[IMAGE_NAME_ANNOTATION] ?? (/[/:]/.test(a[REF_NAME_ANNOTATION] ?? '') ? a[REF_NAME_ANNOTATION] : undefined);
  if (text === undefined) return [];
  try {
    const ref = parseReference(text);
    if (ref.tag !== undefined && ref.digest === undefined) return [ref];
    warn(`${where}: ${text} is pinned by digest, which cannot be a tag; the image loads without a name`);
  } catch (err) {
    if (!(err instanceof ImageError)) throw err;
    warn(`${where}: ${err.message}; the image loads without a name`);
  }
  return [];
}

function withoutNames(d: Descriptor): Descriptor {
  const { annotations, ...rest } = d;
  if (!annotations) return rest;
  const { [IMAGE_NAME_ANNOTATION]: _name, [REF_NAME_ANNOTATION]: _ref, ...others } = annotations;
  return Object.keys(others).length > 0 ? { ...rest, annotations: others } : rest;
}

/** Checks that `d` and what it reaches are in the archive; returns the image ID to print. */
async function checkTree(store: Store, archive: SpooledArchive, d: Descriptor, where: string, warn: (message: string) => void): Promise<Digest> {
  const file = requireBlob(archive, d, where);
  if (!isManifestMediaType(d.mediaType) && !isIndexMediaType(d.mediaType)) {
    throw new ArchiveError(`${where} is ${d.mediaType}, not an image manifest or index`);
  }
  let parsed: ParsedManifest;
  try {
    parsed = parseManifestOrIndex(await store.readBlob(file.digest), d.mediaType);
  } catch (err) {
    if (err instanceof ImageError) throw new ArchiveError(`member ${file.name} (${where}): ${err.message}`, file.name);
    throw err;
  }
  if (parsed.kind === 'index') {
    let present = 0;
    for (const [i, child] of parsed.index.manifests.entries()) {
      if (archive.blob(child.digest)) {
        await checkTree(store, archive, child, `${where} → manifests[${i}]`, warn);
        present++;
      } else {
        const what = child.platform ? formatPlatform(platformFromOci(child.platform)) : child.digest;
        warn(`${where}: the index lists ${what} (${child.digest}), which the archive leaves out`);
      }
    }
    if (present === 0) throw new ArchiveError(`${where}: the archive holds none of the index's manifests (${blobMemberName(d.digest)})`);
    return d.digest;
  }
  const { config, layers } = parsed.manifest;
  const configFile = requireBlob(archive, config, `${where} config`);
  let diffIds: Digest[];
  try {
    const configJson = parseImageConfig(await store.readBlob(configFile.digest));
    checkImage(parsed.manifest, configJson);
    diffIds = configJson.rootfs.diff_ids;
  } catch (err) {
    if (err instanceof ImageError) throw new ArchiveError(`member ${configFile.name} (${where} config): ${err.message}`, configFile.name);
    throw err;
  }
  for (const [i, layer] of layers.entries()) {
    if (isForeignLayer(layer.mediaType) && !archive.blob(layer.digest)) continue;
    const layerFile = requireBlob(archive, layer, `${where} layers[${i}]`);
    // An uncompressed layer is its own diff ID: a free check. Compressed ones are checked when extracted.
    if (layerCompression(layer.mediaType) === 'none' && layerFile.digest !== diffIds[i]) {
      throw new ArchiveError(`member ${layerFile.name} (${where} layers[${i}]) is an uncompressed layer whose digest differs from the config's diff ID ${diffIds[i]!}`, layerFile.name);
    }
  }
  return config.digest;
}

function requireBlob(archive: SpooledArchive, d: Descriptor, where: string): { name: string; digest: Digest; size: number } {
  const name = blobMemberName(d.digest);
  const file = archive.find(name);
  if (!file) throw new ArchiveError(`${where} points at ${d.digest}, but the archive has no member ${name}`, name);
  if (file.size !== d.size) throw new ArchiveError(`member ${name} has ${file.size} bytes, but ${where} says ${d.size}`, name);
  return file;
}
