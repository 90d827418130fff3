import type { Digest } from '../image/digest.js';
import type { Descriptor, ImageManifest } from '../image/manifest.js';
import type { ImageReference } from '../image/reference.js';

/** An image an archive held, checked complete in the store, with the names to tag it with. */
export interface LoadedImage {
  /** A manifest or an index, as the store should tag it. */
  descriptor: Descriptor;
  names: ImageReference[];
  /** What docker prints for an unnamed image: the config digest (the index digest for an index). */
  id: Digest;
}

/** A manifest found in the archive's OCI layout, kept so the docker view can reuse it. */
export interface ArchiveManifest {
  descriptor: Descriptor;
  manifest: ImageManifest;
}
