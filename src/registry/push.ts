/**
 * `hull push`: a local image (a manifest, or an index with the children the store holds) to
 * one repository under some tags. Blobs go first, a few at a time; manifests go last — the
 * children of an index by digest, then the root once per tag — so the registry never holds a
 * tag whose content is missing, and a blob that failed means no manifest is PUT at all.
 */
import { RegistryError } from '../errors.js';
import type { Digest } from '../image/digest.js';
import type { Descriptor } from '../image/manifest.js';
import type { Store } from '../store/store.js';
import { planPush, type PlannedManifest } from './push-plan.js';
import { drain, header, refusal } from './push-http.js';
import { transientError, withRetries } from './retry.js';
import { DEFAULT_RETRY, isRetryableStatus, type RetryPolicy } from './transport.js';
import type { RepositorySession } from './session.js';
import { pushBlob, UploadContext, type BlobOutcome, type BlobProgress } from './upload.js';

export type { BlobProgress, BlobOutcome, BlobState } from './upload.js';
export type { RetryPolicy } from './transport.js';

export interface ManifestProgress {
  kind: 'manifest';
  /** The tag, or the digest for an index's child. */
  reference: string;
  digest: Digest;
  size: number;
  mediaType: string;
}

export type PushProgress = BlobProgress | ManifestProgress;

export interface PushTarget {
  session: RepositorySession;
  /** Tags to set; none pushes by digest only. */
  tags: readonly string[];
}

export interface PushOptions {
  /** Blobs uploaded at once (default 3). */
  concurrency?: number;
  /** Blobs up to this size go in one PUT, larger ones in chunks (default 8 MiB). */
  monolithicMax?: number;
  /** One PATCH (default 8 MiB). */
  chunkSize?: number;
  retry?: Partial<RetryPolicy>;
  onProgress?: (event: PushProgress) => void;
  signal?: AbortSignal;
}

export interface PushResult {
  /** The manifest or index the tags point at. */
  descriptor: Descriptor;
  tags: string[];
  blobs: { digest: Digest; size: number; outcome: BlobOutcome; from?: string }[];
  /** Children of an index pushed by digest. */
  children: Descriptor[];
}

const MiB = 1 << 20;

export async function push(store: Store, source: string, target: PushTarget, options: PushOptions = {}): Promise<PushResult> {
  const plan = await planPush(store, source);
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const emit = options.onProgress ?? (() => {});
  const ctx = new UploadContext(
    target.session,
    store,
    { monolithicMax: options.monolithicMax ?? 8 * MiB, chunkSize: options.chunkSize ?? 8 * MiB, retry, ...(options.signal ? { signal: options.signal } : {}) },
    emit,
  );

  const blobs = await pool(plan.blobs, options.concurrency ?? 3, async (blob) => ({ digest: blob.digest, size: blob.size, ...(await pushBlob(ctx, blob)) }));

  // Remembered so a later push to another repository of this registry can mount instead of upload.
  const here = `${target.session.registry}/${target.session.repository}`;
  for (const b of blobs) await store.addBlobSource(b.digest, here);

  for (const absent of plan.absent) await requireManifest(target.session, absent, retry);
  for (const child of plan.children) await putManifest(target.session, child, child.descriptor.digest, retry, emit);
  const references = target.tags.length > 0 ? target.tags : [plan.root.descriptor.digest];
  for (const reference of references) await putManifest(target.session, plan.root, reference, retry, emit);

  return { descriptor: plan.root.descriptor, tags: [...target.tags], blobs, children: plan.children.map((c) => c.descriptor) };
}

async function putManifest(session: RepositorySession, manifest: PlannedManifest, reference: string, retry: RetryPolicy, emit: (e: PushProgress) => void): Promise<void> {
  const what = `pushing manifest ${reference} to ${session.registry}/${session.repository}`;
  await withRetries(retry, what, async () => {
    const res = await session.request({
      method: 'PUT',
      path: `manifests/${reference}`,
      headers: { 'content-type': manifest.mediaType },
      body: manifest.bytes,
      access: 'push',
      // This loop retries; the session retrying too would multiply the attempts.
      retry: false,
    });
    if (res.status !== 201 && res.status !== 200) {
      if (isRetryableStatus(res.status)) {
        await drain(res);
        throw transientError(res, 'PUT');
      }
      throw await refusal(res, 'PUT');
    }
    await drain(res);
    const said = header(res, 'docker-content-digest');
    // A registry that re-serialised the document would break every signature and pinned reference to it.
    if (said !== undefined && said !== manifest.descriptor.digest) {
      throw new RegistryError(`the registry filed it as ${said}, not ${manifest.descriptor.digest}`);
    }
  }, () => {});
  emit({ kind: 'manifest', reference, digest: manifest.descriptor.digest, size: manifest.bytes.length, mediaType: manifest.mediaType });
}

/** An index entry this store never pulled must already be in the registry, or the index would point at nothing. */
async function requireManifest(session: RepositorySession, entry: Descriptor, retry: RetryPolicy): Promise<void> {
  const what = `checking manifest ${entry.digest} in ${session.registry}/${session.repository}`;
  const found = await withRetries(retry, what, async () => {
    const res = await session.request({ method: 'HEAD', path: `manifests/${entry.digest}`, headers: { accept: entry.mediaType }, access: 'push', retry: false });
    await drain(res);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    if (isRetryableStatus(res.status)) throw transientError(res, 'HEAD');
    throw await refusal(res, 'HEAD');
  }, () => {});
  if (!found) {
    const platform = entry.platform ? ` (${entry.platform.os}/${entry.platform.architecture}${entry.platform.variant ? `/${entry.platform.variant}` : ''})` : '';
    throw new RegistryError(`cannot push the index: its manifest ${entry.digest}${platform} is neither in the local store nor in ${session.registry}/${session.repository}; pull it with all platforms first`);
  }
}

/**
 * Runs `work` over `items`, `limit` at a time, results in input order. The first failure stops
 * new work from starting and is thrown once the running ones have settled, so no upload is
 * left running behind the caller's back.
 */
export async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failed: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < items.length) {
      const i = next++;
      try {
        results[i] = await work(items[i]!);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw failed.err;
  return results;
}
