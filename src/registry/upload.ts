/**
 * One blob to one repository: skip it when the registry has it, mount it from another
 * repository of the same registry when the store knows one, else upload it — monolithic for
 * small blobs, chunked for large ones (resuming from the registry's Range after a failure).
 * The digest is only ever sent with the final PUT, after every byte, so the registry never
 * files half a blob under it; it checks the content against the digest itself.
 *
 * pushBlob's retry loop is the only one: its requests ask the session for none of its own
 * (`retry: false`), or a registry failing every time would see attempts × attempts of them.
 */
import { createReadStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { RegistryError } from '../errors.js';
import type { Digest } from '../image/digest.js';
import type { Descriptor } from '../image/manifest.js';
import type { Store } from '../store/store.js';
import { drain, header, rangeEnd, refusal, uploadLocation, withQuery } from './push-http.js';
import { TransientError, transientError, withRetries } from './retry.js';
import { isRetryableStatus, type RetryPolicy } from './transport.js';
import type { RepositorySession, SessionResponse } from './session.js';

export type BlobOutcome = 'exists' | 'mounted' | 'pushed';

export type BlobState = 'checking' | 'uploading' | 'retrying' | BlobOutcome;

export interface BlobProgress {
  kind: 'blob';
  digest: Digest;
  mediaType: string;
  size: number;
  state: BlobState;
  /** Bytes the registry has of this blob so far (as far as we know). */
  sent: number;
  /** For `mounted`: the repository it came from. */
  from?: string;
  /** For `retrying`: why, and which attempt comes next. */
  reason?: string;
  attempt?: number;
}

export interface UploadOptions {
  /** Blobs up to this size go in one PUT; larger ones in PATCH chunks (default 8 MiB). */
  monolithicMax: number;
  /** Size of one PATCH (default 8 MiB). */
  chunkSize: number;
  retry: RetryPolicy;
  signal?: AbortSignal;
}

/** What is shared by the uploads of one push: the registry's answers learnt along the way. */
export class UploadContext {
  /** Set once the registry refuses a PATCH: from then on every blob goes monolithic. */
  chunksRefused = false;

  constructor(
    readonly session: RepositorySession,
    readonly store: Store,
    readonly options: UploadOptions,
    readonly emit: (event: BlobProgress) => void,
  ) {}
}

/** Where an interrupted chunked upload stood, so the next attempt can ask the registry and resume. */
interface Resume {
  location: string;
}

export async function pushBlob(ctx: UploadContext, blob: Descriptor): Promise<{ outcome: BlobOutcome; from?: string }> {
  const have = await ctx.store.statBlob(blob.digest);
  if (!have) throw new RegistryError(`cannot push blob ${blob.digest}: it is not in the local store`);
  if (have.size !== blob.size) throw new RegistryError(`cannot push blob ${blob.digest}: the manifest says ${blob.size} bytes, the store holds ${have.size}`);
  const base = { kind: 'blob' as const, digest: blob.digest, mediaType: blob.mediaType, size: blob.size };
  const state: { resume?: Resume; mountTried: boolean } = { mountTried: false };
  return withRetries(
    ctx.options.retry,
    `pushing blob ${blob.digest} to ${repoName(ctx.session)}`,
    async () => {
      ctx.emit({ ...base, state: 'checking', sent: 0 });
      if (await blobExists(ctx, blob)) {
        ctx.emit({ ...base, state: 'exists', sent: blob.size });
        return { outcome: 'exists' as const };
      }
      let location: string | undefined;
      if (!state.mountTried) {
        // A mount is tried once: a 202 means the registry cannot, and will not change its mind.
        state.mountTried = true;
        const mount = await tryMount(ctx, blob);
        if (mount.from !== undefined) {
          ctx.emit({ ...base, state: 'mounted', sent: blob.size, from: mount.from });
          return { outcome: 'mounted' as const, from: mount.from };
        }
        location = mount.location;
      }
      await upload(ctx, blob, state, location, (sent) => ctx.emit({ ...base, state: 'uploading', sent }));
      ctx.emit({ ...base, state: 'pushed', sent: blob.size });
      return { outcome: 'pushed' as const };
    },
    (err, attempt) => ctx.emit({ ...base, state: 'retrying', sent: 0, reason: (err as Error).message, attempt }),
    ctx.options.signal,
  );
}

async function blobExists(ctx: UploadContext, blob: Descriptor): Promise<boolean> {
  const res = await ctx.session.request({ method: 'HEAD', path: `blobs/${blob.digest}`, access: 'push', retry: false });
  await drain(res);
  if (res.status === 200) {
    const length = header(res, 'content-length');
    // A registry holding other bytes under this digest is broken; uploading again will not fix it, and silence would hide it.
    if (length !== undefined && Number(length) !== blob.size) {
      throw new RegistryError(`the registry has it with ${length} bytes, not ${blob.size}`);
    }
    return true;
  }
  if (res.status === 404) return false;
  throw await failure(res, 'checking whether the registry has it');
}

/** Repositories of this registry the store says hold the blob, nearest first (stable order). */
export async function mountSources(ctx: UploadContext, digest: Digest): Promise<string[]> {
  const record = await ctx.store.blobRecord(digest);
  const out: string[] = [];
  for (const source of record?.sources ?? []) {
    const slash = source.indexOf('/');
    if (slash < 0) continue;
    const registry = source.slice(0, slash);
    const repository = source.slice(slash + 1);
    if (sameRegistry(registry, ctx.session.registry) && repository !== ctx.session.repository) out.push(repository);
  }
  return out;
}

async function tryMount(ctx: UploadContext, blob: Descriptor): Promise<{ from?: string; location?: string }> {
  const sources = await mountSources(ctx, blob.digest);
  let location: string | undefined;
  // Each refused mount opens an upload session; two candidates are plenty before uploading.
  for (const from of sources.slice(0, 2)) {
    let res: SessionResponse;
    try {
      res = await ctx.session.request({ method: 'POST', path: 'blobs/uploads/', query: { mount: blob.digest, from }, access: 'push', alsoPullFrom: from, retry: false });
    } catch (err) {
      // No pull access to the source (a RegistryError from the session): uploading still works.
      if (err instanceof RegistryError) continue;
      throw err;
    }
    await drain(res);
    if (res.status === 201) return { from };
    if (res.status === 202) {
      location = uploadLocation(res, `mounting it from ${from}`);
      continue;
    }
    if (isRetryableStatus(res.status)) throw transient(res, `mounting it from ${from}`);
    // Anything else (405 on registries without mounts): just upload.
  }
  return location === undefined ? {} : { location };
}

async function startUpload(ctx: UploadContext): Promise<string> {
  const res = await ctx.session.request({ method: 'POST', path: 'blobs/uploads/', access: 'push', retry: false });
  if (res.status !== 202) throw await failure(res, 'starting the upload');
  await drain(res);
  return uploadLocation(res, 'starting the upload');
}

async function upload(ctx: UploadContext, blob: Descriptor, state: { resume?: Resume }, opened: string | undefined, progress: (sent: number) => void): Promise<void> {
  const chunked = blob.size > ctx.options.monolithicMax && !ctx.chunksRefused;
  if (!chunked) {
    const location = opened ?? (await startUpload(ctx));
    await putMonolithic(ctx, blob, location, progress);
    return;
  }
  let location: string | undefined;
  let offset = 0;
  if (state.resume) {
    const status = await uploadStatus(ctx, state.resume.location);
    if (status) ({ location, offset } = status);
    delete state.resume;
  }
  location ??= opened ?? (await startUpload(ctx));
  const done = await putChunks(ctx, blob, location, offset, state, progress);
  if (done === 'refused') {
    // A registry that refuses PATCH may also have spoilt this upload session: start afresh, in one PUT.
    ctx.chunksRefused = true;
    await putMonolithic(ctx, blob, await startUpload(ctx), progress);
    return;
  }
  const res = await ctx.session.request({ method: 'PUT', path: withQuery(done, { digest: blob.digest }), headers: { 'content-length': '0' }, access: 'push', retry: false });
  await finishUpload(ctx, res, blob);
}

/** Where a registry's upload session stands; undefined when it is gone or unreadable (then the upload restarts). */
async function uploadStatus(ctx: UploadContext, location: string): Promise<{ location: string; offset: number } | undefined> {
  try {
    const res = await ctx.session.request({ method: 'GET', path: location, access: 'push' });
    await drain(res);
    if (res.status !== 204) return undefined;
    const offset = rangeEnd(res);
    // Distribution says `0-0` both for an empty upload and a one-byte one, and appends a PATCH
    // wherever it stands whatever its Content-Range: resuming on a guess would corrupt the blob,
    // and there is nothing worth keeping, so such an upload is restarted.
    if (offset === undefined || offset <= 1) return undefined;
    return { location: header(res, 'location') ? uploadLocation(res, 'upload status') : location, offset };
  } catch {
    return undefined;
  }
}

async function putMonolithic(ctx: UploadContext, blob: Descriptor, location: string, progress: (sent: number) => void): Promise<void> {
  const body = counting(await ctx.store.getBlob(blob.digest), 0, progress);
  const res = await ctx.session.request({
    method: 'PUT',
    path: withQuery(location, { digest: blob.digest }),
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
    body,
    access: 'push',
    retry: false,
  });
  await finishUpload(ctx, res, blob);
}

/**
 * PATCHes the blob from `offset` in chunks, following each new Location. Returns the location
 * to PUT the digest to, or 'refused' when the registry will not take chunks at all. On a failure
 * part way, `state.resume` remembers the session so the next attempt can resume it.
 */
async function putChunks(ctx: UploadContext, blob: Descriptor, start: string, offset: number, state: { resume?: Resume }, progress: (sent: number) => void): Promise<string | 'refused'> {
  let location = start;
  let at = offset;
  while (at < blob.size) {
    const end = Math.min(blob.size, at + ctx.options.chunkSize);
    state.resume = { location };
    const body = counting(createReadStream(ctx.store.blobPath(blob.digest), { start: at, end: end - 1 }), at, progress);
    const res = await ctx.session.request({
      method: 'PATCH',
      path: location,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(end - at), 'content-range': `${at}-${end - 1}` },
      body,
      access: 'push',
      retry: false,
    });
    if ((res.status === 416 || res.status === 400 || res.status === 405 || res.status === 501) && at === 0) {
      await drain(res);
      delete state.resume;
      return 'refused';
    }
    if (res.status !== 202) throw await failure(res, `uploading bytes ${at}-${end - 1}`);
    await drain(res);
    location = uploadLocation(res, `uploading bytes ${at}-${end - 1}`);
    const held = rangeEnd(res);
    // A registry that kept fewer bytes than we sent would end with the wrong digest; resume from what it has.
    if (held !== undefined && held !== end) {
      state.resume = { location };
      throw new TransientError(`the registry holds ${held} bytes after a chunk ending at ${end}`);
    }
    at = end;
  }
  delete state.resume;
  return location;
}

async function finishUpload(ctx: UploadContext, res: SessionResponse, blob: Descriptor): Promise<void> {
  if (res.status !== 201) throw await failure(res, 'uploading');
  await drain(res);
  const said = header(res, 'docker-content-digest');
  if (said !== undefined && said !== blob.digest) {
    throw new RegistryError(`the registry filed it as ${said}`);
  }
}

/** A RegistryError for an unexpected status; a TransientError (retried) when the status says it may pass. */
async function failure(res: SessionResponse, what: string): Promise<RegistryError> {
  if (isRetryableStatus(res.status)) return transient(res, what);
  return refusal(res, what);
}

function transient(res: SessionResponse, what: string): TransientError {
  void drain(res);
  return transientError(res, what);
}

/** Passes a blob stream through, reporting the running byte count from `base`. */
function counting(source: Readable, base: number, progress: (sent: number) => void): Readable {
  let sent = base;
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      progress(sent);
      done(null, chunk);
    },
  });
  source.on('error', (err) => t.destroy(err));
  // If the request gives up on the body, the file must be closed too.
  t.on('close', () => source.destroy());
  return source.pipe(t);
}

/** Docker Hub goes by several names; a mount works across them. */
function sameRegistry(a: string, b: string): boolean {
  const hub = (h: string): string => (h === 'registry-1.docker.io' || h === 'index.docker.io' ? 'docker.io' : h);
  return hub(a) === hub(b);
}

function repoName(session: RepositorySession): string {
  return `${session.registry}/${session.repository}`;
}
