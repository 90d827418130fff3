/**
 * Image archives: `hull save` writes docker-archive (moby ≥ 25 shape: an OCI layout plus
 * manifest.json) or OCI layout tarballs; `hull load` reads both, old docker saves included.
 */
export { ArchiveError } from './errors.js';
export { saveArchive, type ArchiveFormat, type SaveOptions } from './save.js';
export { loadArchive, type LoadOptions } from './load.js';
export type { LoadedImage } from './loaded.js';
export { IMAGE_NAME_ANNOTATION } from './layout.js';
