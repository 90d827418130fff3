/**
 * Layers: tar in and out. Deterministic writing with the diffID and digest computed on the way,
 * whiteouts both ways, safe extraction, parallel gzip / zstd compression, and change listings.
 */
export { writeLayer, compressLayer, tarDirectory, type LayerBlob, type TarOptions, type WriteLayerOptions } from './writer.js';
export { extractLayer, type ExtractOptions, type ExtractResult } from './extract.js';
export {
  createCompressor,
  decompress,
  detectFormat,
  DEFAULT_ZSTD_LEVEL,
  type Compression,
  type CompressOptions,
  type StreamFormat,
} from './compress.js';
export { ParallelGzip, GZIP_BLOCK_SIZE, DEFAULT_GZIP_LEVEL, defaultConcurrency, type ParallelGzipOptions } from './pgzip.js';
export { listChanges, applyToPathSet, type ChangeKind, type LayerChange } from './changes.js';
export {
  WHITEOUT_PREFIX,
  WHITEOUT_OPAQUE,
  WHITEOUT_META_PREFIX,
  classifyWhiteout,
  whiteoutEntryName,
  type WhiteoutMode,
} from './whiteout.js';
export { readTar, type TarEntry } from './tar/reader.js';
export { normalizeTar, type NormalizeOptions } from './normalize.js';
export { encodeHeader, type TarHeader, type EntryType } from './tar/header.js';
export { DigestStream } from './digest.js';
