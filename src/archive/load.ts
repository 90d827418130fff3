/**
 * `hull load`: an archive into the store. Which reading applies is docker load's rule: with a
 * `manifest.json` the archive is a docker-archive (old style or moby ≥ 25), else with an
 * `index.json` it is an OCI layout. Every image is checked complete before the first tag is
 * written, so a damaged archive leaves no tag behind (its verified blobs stay unreferenced
 * until a prune).
 *
 * Layers are stored as the archive holds them: a docker-archive's uncompressed layers stay
 * uncompressed (their digest is their diff ID; compressing them would cost minutes on a Pi for
 * a few hundred MB, and a push can compress when it needs to).
 */
import type { Readable } from 'node:stream';
import { familiarString, formatReference } from '../image/reference.js';
import type { Store } from '../store/store.js';
import { dockerImages } from './docker-load.js';
import { ArchiveError } from './errors.js';
import { DOCKER_MANIFEST_FILE, INDEX_FILE, REPOSITORIES_FILE } from './layout.js';
import type { LoadedImage } from './loaded.js';
import { layoutManifests, ociImages } from './oci-load.js';
import { spoolArchive } from './spool.js';

export interface LoadOptions {
  warn?: (message: string) => void;
  /** Called with each line docker load would print (`Loaded image: alpine:latest`). */
  report?: (line: string) => void;
}

export async function loadArchive(store: Store, source: Readable, options: LoadOptions = {}): Promise<LoadedImage[]> {
  const warn = options.warn ?? (() => undefined);
  const report = options.report ?? (() => undefined);
  const archive = await spoolArchive(store, source);
  if (archive.entries === 0) throw new ArchiveError('the archive is empty');
  let images: LoadedImage[];
  if (archive.metadata.has(DOCKER_MANIFEST_FILE)) {
    images = await dockerImages(store, archive, await layoutManifests(store, archive));
  } else if (archive.metadata.has(INDEX_FILE)) {
    images = await ociImages(store, archive, warn);
  } else {
    const old = archive.metadata.has(REPOSITORIES_FILE) ? ': it looks like a save from Docker before 1.10, which hull does not read' : '';
    throw new ArchiveError(`not an image archive: it has neither ${DOCKER_MANIFEST_FILE} (docker-archive) nor ${INDEX_FILE} (OCI layout)${old}`);
  }
  await tagImages(store, images, report);
  return images;
}

async function tagImages(store: Store, images: readonly LoadedImage[], report: (line: string) => void): Promise<void> {
  const before = new Map((await store.listTags()).map((t) => [t.reference, t.descriptor.digest]));
  for (const image of images) {
    if (image.names.length === 0) {
      report(`Loaded image ID: ${image.id}`);
      continue;
    }
    for (const name of image.names) {
      const previous = before.get(formatReference(name));
      if (previous !== undefined && previous !== image.descriptor.digest) {
        report(`The image ${familiarString(name)} already exists: the tag moves from ${previous} to the loaded image`);
      }
      await store.tag(name, image.descriptor);
      report(`Loaded image: ${familiarString(name)}`);
    }
  }
}
