/**
 * The build cache as an OCI artifact (docs/CACHE.md): an image manifest whose `artifactType` says
 * it is a hull cache, with the empty config, the records as its first layer, and then every layer
 * blob the records name — so a registry keeps them, and a push can mount them across repositories.
 */
import { createHash } from 'node:crypto';
import type { Digest } from '../image/digest.js';
import type { Descriptor, ImageManifest } from '../image/manifest.js';
import { MediaType } from '../image/mediatypes.js';
import { HullError } from '../errors.js';
import { parseRecord, type CacheRecord } from './records.js';

export const CACHE_ARTIFACT_TYPE = 'application/vnd.hull.cache.v1+json';
export const CACHE_RECORDS_MEDIA_TYPE = 'application/vnd.hull.cache.records.v1+json';
/** The OCI empty descriptor's content: `{}`. */
export const EMPTY_CONFIG = Buffer.from('{}');

export interface CacheDocument {
  version: 1;
  records: CacheRecord[];
}

export function emptyConfigDescriptor(): Descriptor {
  return { mediaType: MediaType.ociEmpty, digest: `sha256:${createHash('sha256').update(EMPTY_CONFIG).digest('hex')}` as Digest, size: EMPTY_CONFIG.length };
}

export function cacheManifest(records: Descriptor, layers: readonly Descriptor[]): ImageManifest {
  return { schemaVersion: 2, mediaType: MediaType.ociManifest, artifactType: CACHE_ARTIFACT_TYPE, config: emptyConfigDescriptor(), layers: [records, ...layers] };
}

/** The records descriptor of a cache manifest; a manifest of anything else is an error naming `source`. */
export function recordsDescriptor(manifest: ImageManifest, source: string): Descriptor {
  const first = manifest.layers[0];
  if (manifest.artifactType !== CACHE_ARTIFACT_TYPE || first?.mediaType !== CACHE_RECORDS_MEDIA_TYPE) {
    throw new HullError(`${source} is not a hull build cache (artifactType ${manifest.artifactType ?? 'none'}): export one with --cache-to`);
  }
  return first;
}

export function parseCacheDocument(bytes: Buffer, source: string): CacheRecord[] {
  let doc: Partial<CacheDocument>;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Partial<CacheDocument>;
  } catch {
    throw new HullError(`${source}: the cache records are not JSON`);
  }
  if (doc.version !== 1 || !Array.isArray(doc.records)) throw new HullError(`${source}: unknown cache records version ${String(doc.version)}`);
  return doc.records.flatMap((r) => {
    const record = parseRecord(r);
    return record ? [record] : [];
  });
}
