/**
 * The local store: an OCI image layout (tags in index.json, blobs by digest) with extracted
 * layer snapshots, metadata, locks and a temp area beside it. See layout.ts for the tree.
 */
export { Store, type StoreOptions, type BlobInfo } from './store.js';
export { StoreError, BlobNotFoundError, DigestMismatchError, LockTimeoutError, NoSpaceError } from './errors.js';
export { resolveRoot, SYSTEM_ROOT, type RootOptions } from './root.js';
export { StorePaths, LAYOUT_VERSION, REF_NAME_ANNOTATION } from './layout.js';
export { type BlobSource, type Expected, writeFileAtomic, fsyncDir } from './atomic.js';
export { Locks, type LockOptions } from './lock.js';
export type { TagEntry } from './oci-index.js';
export type { PruneOptions, PruneReport } from './gc.js';
export type { TempCleanup } from './temp.js';
export type { BlobRecord, ImageMeta, Hold } from './meta.js';
export type { ImageRecord } from './walk.js';
export { loadImage, type LocalImage } from './local-image.js';
