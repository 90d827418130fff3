/**
 * Where a member-aligned gzip layer (member-gzip.ts) starts a new member. A member can be copied
 * from the previous build's blob only if its bytes are exactly the same, so the cuts must fall at
 * the same places around unchanged entries whatever changed elsewhere. A cut is therefore decided
 * by the entry itself, never by a running byte count (which one added file would shift for every
 * member after it):
 *
 *   - after an entry, when a hash of its name falls below (512 + its size) / MEMBER_TARGET — so
 *     every byte is equally likely to end a member, members average about MEMBER_TARGET, and a
 *     file that changes content but not size keeps every cut where it was;
 *   - before and after an entry of LARGE_ENTRY bytes or more, and every PIECE bytes inside it
 *     (counted from its header): a big file is its own members, and a change in it redoes only
 *     the pieces it touches;
 *   - before an entry once the member holds MEMBER_LIMIT bytes: the only rule that depends on
 *     what came before, a bound on memory that the hash rule passes on about 2% of members
 *     (e^-4); the next hash cut puts both builds back in step.
 *
 * So a changed entry costs its own member, plus the neighbouring one when its size change moves a
 * cut; added and removed entries likewise. The end-of-archive blocks join the last member.
 * The rule and its sizes are part of the output format, like the parallel gzip's block size:
 * changing them changes the digest of every layer written with members.
 */
import { createHash } from 'node:crypto';
import { BLOCK } from './tar/header.js';

/**
 * Mean uncompressed size of a member of small entries: large enough that deflate loses little
 * (each member starts without the 32 KiB before it as dictionary: +0.15% on the benchmark tree),
 * small enough to compress in parallel and to keep what one change costs small.
 */
export const MEMBER_TARGET = 1 << 20;
/** Entries with at least this much data are cut into members of their own. */
export const LARGE_ENTRY = 1 << 20;
/** Piece size inside a large entry (the same as the parallel gzip block). */
export const PIECE = 1 << 20;
/** A member of small entries ends at the next entry once it holds this much. */
export const MEMBER_LIMIT = 4 << 20;

/** A member's uncompressed bytes and the entries they belong to. */
export interface TarMember {
  /** The bytes, in order; their total is `size`. */
  parts: Buffer[];
  size: number;
  /** The first and last entries with bytes in this member. */
  first: string;
  last: string;
  /** All the bytes in one buffer, when they fit in the member's slab (no joining needed). */
  data?: Buffer;
  /** Gives the member's slab back for a later member: call once nothing reads `parts` or `data` any more. */
  release(): void;
}

/**
 * Members are gathered in reused slabs rather than in a buffer per file: a 200 MB layer
 * otherwise leaves 200 MB of dead buffers behind, which V8 frees only when its external memory
 * has grown by 64 MB (the peak RSS of a 200 MB COPY went up by as much), and every member had to
 * be joined into one buffer for hashing and deflating anyway. Most members fit (they average
 * MEMBER_TARGET); one that does not keeps its other parts as they came.
 */
const SLAB_SIZE = 2 * MEMBER_TARGET;
/** Enough for the members being hashed and deflated at once; more are left to the GC. */
const SPARE_SLABS = 8;
const spareSlabs: Buffer[] = [];

function takeSlab(): Buffer {
  return spareSlabs.pop() ?? Buffer.allocUnsafe(SLAB_SIZE);
}

function giveSlab(slab: Buffer): void {
  if (spareSlabs.length < SPARE_SLABS && !spareSlabs.includes(slab)) spareSlabs.push(slab);
}

/** Whether the hash rule ends a member after this entry. */
export function endsMember(name: string, size: number): boolean {
  const draw = createHash('sha256').update(name).digest().readUInt32BE(0) / 2 ** 32;
  return draw < (BLOCK + size) / MEMBER_TARGET;
}

/** Cuts the tar stream into members, told where each entry starts (see TarSink in writer.ts). */
export class MemberCutter {
  private parts: Buffer[] = [];
  private size = 0;
  private first = '';
  private last = '';
  /** The current entry ends its member. */
  private cutAfter = false;
  /** The current entry is large: it is cut every PIECE bytes. */
  private large = false;
  /** Bytes of the current entry so far. */
  private intoEntry = 0;
  /** The current member's slab, filled up to `filled`, while every part so far is in it. */
  private slab = takeSlab();
  private filled = 0;
  private contiguous = true;

  /**
   * A buffer of `size` bytes for the writer to read the next bytes into: room in the slab when
   * there is some, so that passing it to bytes() costs no copy.
   */
  alloc(size: number): Buffer {
    return this.contiguous && this.filled + size <= this.slab.length ? this.slab.subarray(this.filled, this.filled + size) : Buffer.allocUnsafe(size);
  }

  entry(name: string, size: number): TarMember[] {
    const large = size >= LARGE_ENTRY;
    const done = this.cutAfter || large || this.size >= MEMBER_LIMIT ? this.cut() : [];
    this.large = large;
    this.intoEntry = 0;
    this.cutAfter = large || endsMember(name, size);
    if (this.size === 0) this.first = name;
    this.last = name;
    return done;
  }

  bytes(data: Buffer): TarMember[] {
    if (!this.large) {
      this.add(data);
      return [];
    }
    const done: TarMember[] = [];
    let at = 0;
    while (at < data.length) {
      const n = Math.min(data.length - at, PIECE - (this.intoEntry % PIECE));
      this.add(data.subarray(at, at + n));
      this.intoEntry += n;
      at += n;
      if (this.intoEntry % PIECE === 0) done.push(...this.cut());
    }
    return done;
  }

  end(): TarMember[] {
    const last = this.cut();
    giveSlab(this.slab);
    return last;
  }

  private add(data: Buffer): void {
    if (data.length === 0) return;
    let part = data;
    if (this.contiguous) {
      const at = this.filled;
      const inPlace = data.buffer === this.slab.buffer && data.byteOffset === this.slab.byteOffset + at;
      if (inPlace || at + data.length <= this.slab.length) {
        if (!inPlace) data.copy(this.slab, at);
        part = this.slab.subarray(at, at + data.length);
        this.filled += data.length;
      } else {
        this.contiguous = false;
      }
    }
    this.parts.push(part);
    this.size += data.length;
  }

  /** The member so far (none if it is empty); what follows belongs to the current entry. */
  private cut(): TarMember[] {
    if (this.size === 0) return [];
    const slab = this.slab;
    const member: TarMember = { parts: this.parts, size: this.size, first: this.first, last: this.last, release: () => giveSlab(slab) };
    if (this.contiguous) member.data = slab.subarray(0, this.filled);
    this.slab = takeSlab();
    this.filled = 0;
    this.contiguous = true;
    this.parts = [];
    this.size = 0;
    this.first = this.last;
    return [member];
  }
}
