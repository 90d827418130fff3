/**
 * `pull`: a manifest (by tag or digest, any OCI/Docker manifest or index type), the platform's
 * entry of an index, then the config and layers streamed into the store with their digests
 * and sizes checked on the way in, a few at a time; then the manifest (and index) are stored
 * and the reference tagged. Blobs already in the store are not fetched again.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { RegistryError } from '../errors.js';
import { digestAlgorithm, type Digest } from '../image/digest.js';
import { parseManifestOrIndex, type Descriptor, type ImageManifest } from '../image/manifest.js';
import { isForeignLayer, MediaType } from '../image/mediatypes.js';
import { formatPlatform, hostPlatform, platformFromOci, type Platform } from '../image/platform.js';
import { selectPlatform } from '../image/match.js';
import { formatReference, parseReference, repositoryName, type ImageReference } from '../image/reference.js';
import type { Store } from '../store/store.js';
import { openRepository, type RegistryClient } from './client.js';
import { TransientError, withRetries } from './retry.js';
import { DEFAULT_RETRY, isRetryableStatus, type RetryPolicy } from './transport.js';
import { readErrorBody, registryError } from './errors.js';
import type { RepositorySession } from './session.js';

export const MANIFEST_ACCEPT = [MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest].join(', ');
/** Manifests are small; a registry serving more than this is not serving a manifest. */
const MAX_MANIFEST = 4 * 1024 * 1024;
const DEFAULT_CONCURRENCY = 3;

export type PullEvent =
  | { kind: 'resolved'; digest: Digest; mediaType: string; platform?: string }
  /** Bytes of a blob received so far (restarts from 0 when a broken download is fetched again). */
  | { kind: 'progress'; digest: Digest; size: number; role: 'config' | 'layer'; received: number }
  | { kind: 'blob'; digest: Digest; size: number; role: 'config' | 'layer'; status: 'exists' | 'downloaded' };

export interface PullOptions {
  /** The platform to pick from an index (default: this machine's). */
  platform?: Platform;
  client?: RegistryClient;
  concurrency?: number;
  onEvent?: (event: PullEvent) => void;
}

export interface PullResult {
  reference: string;
  /** What the reference resolved to: the index, or the manifest when there was no index. */
  digest: Digest;
  mediaType: string;
  /** The image manifest of the chosen platform. */
  manifest: Descriptor;
  platform: string | undefined;
  /** Whether anything had to be downloaded (Docker's "Downloaded newer image" vs "Image is up to date"). */
  downloaded: boolean;
}

export async function pull(store: Store, reference: string | ImageReference, options: PullOptions = {}): Promise<PullResult> {
  const ref = typeof reference === 'string' ? parseReference(reference) : reference;
  const session = openRepository(ref, options.client ? { client: options.client } : {});
  const repo = repositoryName(ref);
  const top = await fetchManifest(session, ref.digest ?? ref.tag ?? 'latest', formatReference(ref), ref.digest);
  options.onEvent?.({ kind: 'resolved', digest: top.digest, mediaType: top.mediaType });
  const parsed = parseManifestOrIndex(top.bytes, top.mediaType);
  let manifestDoc: { digest: Digest; bytes: Buffer; mediaType: string };
  let manifest: ImageManifest;
  let platform: string | undefined;
  if (parsed.kind === 'index') {
    const wanted = options.platform ?? hostPlatform();
    const entry = selectPlatform(parsed.index.manifests, wanted);
    platform = entry.platform ? formatPlatform(platformFromOci(entry.platform)) : undefined;
    manifestDoc = await fetchManifest(session, entry.digest, `${repo}@${entry.digest}`, entry.digest);
    const child = parseManifestOrIndex(manifestDoc.bytes, manifestDoc.mediaType);
    if (child.kind !== 'manifest') throw new RegistryError(`${repo}@${entry.digest}: the index entry for ${platform ?? 'this platform'} is itself an index, which hull does not follow`);
    manifest = child.manifest;
  } else {
    manifestDoc = top;
    manifest = parsed.manifest;
  }

  const blobs: { descriptor: Descriptor; role: 'config' | 'layer' }[] = [
    { descriptor: manifest.config, role: 'config' },
    ...manifest.layers.filter((l) => !isForeignLayer(l.mediaType) && !l.urls).map((descriptor) => ({ descriptor, role: 'layer' as const })),
  ];
  let downloaded = false;
  await eachLimited(blobs, options.concurrency ?? DEFAULT_CONCURRENCY, async ({ descriptor, role }) => {
    const present = await store.hasBlob(descriptor.digest);
    if (!present) {
      const progress = (received: number): void => options.onEvent?.({ kind: 'progress', digest: descriptor.digest, size: descriptor.size, role, received });
      await fetchBlob(session, store, descriptor, repo, options.client?.retry ?? DEFAULT_RETRY, progress);
      downloaded = true;
    }
    await store.addBlobSource(descriptor.digest, repo);
    options.onEvent?.({ kind: 'blob', digest: descriptor.digest, size: descriptor.size, role, status: present ? 'exists' : 'downloaded' });
  });

  const manifestDescriptor: Descriptor = { mediaType: manifestDoc.mediaType, digest: manifestDoc.digest, size: manifestDoc.bytes.length };
  if (!(await store.hasBlob(manifestDoc.digest))) downloaded = true;
  await store.putBlob(manifestDoc.bytes, { digest: manifestDoc.digest, size: manifestDoc.bytes.length });
  const topDescriptor: Descriptor = { mediaType: top.mediaType, digest: top.digest, size: top.bytes.length };
  if (top !== manifestDoc) await store.putBlob(top.bytes, { digest: top.digest, size: top.bytes.length });
  await store.addBlobSource(manifestDoc.digest, repo);
  if (ref.tag !== undefined) {
    await store.tag({ domain: ref.domain, path: ref.path, tag: ref.tag }, topDescriptor);
  } else {
    // Pulled by digest alone: Docker makes no tag; a hold keeps the image from `prune` all the same.
    await store.hold(`pull:${repo}@${top.digest}`, { blobs: [top.digest] });
  }
  return { reference: formatReference(ref), digest: top.digest, mediaType: top.mediaType, manifest: manifestDescriptor, platform, downloaded };
}

/** GETs a manifest, checks it against `expected` when pulling by digest, and returns it with its digest. */
export async function fetchManifest(session: RepositorySession, tagOrDigest: string, subject: string, expected: Digest | undefined): Promise<{ digest: Digest; bytes: Buffer; mediaType: string }> {
  const res = await session.request({ method: 'GET', path: `manifests/${tagOrDigest}`, headers: { accept: MANIFEST_ACCEPT }, access: 'pull' });
  if (res.status !== 200) {
    const { errors } = await readErrorBody(res.body);
    throw registryError(res.status, errors, subject, session.registry);
  }
  const bytes = await readLimited(res.body, MAX_MANIFEST, subject);
  const algorithm = expected ? digestAlgorithm(expected) : 'sha256';
  const digest = `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}` as Digest;
  if (expected !== undefined && digest !== expected) {
    throw new RegistryError(`${subject}: the registry served a manifest whose digest is ${digest}, not the one asked for`);
  }
  const header = res.headers['docker-content-digest'];
  if (typeof header === 'string' && header.startsWith(`${algorithm}:`) && header !== digest) {
    throw new RegistryError(`${subject}: the manifest's digest is ${digest} but the registry says ${header}`);
  }
  const contentType = res.headers['content-type'];
  return { digest, bytes, mediaType: parseManifestOrIndex(bytes, typeof contentType === 'string' ? contentType : undefined).mediaType };
}

/**
 * Streams one blob into the store, which verifies size and digest. A body that breaks off (a
 * reset mid-blob) or comes up short is fetched again, as is a 5xx or 429 (after its
 * Retry-After); any other refusal is final. This loop is the only one: the session is asked
 * for no retries of its own, which would multiply the attempts.
 */
export async function fetchBlob(
  session: RepositorySession,
  store: Store,
  descriptor: Descriptor,
  repo: string,
  retry: RetryPolicy,
  progress: (received: number) => void,
): Promise<void> {
  const subject = `${repo}@${descriptor.digest}`;
  await withRetries(retry, `pulling ${subject}`, async () => {
    const res = await session.request({ method: 'GET', path: `blobs/${descriptor.digest}`, access: 'pull', retry: false });
    if (res.status !== 200) {
      const { errors } = await readErrorBody(res.body);
      const refused = registryError(res.status, errors, subject, session.registry);
      if (!isRetryableStatus(res.status)) throw refused;
      const retryAfter = res.headers['retry-after'];
      throw new TransientError(refused.message, { status: res.status, ...(refused.code !== undefined && { code: refused.code }), ...(typeof retryAfter === 'string' && { retryAfter }) });
    }
    await store.putBlob(counted(res.body, progress), { digest: descriptor.digest, size: descriptor.size });
  }, () => {});
}

/** The body's chunks as they pass, with the running count reported. */
async function* counted(body: Readable, progress: (received: number) => void): AsyncGenerator<Buffer> {
  let received = 0;
  progress(0);
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    received += buf.length;
    progress(received);
    yield buf;
  }
}

async function readLimited(body: Readable, max: number, subject: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buf.length;
    if (size > max) {
      body.destroy();
      throw new RegistryError(`${subject}: the manifest is larger than ${max} bytes`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** Runs `work` on every item, at most `limit` at once; the first failure rejects (the rest finish first). */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}
