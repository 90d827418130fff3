/**
 * A blob the store knows where to get but does not hold yet (a layer named by an imported build
 * cache): fetched from the first repository recorded as its source, the moment it is needed.
 */
import { RegistryError } from '../errors.js';
import type { Descriptor } from '../image/manifest.js';
import { parseReference } from '../image/reference.js';
import type { Store } from '../store/store.js';
import { openRepository } from './client.js';
import { fetchBlob } from './pull.js';
import { DEFAULT_RETRY } from './transport.js';

/** Whether the blob is here or can be fetched from a recorded source. */
export async function blobAvailable(store: Store, digest: Descriptor['digest']): Promise<boolean> {
  return (await store.hasBlob(digest)) || ((await store.blobRecord(digest))?.sources.length ?? 0) > 0;
}

export async function ensureBlob(store: Store, descriptor: Descriptor, onProgress: (received: number) => void = () => {}): Promise<void> {
  if (await store.hasBlob(descriptor.digest)) return;
  const sources = (await store.blobRecord(descriptor.digest))?.sources ?? [];
  let last: unknown;
  for (const source of sources) {
    try {
      const ref = parseReference(source);
      await fetchBlob(openRepository({ registry: ref.domain, repository: ref.path }), store, descriptor, source, DEFAULT_RETRY, onProgress);
      return;
    } catch (err) {
      last = err;
    }
  }
  if (last !== undefined) throw last;
  throw new RegistryError(`blob ${descriptor.digest} is neither in the store nor known in any registry`);
}
