/**
 * The member index of a gzip layer blob written as independent members (member-gzip.ts): where
 * each member's bytes sit in the tar and in the blob, and the sha256 of its uncompressed bytes.
 * The next build of the same step reads it to copy the members whose bytes did not change
 * instead of deflating them again. The store keeps it beside the blob (Store.putLayerIndex).
 *
 * It is advisory: a missing, damaged or foreign index only means nothing is reused, and every
 * reused member is checked against the blob itself before it is copied.
 */
import { LayerError } from '../errors.js';

/** Names this JSON layout; a different one is never read as this. */
// v2: incompressible parts are stored, not deflated; a v1 blob's members are all deflated, so
// copying them would make a blob that differs from one written afresh.
export const MEMBER_INDEX_FORMAT = 'hull.layer.gzip-members.v2';

/**
 * What decided the compressed bytes of every member. A member is reused only when these match
 * the writer's own, because only then is the copied member byte for byte what deflating the same
 * bytes again would give: the blob is the same whether or not anything was reused.
 */
export interface MemberEncoder {
  /** zlib level. */
  level: number;
  /** zlib's version (`process.versions.zlib`): another version may deflate differently. */
  zlib: string;
}

export interface LayerMember {
  /** Where the member's uncompressed bytes start in the tar, and how many there are. */
  tarOffset: number;
  tarSize: number;
  /** Where the member (header, deflate data, trailer) starts in the blob, and its length. */
  gzOffset: number;
  gzSize: number;
  /**
   * sha256 (hex) of the uncompressed bytes: reuse is decided on it alone, so it must resist
   * collisions even in a context crafted to collide. A collision would copy a member that
   * inflates to other bytes than the tar whose diffID is reported; sha256 rules that out, and
   * costs a fraction of what deflating the same bytes does (xxhash-wasm has no 128-bit hash, and
   * 64 bits are not collision resistant).
   */
  sha256: string;
  /**
   * The first and last tar entries with bytes in the member. Entries come in the writer's fixed
   * order and a member holds a contiguous run of them, so these two name all of it, and the index
   * grows with the members, not with the files (20,000 names would be most of its size).
   */
  first: string;
  last: string;
}

export interface MemberIndex {
  encoder: MemberEncoder;
  /** In blob order: contiguous from 0 in both the tar and the blob. */
  members: LayerMember[];
}

/** A member index that cannot be used; callers treat it as no index. */
export class MemberIndexError extends LayerError {
  override name = 'MemberIndexError';
}

export function serializeMemberIndex(index: MemberIndex): string {
  return `${JSON.stringify({ format: MEMBER_INDEX_FORMAT, encoder: index.encoder, members: index.members })}\n`;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isMember(m: unknown): m is LayerMember {
  return (
    isRecord(m) &&
    isCount(m.tarOffset) &&
    isCount(m.tarSize) &&
    isCount(m.gzOffset) &&
    isCount(m.gzSize) &&
    typeof m.sha256 === 'string' &&
    SHA256_HEX.test(m.sha256) &&
    typeof m.first === 'string' &&
    typeof m.last === 'string'
  );
}

/** Reads an index written by serializeMemberIndex, checking it describes one contiguous blob. */
export function parseMemberIndex(text: string): MemberIndex {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new MemberIndexError(`member index is not JSON: ${(err as Error).message}`);
  }
  if (!isRecord(doc) || doc.format !== MEMBER_INDEX_FORMAT) throw new MemberIndexError(`member index is not ${MEMBER_INDEX_FORMAT}`);
  const { encoder, members } = doc;
  if (!isRecord(encoder) || !isCount(encoder.level) || typeof encoder.zlib !== 'string') throw new MemberIndexError('member index has no valid encoder');
  if (!Array.isArray(members) || members.length === 0) throw new MemberIndexError('member index lists no members');
  const out: LayerMember[] = [];
  let tarEnd = 0;
  let gzEnd = 0;
  for (const [i, m] of members.entries()) {
    if (!isMember(m)) throw new MemberIndexError(`member index: member ${i} is malformed`);
    if (m.tarOffset !== tarEnd || m.gzOffset !== gzEnd || m.tarSize === 0 || m.gzSize === 0) {
      throw new MemberIndexError(`member index: member ${i} is empty or does not start where the one before it ends`);
    }
    tarEnd += m.tarSize;
    gzEnd += m.gzSize;
    out.push({ tarOffset: m.tarOffset, tarSize: m.tarSize, gzOffset: m.gzOffset, gzSize: m.gzSize, sha256: m.sha256, first: m.first, last: m.last });
  }
  return { encoder: { level: encoder.level, zlib: encoder.zlib }, members: out };
}

/** Bytes of the blob the index describes. */
export function indexedBlobSize(index: MemberIndex): number {
  const last = index.members[index.members.length - 1];
  return last ? last.gzOffset + last.gzSize : 0;
}
