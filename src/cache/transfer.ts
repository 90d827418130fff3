/**
 * `--cache-to` and `--cache-from`: the cache records of a build, with their layers, to and from
 * a registry (an OCI artifact, format.ts) or a local OCI layout directory. An import only
 * registers the records and where their layers live; a layer is fetched when a build needs it
 * (a miss after it, or the final image), never before.
 */
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HullError, RegistryError } from '../errors.js';
import { digestHex, type Digest } from '../image/digest.js';
import { parseManifest, type Descriptor } from '../image/manifest.js';
import { MediaType } from '../image/mediatypes.js';
import { parseReference, repositoryName } from '../image/reference.js';
import { openRepository } from '../registry/client.js';
import { ensureBlob } from '../registry/ensure-blob.js';
import { fetchBlob, fetchManifest } from '../registry/pull.js';
import { push } from '../registry/push.js';
import { DEFAULT_RETRY } from '../registry/transport.js';
import { REF_NAME_ANNOTATION } from '../store/layout.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { Store } from '../store/store.js';
import { cacheManifest, CACHE_RECORDS_MEDIA_TYPE, EMPTY_CONFIG, parseCacheDocument, recordsDescriptor, type CacheDocument } from './format.js';
import { CacheIndex, type CacheRecord } from './records.js';
import type { CacheSpec } from './spec.js';

export interface ExportResult {
  records: number;
  layers: number;
  manifest: Descriptor;
}

export async function exportCache(store: Store, spec: CacheSpec, records: readonly CacheRecord[]): Promise<ExportResult> {
  const layers = new Map<Digest, Descriptor>();
  for (const r of records) if (r.layer) layers.set(r.layer.blob.digest, r.layer.blob);
  for (const blob of layers.values()) await ensureBlob(store, blob);
  const doc: CacheDocument = { version: 1, records: [...records] };
  const bytes = Buffer.from(JSON.stringify(doc));
  const info = await store.putBlob(bytes);
  const recordsBlob: Descriptor = { mediaType: CACHE_RECORDS_MEDIA_TYPE, digest: info.digest, size: info.size };
  await store.putBlob(EMPTY_CONFIG);
  const manifest = await store.putJson(cacheManifest(recordsBlob, [...layers.values()]), MediaType.ociManifest);
  if (spec.type === 'registry') {
    const ref = parseReference(spec.ref);
    if (ref.digest !== undefined) throw new HullError(`--cache-to ref=${spec.ref}: name a tag, not a digest`);
    await push(store, manifest.digest, { session: openRepository({ registry: ref.domain, repository: ref.path }), tags: [ref.tag ?? 'latest'] });
  } else {
    await writeLayout(store, spec.dir, manifest, [recordsBlob.digest, ...layers.keys()]);
  }
  return { records: records.length, layers: layers.size, manifest };
}

/** Registers the records of a cache; returns how many were new here. A cache that does not exist yet is not an error. */
export async function importCache(store: Store, spec: CacheSpec, onWarning: (message: string) => void): Promise<number> {
  const records = spec.type === 'registry' ? await fromRegistry(store, spec.ref, onWarning) : await fromLayout(store, spec.dir, onWarning);
  const index = new CacheIndex(store);
  let added = 0;
  for (const record of records) {
    // A record made here wins: its times are the ones this store's images already carry.
    if ((await index.read(record.key)) !== undefined) continue;
    await index.put(record);
    added++;
  }
  return added;
}

async function fromRegistry(store: Store, text: string, onWarning: (message: string) => void): Promise<CacheRecord[]> {
  const ref = parseReference(text);
  const session = openRepository({ registry: ref.domain, repository: ref.path });
  const repo = repositoryName(ref);
  let manifestDoc;
  try {
    manifestDoc = await fetchManifest(session, ref.digest ?? ref.tag ?? 'latest', text, ref.digest);
  } catch (err) {
    if (err instanceof RegistryError && err.status === 404) {
      onWarning(`--cache-from ${text}: no cache there yet`);
      return [];
    }
    throw err;
  }
  const manifest = parseManifest(manifestDoc.bytes, manifestDoc.mediaType);
  const recordsBlob = recordsDescriptor(manifest, text);
  if (!(await store.hasBlob(recordsBlob.digest))) await fetchBlob(session, store, recordsBlob, repo, DEFAULT_RETRY, () => {});
  const records = parseCacheDocument(await store.readBlob(recordsBlob.digest), text);
  for (const blob of manifest.layers.slice(1)) await store.addBlobSource(blob.digest, repo);
  return records;
}

async function fromLayout(store: Store, dir: string, onWarning: (message: string) => void): Promise<CacheRecord[]> {
  let index: { manifests?: Descriptor[] };
  try {
    index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests?: Descriptor[] };
  } catch {
    onWarning(`--cache-from ${dir}: no cache there yet`);
    return [];
  }
  const entry = index.manifests?.[0];
  if (!entry) throw new HullError(`--cache-from ${dir}: index.json lists no manifest`);
  const blobFile = (digest: Digest): string => join(dir, 'blobs', 'sha256', digestHex(digest));
  const manifest = parseManifest(await readFile(blobFile(entry.digest)), entry.mediaType);
  const recordsBlob = recordsDescriptor(manifest, dir);
  // Local blobs are cheap to take: copied in now (verified by the store), so no source is needed later.
  for (const blob of [recordsBlob, ...manifest.layers.slice(1)]) {
    if (!(await store.hasBlob(blob.digest))) await store.putBlob(createReadStream(blobFile(blob.digest)), { digest: blob.digest, size: blob.size });
  }
  return parseCacheDocument(await store.readBlob(recordsBlob.digest), dir);
}

/** An OCI image layout at `dir` holding the cache manifest (tagged `latest`) and its blobs. */
async function writeLayout(store: Store, dir: string, manifest: Descriptor, blobs: readonly Digest[]): Promise<void> {
  const target = join(dir, 'blobs', 'sha256');
  await mkdir(target, { recursive: true });
  const config = (await store.putBlob(EMPTY_CONFIG)).digest;
  for (const digest of [manifest.digest, config, ...blobs]) {
    const to = join(target, digestHex(digest));
    if (!(await stat(to).catch(() => undefined))) await copyFile(store.blobPath(digest), to);
  }
  await writeFileAtomic(join(dir, 'oci-layout'), `${JSON.stringify({ imageLayoutVersion: '1.0.0' })}\n`, dir);
  const index = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [{ ...manifest, annotations: { [REF_NAME_ANNOTATION]: 'latest' } }] };
  await writeFileAtomic(join(dir, 'index.json'), `${JSON.stringify(index)}\n`, dir);
}
