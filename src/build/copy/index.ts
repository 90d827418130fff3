/** The filesystem part of COPY/ADD: resolved sources into a root filesystem, as BuildKit copies. */
export { copyFiles, type CopyFilesOptions, type CopyFilesResult } from './copy-files.js';
export { applyChmod } from './chmod.js';
export type { Owner } from './destination.js';
export { SnapshotReuse } from './reuse.js';
