/**
 * A stored layer blob as the uncompressed tar its diff ID names, whatever compression it is
 * stored with (picked by magic bytes, not by media type, so a mislabelled layer still reads).
 */
import type { Readable } from 'node:stream';
import { digestOf, type Digest } from '../image/digest.js';
import { decompress, type StreamFormat } from '../layer/compress.js';
import type { Store } from '../store/store.js';

/** The uncompressed stream of a stored blob, and what it was stored as. */
export async function openUncompressed(store: Store, digest: Digest): Promise<{ format: StreamFormat; stream: Readable }> {
  // verify: a blob damaged on disk fails the stream instead of producing a wrong diff ID.
  return decompress(await store.getBlob(digest, { verify: true }));
}

/** Digest and size of the uncompressed content: the diff ID, and the size a tar header needs. */
export async function measureUncompressed(store: Store, digest: Digest): Promise<{ format: StreamFormat; digest: Digest; size: number }> {
  const { format, stream } = await openUncompressed(store, digest);
  return { format, ...(await digestOf(stream)) };
}
