/**
 * Writing an archive as a tar stream with fixed headers (mode 0644/0755, owner 0:0, mtime 0),
 * so the same members give the same bytes. Bodies are opened one at a time as the stream is
 * read, so a layer is never held in memory; each body is checked against the size (and digest)
 * its header announced, since a header cannot be taken back once it is written.
 */
import { DigestHasher, digestAlgorithm, type Digest } from '../image/digest.js';
import { encodeHeader, endOfArchive, padding, type TarHeader } from '../layer/tar/header.js';
import { ArchiveError } from './errors.js';

export type MemberBody = Buffer | (() => Promise<AsyncIterable<Buffer | Uint8Array>>);

export type ArchiveMember =
  | { kind: 'directory'; name: string }
  | {
      kind: 'file';
      name: string;
      size: number;
      body: MemberBody;
      /** When set, the body must hash to it (a blob named by its digest). */
      digest?: Digest;
    };

function header(name: string, type: 'file' | 'directory', size: number): TarHeader {
  return {
    name,
    type,
    mode: type === 'directory' ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    size,
    mtime: 0,
    linkname: '',
    devmajor: 0,
    devminor: 0,
    xattrs: new Map(),
  };
}

/** The tar stream of `members`, in the order given, ended by the two zero blocks. */
export async function* tarArchive(members: Iterable<ArchiveMember>): AsyncGenerator<Buffer> {
  for (const m of members) {
    if (m.kind === 'directory') {
      yield encodeHeader(header(m.name.endsWith('/') ? m.name : `${m.name}/`, 'directory', 0));
      continue;
    }
    yield encodeHeader(header(m.name, 'file', m.size));
    if (Buffer.isBuffer(m.body)) {
      if (m.body.length !== m.size) throw new ArchiveError(`archive member ${m.name}: ${m.body.length} bytes where ${m.size} were announced`, m.name);
      yield m.body;
    } else {
      yield* checkedBody(m.name, m.size, m.digest, await m.body());
    }
    yield padding(m.size);
  }
  yield endOfArchive();
}

async function* checkedBody(name: string, size: number, digest: Digest | undefined, body: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<Buffer> {
  const hasher = new DigestHasher(digest ? digestAlgorithm(digest) : 'sha256');
  for await (const piece of body) {
    const chunk = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    hasher.update(chunk);
    if (hasher.size > size) throw new ArchiveError(`archive member ${name}: the content is longer than the ${size} bytes announced`, name);
    yield chunk;
  }
  if (hasher.size !== size) throw new ArchiveError(`archive member ${name}: the content has ${hasher.size} bytes, ${size} were announced`, name);
  if (digest && hasher.digest() !== digest) {
    throw new ArchiveError(`archive member ${name}: the content hashes to ${hasher.digest()}, not ${digest} (damaged in the store?)`, name);
  }
}
