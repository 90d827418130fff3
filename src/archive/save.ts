/** `hull save`: images from the store as one tar stream, in docker-archive or OCI layout form. */
import type { Platform } from '../image/platform.js';
import type { Store } from '../store/store.js';
import { dockerArchiveMembers } from './docker-save.js';
import { ArchiveError } from './errors.js';
import { ociArchiveMembers } from './oci-save.js';
import { resolveSaveItems } from './select.js';
import { tarArchive } from './tar-out.js';

export type ArchiveFormat = 'docker' | 'oci';

export interface SaveOptions {
  format: ArchiveFormat;
  platform?: Platform;
  warn?: (message: string) => void;
}

/**
 * Resolves the names and plans the whole archive (reading manifests and configs, and measuring
 * layers that must be decompressed) before returning, so a missing image or a bad layer fails
 * before the first byte is written; the stream itself reads one blob at a time.
 */
export async function saveArchive(store: Store, names: readonly string[], options: SaveOptions): Promise<AsyncIterable<Buffer>> {
  if (names.length === 0) throw new ArchiveError('no image to save');
  const items = await resolveSaveItems(store, names);
  const warn = options.warn ?? (() => undefined);
  const platform = options.platform ? { platform: options.platform } : {};
  const members = options.format === 'docker' ? await dockerArchiveMembers(store, items, platform) : await ociArchiveMembers(store, items, { ...platform, warn });
  return tarArchive(members);
}
