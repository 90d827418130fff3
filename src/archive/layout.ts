/**
 * What both archive formats share: the OCI image layout files (`oci-layout`, `index.json`,
 * `blobs/<alg>/<hex>`) and the annotations that name an image in `index.json`.
 */
import { canonicalJson } from '../image/canonical.js';
import { digestAlgorithm, digestHex, parseDigest, type Digest } from '../image/digest.js';
import type { Descriptor, ImageIndex } from '../image/manifest.js';
import { MediaType } from '../image/mediatypes.js';
import { formatReference, type ImageReference } from '../image/reference.js';
import { REF_NAME_ANNOTATION } from '../store/layout.js';
import type { ArchiveMember } from './tar-out.js';

export { REF_NAME_ANNOTATION };

/** containerd's (and moby's) annotation for the full image name: `docker.io/library/alpine:latest`. */
export const IMAGE_NAME_ANNOTATION = 'io.containerd.image.name';

export const OCI_LAYOUT_FILE = 'oci-layout';
export const INDEX_FILE = 'index.json';
export const DOCKER_MANIFEST_FILE = 'manifest.json';
export const REPOSITORIES_FILE = 'repositories';

export function blobMemberName(digest: Digest): string {
  return `blobs/${digestAlgorithm(digest)}/${digestHex(digest)}`;
}

/** The digest a `blobs/<alg>/<hex>` member name stands for; undefined for other names. */
export function digestOfMemberName(name: string): Digest | undefined {
  const m = /^blobs\/([^/]+)\/([^/]+)$/.exec(name);
  return m ? parseDigest(`${m[1]!}:${m[2]!}`) : undefined;
}

/** A small file written whole (JSON documents). */
export function fileMember(name: string, bytes: Buffer): ArchiveMember {
  return { kind: 'file', name, size: bytes.length, body: bytes };
}

export function ociLayoutMember(): ArchiveMember {
  return fileMember(OCI_LAYOUT_FILE, Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
}

/** The `blobs/` directory entries for the algorithms the blobs use, sorted. */
export function blobDirectories(digests: Iterable<Digest>): ArchiveMember[] {
  const algorithms = [...new Set([...digests].map(digestAlgorithm))].sort();
  return [{ kind: 'directory', name: 'blobs/' }, ...algorithms.map((a): ArchiveMember => ({ kind: 'directory', name: `blobs/${a}/` }))];
}

/**
 * One `index.json` entry per tag (untagged images get one entry without names), carrying the
 * full name in containerd's annotation and `refName(tag)` as the OCI ref.name.
 */
export function indexEntries(descriptor: Descriptor, tags: readonly ImageReference[], refName: (tag: ImageReference) => string): Descriptor[] {
  if (tags.length === 0) return [descriptor];
  return tags.map((tag) => ({
    ...descriptor,
    annotations: { ...descriptor.annotations, [IMAGE_NAME_ANNOTATION]: formatReference(tag), [REF_NAME_ANNOTATION]: refName(tag) },
  }));
}

export function indexMember(entries: readonly Descriptor[]): ArchiveMember {
  const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [...entries] };
  return fileMember(INDEX_FILE, canonicalJson(index));
}
