/**
 * Member-aligned gzip: each member the tar is cut into (member-cut.ts) becomes a gzip member of
 * its own — header, raw deflate, trailer — deflated in parallel on the threadpool like the
 * parallel gzip's blocks; its incompressible parts are stored (incompressible.ts). Members one after another are one valid gzip file (RFC 1952 §2.2: a
 * gzip file is a series of members), which gzip, zlib, Node and Go's compress/gzip (containerd,
 * skopeo, umoci) read as one stream; the layer's diffID and digest are those of the bytes as
 * always.
 *
 * With the previous blob of the same step and its member index, a member whose uncompressed bytes
 * have the sha256 of one of that blob's members is copied from it (a ranged read) instead of being
 * deflated. The copy is byte for byte what deflating would give — same bytes, same level, same
 * zlib (member-index.ts) — so the blob does not depend on whether anything was reused. Before a
 * copy is used, its gzip header and trailer (CRC-32 and length of the uncompressed bytes) are
 * checked against the new bytes: an index that does not match its blob costs a warning and a
 * deflate, never a blob that inflates to something else than its diffID says.
 */
import { webcrypto } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { crc32 } from './crc32.js';
import type { TarMember } from './member-cut.js';
import { indexedBlobSize, type LayerMember, type MemberEncoder, type MemberIndex } from './member-index.js';
import { OrderedJobs } from './ordered-jobs.js';
import { isIncompressible } from './incompressible.js';
import { checkGzipLevel, DEFAULT_GZIP_LEVEL, defaultConcurrency, deflateBlock, DICT_SIZE, GZIP_TRAILER_SIZE, gzipHeader, gzipTrailer } from './pgzip.js';

/** The previous blob of the same step, to copy unchanged members from. */
export interface MemberReuse {
  index: MemberIndex;
  /** The blob file the index describes, read by ranges. */
  blobPath: string;
}

export interface MemberGzipOptions {
  /** zlib level 1–9 (default DEFAULT_GZIP_LEVEL). */
  level?: number;
  /** Members hashed and deflated at once (default as for the parallel gzip); never changes the bytes. */
  concurrency?: number;
  reuse?: MemberReuse;
  /** Told when `reuse` cannot be used as it claims (the blob is unreadable or does not match). */
  onWarning?: (message: string) => void;
}

/** What a member-aligned write produced. */
export interface MemberWrite {
  index: MemberIndex;
  /** Members copied from the previous blob. */
  reused: number;
  /** Members deflated. */
  compressed: number;
}

/** The encoder this process writes members with. */
export function memberEncoder(level: number): MemberEncoder {
  return { level, zlib: process.versions.zlib };
}

/** Uncompressed bytes waiting or being deflated, per thread: enough that a thread never waits for work. */
const QUEUE_PER_THREAD = 2 << 20;

interface Previous {
  file: FileHandle;
  bySha: Map<string, LayerMember>;
}

/** A member's uncompressed side: what its index entry needs besides where its output lands. */
interface Described {
  size: number;
  sha256: string;
  first: string;
  last: string;
}

interface Compressed {
  /** The member's bytes, in pieces (not joined: a copy of every byte of the layer saved). */
  gz: Buffer[];
  gzSize: number;
  reused: boolean;
  member: Described;
}

/**
 * Shorter incompressible parts are deflated with their neighbours: cutting the run around one
 * costs an extra zlib call (~0.2 ms of setting up its state), more than deflating it does.
 */
const STORED_PART = 64 * 1024;

interface DeflateRun {
  start: number;
  end: number;
  stored: boolean;
}

/**
 * A member's bytes as runs of parts to deflate and parts to store (incompressible.ts), judged part
 * by part: a part is a tar header, a small file's contents or a piece of a large one, so a member
 * of text files and one JPEG deflates the text and stores the JPEG.
 */
function deflateRuns(parts: readonly Buffer[]): DeflateRun[] {
  const runs: DeflateRun[] = [];
  let at = 0;
  for (const part of parts) {
    const stored = part.length >= STORED_PART && isIncompressible(part);
    const run = runs[runs.length - 1];
    if (run && run.stored === stored) run.end += part.length;
    else runs.push({ start: at, end: at + part.length, stored });
    at += part.length;
  }
  return runs;
}

/** Gzip members for a stream of tar members, in order, and their index. */
export class MemberGzip {
  private readonly encoder: MemberEncoder;
  private readonly header: Buffer;
  private readonly concurrency: number;
  private readonly members: LayerMember[] = [];
  private tarSize = 0;
  private gzSize = 0;
  private reused = 0;
  private compressed = 0;

  constructor(private readonly options: MemberGzipOptions = {}) {
    const level = options.level ?? DEFAULT_GZIP_LEVEL;
    checkGzipLevel(level);
    this.encoder = memberEncoder(level);
    this.header = gzipHeader(level);
    this.concurrency = Math.max(1, options.concurrency ?? defaultConcurrency());
  }

  /** The index and counts; complete once `compress` has run to its end. */
  get result(): MemberWrite {
    return { index: { encoder: this.encoder, members: this.members }, reused: this.reused, compressed: this.compressed };
  }

  /** The gzip blob of `members`, in order. */
  async *compress(members: AsyncIterable<TarMember>): AsyncGenerator<Buffer> {
    const previous = await this.openPrevious();
    const jobs = new OrderedJobs<Compressed>(this.concurrency);
    let queued = 0;
    try {
      for await (const member of members) {
        let crc = 0;
        for (const part of member.parts) crc = crc32(part, crc);
        jobs.add(() => this.encode(member, crc, previous));
        queued += member.size;
        // Members vary in size, so the queue is bounded in bytes, not members: a long one at the
        // head must not leave the other threads without work while it is deflated.
        while (queued >= QUEUE_PER_THREAD * this.concurrency) queued -= yield* this.takeHead(jobs);
      }
      while (jobs.length > 0) yield* this.takeHead(jobs);
    } finally {
      await previous?.file.close();
    }
  }

  private async openPrevious(): Promise<Previous | undefined> {
    const reuse = this.options.reuse;
    if (!reuse) return undefined;
    const { encoder } = reuse.index;
    // Another level or zlib would deflate the same bytes differently: copying its members would
    // make this blob differ from one written without reuse.
    if (encoder.level !== this.encoder.level || encoder.zlib !== this.encoder.zlib) return undefined;
    let file: FileHandle;
    try {
      file = await open(reuse.blobPath, 'r');
    } catch (err) {
      this.options.onWarning?.(`not reusing gzip members of ${reuse.blobPath}: ${(err as Error).message}`);
      return undefined;
    }
    const size = (await file.stat()).size;
    if (size !== indexedBlobSize(reuse.index)) {
      await file.close();
      this.options.onWarning?.(`not reusing gzip members of ${reuse.blobPath}: its index describes ${indexedBlobSize(reuse.index)} bytes, the blob has ${size}`);
      return undefined;
    }
    const bySha = new Map<string, LayerMember>();
    for (const m of reuse.index.members) if (!bySha.has(m.sha256)) bySha.set(m.sha256, m);
    return { file, bySha };
  }

  /**
   * The gzip member of `member`: copied from the previous blob when it holds one of the same
   * sha256, else deflated. The hash runs on the threadpool too (WebCrypto's digest is
   * asynchronous): the main thread already hashes every byte once for the diffID, and on a CPU
   * without SHA instructions (a Raspberry Pi) a second pass there would cost about as much as the
   * deflating that reuse saves.
   */
  private async encode(member: TarMember, crc: number, previous: Previous | undefined): Promise<Compressed> {
    try {
      return await this.encodeBytes(member, crc, previous);
    } finally {
      // what encodeBytes returns never points into the member's bytes (copied or deflated)
      member.release();
    }
  }

  private async encodeBytes(member: TarMember, crc: number, previous: Previous | undefined): Promise<Compressed> {
    const data = member.data ?? (member.parts.length === 1 ? member.parts[0]! : Buffer.concat(member.parts, member.size));
    const sha256 = Buffer.from(await webcrypto.subtle.digest('SHA-256', data)).toString('hex');
    const described = { size: member.size, sha256, first: member.first, last: member.last };
    const trailer = gzipTrailer(crc, member.size);
    const old = previous?.bySha.get(sha256);
    if (old && previous) {
      const gz = await this.copy(previous.file, old, trailer);
      if (gz) return { gz: [gz], gzSize: gz.length, reused: true, member: described };
    }
    const runs = deflateRuns(member.parts);
    const body: Buffer[] = [];
    // One after another: the members around this one keep the other threads busy.
    for (const [i, run] of runs.entries()) {
      // Each run goes on from the bytes before it, as one deflate stream would.
      const dictionary = run.start > 0 ? data.subarray(Math.max(0, run.start - DICT_SIZE), run.start) : undefined;
      body.push(await deflateBlock(data.subarray(run.start, run.end), dictionary, run.stored ? 0 : this.encoder.level, i === runs.length - 1));
    }
    const gz = [this.header, ...body, trailer];
    return { gz, gzSize: gz.reduce((n, b) => n + b.length, 0), reused: false, member: described };
  }

  /** The old member, if it is the gzip member of the new bytes as far as its header and trailer tell. */
  private async copy(file: FileHandle, old: LayerMember, trailer: Buffer): Promise<Buffer | undefined> {
    const gz = Buffer.allocUnsafe(old.gzSize);
    const { bytesRead } = await file.read(gz, 0, old.gzSize, old.gzOffset);
    const framed =
      bytesRead === old.gzSize &&
      old.gzSize >= this.header.length + GZIP_TRAILER_SIZE &&
      gz.subarray(0, this.header.length).equals(this.header) &&
      gz.subarray(old.gzSize - GZIP_TRAILER_SIZE).equals(trailer);
    if (framed) return gz;
    this.options.onWarning?.(`gzip member at ${old.gzOffset} of ${this.options.reuse?.blobPath} does not match its index: deflating it again`);
    return undefined;
  }

  /** Yields the oldest member's output once it is ready; returns its uncompressed size. */
  private async *takeHead(jobs: OrderedJobs<Compressed>): AsyncGenerator<Buffer, number> {
    const done = await jobs.take();
    const { member } = done;
    this.members.push({
      tarOffset: this.tarSize,
      tarSize: member.size,
      gzOffset: this.gzSize,
      gzSize: done.gzSize,
      sha256: member.sha256,
      first: member.first,
      last: member.last,
    });
    this.tarSize += member.size;
    this.gzSize += done.gzSize;
    if (done.reused) this.reused++;
    else this.compressed++;
    yield* done.gz;
    return member.size;
  }
}
