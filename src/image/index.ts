/**
 * The image model: digests, media types, manifests and indexes (OCI and Docker schema 2),
 * image configs, canonical JSON, references and platforms. Pure: no network, no disk layout.
 */
export { ImageError, InvalidDigestError, ManifestError, InvalidReferenceError, InvalidPlatformError, PlatformMismatchError } from './errors.js';
export {
  type Digest,
  type DigestAlgorithm,
  parseDigest,
  isDigest,
  digestProblem,
  digestAlgorithm,
  digestHex,
  shortDigest,
  sha256Of,
  DigestHasher,
  digestOf,
} from './digest.js';
export {
  MediaType,
  type KnownMediaType,
  type Compression,
  isIndexMediaType,
  isManifestMediaType,
  isSchema1MediaType,
  isConfigMediaType,
  isLayerMediaType,
  layerCompression,
  isForeignLayer,
  layerMediaType,
  convertLayerMediaType,
} from './mediatypes.js';
export {
  type Descriptor,
  type ImageManifest,
  type ImageIndex,
  type DockerManifest,
  type DockerManifestList,
  type Flavor,
  type ParsedManifest,
  parseManifestOrIndex,
  parseManifest,
  parseIndex,
  parseDescriptor,
  createManifest,
  createIndex,
  serialize,
} from './manifest.js';
export { dockerToOciManifest, ociToDockerManifest, dockerToOciIndex, ociToDockerIndex } from './convert.js';
export {
  type ImageConfig,
  type ContainerConfig,
  type HealthConfig,
  type HistoryEntry,
  type RootFs,
  parseImageConfig,
  configPlatform,
  createImageConfig,
  checkImage,
} from './config.js';
export { canonicalJson } from './canonical.js';
export {
  type ImageReference,
  type ParseReferenceOptions,
  DEFAULT_DOMAIN,
  DEFAULT_TAG,
  parseReference,
  formatReference,
  repositoryName,
  familiarName,
  familiarString,
  normalizeReference,
  withTag,
  withDigest,
  isValidTag,
} from './reference.js';
export {
  type Platform,
  type OciPlatform,
  parsePlatform,
  normalizePlatform,
  formatPlatform,
  platformFromOci,
  toOciPlatform,
  samePlatform,
  hostPlatform,
  armVariant,
  platformArgs,
} from './platform.js';
export { type MatchOptions, type HasPlatform, compatiblePlatforms, platformRank, selectPlatform, availablePlatforms } from './match.js';
