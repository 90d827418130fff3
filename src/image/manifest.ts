/**
 * Image manifests and indexes, OCI and Docker schema 2: their types, a validating parser that
 * tells which of the four a document is, and builders for the documents hull writes.
 */
import { canonicalJson } from './canonical.js';
import { sha256Of, type Digest } from './digest.js';
import { ManifestError } from './errors.js';
import { isIndexMediaType, isManifestMediaType, isSchema1MediaType, MediaType } from './mediatypes.js';
import type { OciPlatform } from './platform.js';
import { Checker, present, type Json, type JsonObject } from './validate.js';

/** What points at a blob: its type, digest and size, with optional extras. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  /** Only in index entries: the platform the manifest runs on. */
  platform?: OciPlatform;
  artifactType?: string;
  /** The blob itself, base64, for tiny blobs (OCI 1.1). */
  data?: string;
}

/** An OCI image manifest; a Docker schema 2 manifest has the same shape with Docker media types. */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An OCI image index; a Docker manifest list has the same shape with Docker media types. */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export type DockerManifest = ImageManifest & { mediaType: typeof MediaType.dockerManifest };
export type DockerManifestList = ImageIndex & { mediaType: typeof MediaType.dockerManifestList };

export type Flavor = 'oci' | 'docker';

export type ParsedManifest =
  | { kind: 'manifest'; flavor: Flavor; mediaType: string; manifest: ImageManifest }
  | { kind: 'index'; flavor: Flavor; mediaType: string; index: ImageIndex };

/** Content-Type values that say nothing about which manifest a body is. */
const VAGUE_TYPES = new Set(['', 'application/json', 'text/plain', 'application/octet-stream']);

/**
 * Reads a manifest or index. The type comes from the document's `mediaType`, else from
 * `mediaTypeHint` (a registry's Content-Type), else from its shape; a document whose own
 * `mediaType` contradicts the hint is refused, since a registry must not serve one type as another.
 */
export function parseManifestOrIndex(bytes: Uint8Array | string, mediaTypeHint?: string): ParsedManifest {
  const c = new Checker('manifest');
  const doc = c.object(c.parse(bytes), '');
  const hint = mediaTypeHint?.split(';')[0]!.trim().toLowerCase() ?? '';
  const own = present(doc.mediaType) ? c.string(doc.mediaType, 'mediaType') : undefined;

  if (doc.schemaVersion === 1 || (own && isSchema1MediaType(own)) || isSchema1MediaType(hint)) {
    c.fail('', 'is a Docker schema 1 manifest, which hull does not read (deprecated since 2017); push the image again with a current client');
  }
  if (own !== undefined && !VAGUE_TYPES.has(hint) && own !== hint) {
    c.fail('mediaType', `is "${own}" but the document was served as "${hint}"`);
  }
  const mediaType = own ?? (VAGUE_TYPES.has(hint) ? inferType(doc) : hint);
  if (isManifestMediaType(mediaType)) {
    return { kind: 'manifest', flavor: flavorOf(mediaType), mediaType, manifest: readManifest(doc, own, new Checker(label(mediaType))) };
  }
  if (isIndexMediaType(mediaType)) {
    return { kind: 'index', flavor: flavorOf(mediaType), mediaType, index: readIndex(doc, own, new Checker(label(mediaType))) };
  }
  return c.fail('', `has media type "${mediaType}", which is neither an image manifest nor an index`);
}

/** Like parseManifestOrIndex, but the document must be an image manifest. */
export function parseManifest(bytes: Uint8Array | string, mediaTypeHint?: string): ImageManifest {
  const parsed = parseManifestOrIndex(bytes, mediaTypeHint);
  if (parsed.kind !== 'manifest') throw new ManifestError(`expected an image manifest, got ${label(parsed.mediaType)}`);
  return parsed.manifest;
}

/** Like parseManifestOrIndex, but the document must be an index or manifest list. */
export function parseIndex(bytes: Uint8Array | string, mediaTypeHint?: string): ImageIndex {
  const parsed = parseManifestOrIndex(bytes, mediaTypeHint);
  if (parsed.kind !== 'index') throw new ManifestError(`expected an image index, got ${label(parsed.mediaType)}`);
  return parsed.index;
}

function inferType(doc: JsonObject): string {
  if (Array.isArray(doc.manifests)) return MediaType.ociIndex;
  if (present(doc.config) && Array.isArray(doc.layers)) return MediaType.ociManifest;
  return new Checker('manifest').fail('', 'has no mediaType and neither "manifests" (an index) nor "config" and "layers" (a manifest)');
}

function flavorOf(mediaType: string): Flavor {
  return mediaType.startsWith('application/vnd.docker.') ? 'docker' : 'oci';
}

function label(mediaType: string): string {
  switch (mediaType) {
    case MediaType.ociManifest:
      return 'OCI image manifest';
    case MediaType.ociIndex:
      return 'OCI image index';
    case MediaType.dockerManifest:
      return 'Docker schema 2 manifest';
    case MediaType.dockerManifestList:
      return 'Docker manifest list';
    default:
      return mediaType;
  }
}

function schemaVersion(c: Checker, doc: JsonObject): 2 {
  if (doc.schemaVersion !== 2) c.fail('schemaVersion', `must be 2, not ${JSON.stringify(doc.schemaVersion ?? null)}`);
  return 2;
}

function readManifest(doc: JsonObject, own: string | undefined, c: Checker): ImageManifest {
  const m: ImageManifest = {
    schemaVersion: schemaVersion(c, doc),
    ...(own !== undefined ? { mediaType: own } : {}),
    config: readDescriptor(c, doc.config, 'config'),
    layers: c.array(doc.layers, 'layers').map((d, i) => readDescriptor(c, d, `layers[${i}]`)),
  };
  readCommon(c, doc, m);
  return m;
}

function readIndex(doc: JsonObject, own: string | undefined, c: Checker): ImageIndex {
  const index: ImageIndex = {
    schemaVersion: schemaVersion(c, doc),
    ...(own !== undefined ? { mediaType: own } : {}),
    manifests: c.array(doc.manifests, 'manifests').map((d, i) => readDescriptor(c, d, `manifests[${i}]`)),
  };
  readCommon(c, doc, index);
  return index;
}

function readCommon(c: Checker, doc: JsonObject, into: { artifactType?: string; subject?: Descriptor; annotations?: Record<string, string> }): void {
  if (present(doc.artifactType)) into.artifactType = c.nonEmptyString(doc.artifactType, 'artifactType');
  if (present(doc.subject)) into.subject = readDescriptor(c, doc.subject, 'subject');
  if (present(doc.annotations)) into.annotations = c.stringMap(doc.annotations, 'annotations');
}

/** Validates one descriptor; `what` names the document in messages. */
export function parseDescriptor(value: unknown, what = 'descriptor'): Descriptor {
  return readDescriptor(new Checker(what), value as Json, '');
}

function readDescriptor(c: Checker, value: Json | undefined, path: string): Descriptor {
  const at = (key: string): string => (path ? `${path}.${key}` : key);
  const obj = c.object(value, path);
  const d: Descriptor = {
    mediaType: c.nonEmptyString(obj.mediaType, at('mediaType')),
    digest: c.digest(obj.digest, at('digest')),
    size: c.integer(obj.size, at('size'), 0),
  };
  if (present(obj.urls)) d.urls = c.strings(obj.urls, at('urls'));
  if (present(obj.annotations)) d.annotations = c.stringMap(obj.annotations, at('annotations'));
  if (present(obj.platform)) d.platform = readPlatform(c, obj.platform, at('platform'));
  if (present(obj.artifactType)) d.artifactType = c.nonEmptyString(obj.artifactType, at('artifactType'));
  if (present(obj.data)) d.data = c.string(obj.data, at('data'));
  return d;
}

export function readPlatform(c: Checker, value: Json | undefined, path: string): OciPlatform {
  const obj = c.object(value, path);
  const at = (key: string): string => (path ? `${path}.${key}` : key);
  const p: OciPlatform = {
    architecture: c.nonEmptyString(obj.architecture, at('architecture')),
    os: c.nonEmptyString(obj.os, at('os')),
  };
  if (present(obj['os.version'])) p['os.version'] = c.string(obj['os.version'], at('os.version'));
  if (present(obj['os.features'])) p['os.features'] = c.strings(obj['os.features'], at('os.features'));
  if (present(obj.variant) && obj.variant !== '') p.variant = c.string(obj.variant, at('variant'));
  if (present(obj.features)) p.features = c.strings(obj.features, at('features'));
  return p;
}

/** An OCI image manifest for a config and its layers, as hull writes one. */
export function createManifest(config: Descriptor, layers: readonly Descriptor[], annotations?: Record<string, string>): ImageManifest {
  return {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config,
    layers: [...layers],
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
}

/** An OCI image index over per-platform manifests. */
export function createIndex(manifests: readonly Descriptor[], annotations?: Record<string, string>): ImageIndex {
  return {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [...manifests],
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
}

/**
 * The canonical bytes of a document (manifest, index, config) and the descriptor that points
 * at them; the media type defaults to the document's own `mediaType`.
 */
export function serialize(document: object, mediaType?: string): { bytes: Buffer; descriptor: Descriptor } {
  const own = (document as { mediaType?: unknown }).mediaType;
  const type = mediaType ?? (typeof own === 'string' ? own : undefined);
  if (!type) throw new ManifestError('cannot describe a document without a media type');
  const bytes = canonicalJson(document);
  return { bytes, descriptor: { mediaType: type, digest: sha256Of(bytes), size: bytes.length } };
}
