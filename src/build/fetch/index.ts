/**
 * The sources of ADD that are not plain context files: URLs (downloaded), git repositories
 * (checked out) and local tar archives (detected by content and extracted).
 */
export { downloadUrl, fileName, type Download, type DownloadOptions } from './url.js';
export { cloneGit, parseGitUrl, type Clone, type CloneOptions, type GitSource } from './git.js';
export { detectArchive, extractArchive, type ArchiveFormat, type ExtractArchiveOptions } from './archive.js';
export { ChecksumMismatchError, FetchError, redactUrl } from './errors.js';
