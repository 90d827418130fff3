/**
 * Reading an archive as docker load does: `manifest.json` lists each image's config file,
 * tags and layer files (any path: `<id>/layer.tar` in old saves, `blobs/sha256/<diffID>` since
 * moby 25). Each layer file must be the tar its config's diff ID names, directly or once
 * decompressed. The image is recorded with an OCI manifest: the archive's own when its layout
 * holds one for exactly these blobs (keeping its digest), else one written here.
 */
import { parseImageConfig, type ImageConfig } from '../image/config.js';
import type { Digest } from '../image/digest.js';
import { ImageError } from '../image/errors.js';
import { createManifest, type Descriptor } from '../image/manifest.js';
import { layerMediaType, MediaType } from '../image/mediatypes.js';
import { parseReference, type ImageReference } from '../image/reference.js';
import type { Store } from '../store/store.js';
import { ArchiveError } from './errors.js';
import { DOCKER_MANIFEST_FILE } from './layout.js';
import type { ArchiveManifest, LoadedImage } from './loaded.js';
import type { SpooledArchive, SpooledFile } from './spool.js';
import { measureUncompressed } from './uncompressed.js';

interface DockerItem {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

export async function dockerImages(store: Store, archive: SpooledArchive, layout: readonly ArchiveManifest[]): Promise<LoadedImage[]> {
  const items = readManifestFile(archive);
  const out: LoadedImage[] = [];
  for (const [i, item] of items.entries()) {
    const where = `${DOCKER_MANIFEST_FILE}[${i}]`;
    const configFile = requireMember(archive, item.Config, `${where}.Config`);
    const config = await readConfig(store, configFile);
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== item.Layers.length) {
      throw new ArchiveError(`${where} lists ${item.Layers.length} layer file(s) but its config ${configFile.name} has ${diffIds.length} diff ID(s)`, configFile.name);
    }
    const layers: Descriptor[] = [];
    for (const [j, path] of item.Layers.entries()) {
      const file = requireMember(archive, path, `${where}.Layers[${j}]`);
      layers.push(await checkLayer(store, file, diffIds[j]!, `layer ${j} of ${where}`));
    }
    const configDescriptor: Descriptor = { mediaType: MediaType.ociConfig, digest: configFile.digest, size: configFile.size };
    const descriptor = reusable(layout, configDescriptor, layers) ?? (await store.putJson(createManifest(configDescriptor, layers), MediaType.ociManifest));
    out.push({ descriptor, names: item.RepoTags.map((t, k) => tagOf(t, `${where}.RepoTags[${k}]`)), id: configFile.digest });
  }
  return out;
}

function readManifestFile(archive: SpooledArchive): DockerItem[] {
  const bytes = archive.metadata.get(DOCKER_MANIFEST_FILE)!;
  const bad = (why: string): never => {
    throw new ArchiveError(`member ${DOCKER_MANIFEST_FILE} is not a docker-archive manifest: ${why}`, DOCKER_MANIFEST_FILE);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    return bad((err as Error).message);
  }
  if (!Array.isArray(doc)) return bad('expected a JSON array');
  return doc.map((raw: unknown, i): DockerItem => {
    const o = (typeof raw === 'object' && raw !== null ? raw : bad(`[${i}] is not an object`)) as Record<string, unknown>;
    const strings = (v: unknown, key: string): string[] => {
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) return bad(`[${i}].${key} is not a list of strings`);
      return v as string[];
    };
    if (typeof o.Config !== 'string') return bad(`[${i}].Config is not a string`);
    return { Config: o.Config, RepoTags: strings(o.RepoTags, 'RepoTags'), Layers: strings(o.Layers, 'Layers') };
  });
}

function requireMember(archive: SpooledArchive, path: string, where: string): SpooledFile {
  const file = archive.find(path);
  if (!file) throw new ArchiveError(`${where} names ${JSON.stringify(path)}, which the archive does not contain`, path);
  return file;
}

async function readConfig(store: Store, file: SpooledFile): Promise<ImageConfig> {
  try {
    return parseImageConfig(await store.readBlob(file.digest));
  } catch (err) {
    if (err instanceof ImageError) throw new ArchiveError(`member ${file.name} is not an image config: ${err.message}`, file.name);
    throw err;
  }
}

/** The layer's descriptor once its content is known to be the diff ID's tar. */
async function checkLayer(store: Store, file: SpooledFile, diffId: Digest, what: string): Promise<Descriptor> {
  if (file.digest === diffId) return { mediaType: layerMediaType('none'), digest: file.digest, size: file.size };
  const measured = await measureUncompressed(store, file.digest);
  if (measured.format === 'tar') {
    throw new ArchiveError(`member ${file.name} (${what}) has sha256 ${file.digest}, but the config says its diff ID is ${diffId}: the layer is damaged`, file.name);
  }
  if (measured.digest !== diffId) {
    throw new ArchiveError(`member ${file.name} (${what}) uncompresses to ${measured.digest}, but the config says its diff ID is ${diffId}: the layer is damaged`, file.name);
  }
  return { mediaType: layerMediaType(measured.format), digest: file.digest, size: file.size };
}

/** The archive's own manifest for this config and these layer blobs, if its layout has one. */
function reusable(layout: readonly ArchiveManifest[], config: Descriptor, layers: readonly Descriptor[]): Descriptor | undefined {
  const found = layout.find(
    ({ manifest: m }) => m.config.digest === config.digest && m.layers.length === layers.length && m.layers.every((l, i) => l.digest === layers[i]!.digest),
  );
  if (!found) return undefined;
  const { mediaType, digest, size } = found.descriptor;
  return { mediaType, digest, size };
}

function tagOf(text: string, where: string): ImageReference {
  try {
    const ref = parseReference(text);
    if (ref.digest === undefined) return ref;
  } catch (err) {
    if (err instanceof ImageError) throw new ArchiveError(`${where}: ${err.message}`, DOCKER_MANIFEST_FILE);
    throw err;
  }
  throw new ArchiveError(`${where}: ${text} is pinned by digest; a RepoTag is name:tag`, DOCKER_MANIFEST_FILE);
}
