/**
 * Reading an archive in one pass: tar members may come in any order (old `docker save` writes
 * manifest.json last), so every file member is streamed into the store as it passes (putBlob
 * hashes and verifies on the way) and only its digest is remembered; the small metadata files
 * are kept in memory. Names are resolved afterwards, against this record.
 *
 * Member names are only ever map keys: nothing is written to disk by archive path, so `../x`
 * or `/etc/passwd` in a hostile archive is just a name that no manifest will find.
 */
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { HullError } from '../errors.js';
import { parseDigest, type Digest } from '../image/digest.js';
import { InvalidDigestError } from '../image/errors.js';
import { decompress } from '../layer/compress.js';
import { readTar, type TarEntry } from '../layer/tar/reader.js';
import { DigestMismatchError } from '../store/errors.js';
import type { Store } from '../store/store.js';
import { ArchiveError } from './errors.js';
import { blobMemberName, digestOfMemberName, DOCKER_MANIFEST_FILE, INDEX_FILE, OCI_LAYOUT_FILE, REPOSITORIES_FILE } from './layout.js';

export interface SpooledFile {
  /** The member's name, normalised. */
  name: string;
  digest: Digest;
  size: number;
}

/** JSON metadata is read whole; no real manifest.json or index.json comes near this. */
const MAX_METADATA = 16 << 20;
const METADATA = new Set([DOCKER_MANIFEST_FILE, INDEX_FILE, OCI_LAYOUT_FILE, REPOSITORIES_FILE]);
/** Old docker-archive per-layer files (v1 JSON, VERSION) that nothing needs any more. */
const LEGACY_LAYER_FILE = /^[^/]+\/(?:json|VERSION)$/;
/** Top-level configs named by their own digest: `<hex>.json` (docker) or `sha256:<hex>` (go-containerregistry). */
const NAMED_BY_DIGEST = /^(?:([0-9a-f]{64})\.json|sha256:([0-9a-f]{64}))$/;
const MAX_LINK_HOPS = 16;

export class SpooledArchive {
  readonly files = new Map<string, SpooledFile>();
  /** Symlinks and hardlinks: name → the member name they stand for. */
  readonly links = new Map<string, string>();
  readonly metadata = new Map<string, Buffer>();
  entries = 0;

  /** The file a path (as manifest.json writes it) names, following links; undefined if absent. */
  find(path: string): SpooledFile | undefined {
    let name = normalizeName(path);
    for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
      const file = this.files.get(name);
      if (file) return file;
      const target = this.links.get(name);
      if (target === undefined) return undefined;
      name = target;
    }
    return undefined;
  }

  /** The `blobs/<alg>/<hex>` member of a digest. */
  blob(digest: Digest): SpooledFile | undefined {
    return this.find(blobMemberName(digest));
  }
}

/** `./a//b/../c` → `a/c`; leading `/` dropped. Lexical only: these names never touch a filesystem. */
export function normalizeName(name: string): string {
  const n = posix.normalize(`/${name}`).replace(/^\/+/, '').replace(/\/+$/, '');
  return n === '.' ? '' : n;
}

/** Reads the (possibly gzip- or zstd-compressed) archive, storing its blobs. */
export async function spoolArchive(store: Store, source: Readable): Promise<SpooledArchive> {
  const archive = new SpooledArchive();
  let tar: Readable;
  try {
    tar = (await decompress(source)).stream;
  } catch (err) {
    throw readError(err, undefined);
  }
  let current: string | undefined;
  try {
    for await (const entry of readTar(tar)) {
      archive.entries++;
      current = normalizeName(entry.header.name);
      await spoolEntry(store, archive, current, entry);
      current = undefined;
    }
  } catch (err) {
    tar.destroy();
    source.destroy();
    throw readError(err, current);
  }
  return archive;
}

async function spoolEntry(store: Store, archive: SpooledArchive, name: string, entry: TarEntry): Promise<void> {
  const { header } = entry;
  switch (header.type) {
    case 'symlink':
      // Old docker saves link a shared layer as `<id>/layer.tar -> ../<other id>/layer.tar`.
      archive.links.set(name, normalizeName(posix.join(posix.dirname(name), header.linkname)));
      return;
    case 'link':
      archive.links.set(name, normalizeName(header.linkname));
      return;
    case 'file':
      break;
    default:
      return; // directories, devices, fifos: nothing an image archive needs
  }
  if (METADATA.has(name)) {
    if (header.size > MAX_METADATA) throw new ArchiveError(`member ${name} is ${header.size} bytes; an image archive's ${name} is never that large`, name);
    const chunks: Buffer[] = [];
    for await (const chunk of entry.body) chunks.push(chunk);
    archive.metadata.set(name, Buffer.concat(chunks));
    return;
  }
  if (LEGACY_LAYER_FILE.test(name)) return;
  const expected = expectedDigest(name);
  try {
    const info = await store.putBlob(entry.body, { ...(expected ? { digest: expected } : {}), size: header.size });
    archive.files.set(name, { name, digest: info.digest, size: info.size });
  } catch (err) {
    if (err instanceof DigestMismatchError) throw new ArchiveError(`member ${name} is damaged: ${err.message}`, name);
    throw err;
  }
}

/** The digest a member's name promises, checked while it is stored. */
function expectedDigest(name: string): Digest | undefined {
  if (name.startsWith('blobs/')) {
    try {
      const digest = digestOfMemberName(name);
      if (digest) return digest;
    } catch (err) {
      if (!(err instanceof InvalidDigestError)) throw err;
      throw new ArchiveError(`member ${name} is not a blob hull can verify: ${err.message}`, name);
    }
    throw new ArchiveError(`member ${name} is not a blob: an OCI layout's blobs are blobs/<algorithm>/<hex>`, name);
  }
  const m = NAMED_BY_DIGEST.exec(name);
  return m ? parseDigest(`sha256:${m[1] ?? m[2]!}`) : undefined;
}

function readError(err: unknown, member: string | undefined): Error {
  if (err instanceof ArchiveError) return err;
  if (err instanceof HullError) {
    const where = member === undefined ? '' : ` (at member ${member})`;
    return new ArchiveError(`cannot read the archive${where}: ${err.message}`, member);
  }
  return err as Error;
}
