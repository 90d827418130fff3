/**
 * Content digests as OCI defines them (`algorithm:encoded`). hull writes sha256; sha512 is
 * read and verified because the spec registers it and some registries serve it.
 */
import { createHash, type Hash } from 'node:crypto';
import { InvalidDigestError } from './errors.js';

declare const digestBrand: unique symbol;

/**
 * A validated digest string such as `sha256:<64 lowercase hex>`. The brand makes the compiler
 * insist that a string went through `parseDigest` (or a hasher) before it is used as one.
 */
export type Digest = string & { readonly [digestBrand]: true };

export type DigestAlgorithm = 'sha256' | 'sha512';

const HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { sha256: 64, sha512: 128 };

/** The OCI descriptor grammar: `algorithm ":" encoded`, algorithm components joined by `+._-`. */
const GRAMMAR = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

/** Validates `text` as a digest hull can verify; throws InvalidDigestError naming the problem. */
export function parseDigest(text: string): Digest {
  const problem = digestProblem(text);
  if (problem) throw new InvalidDigestError(`invalid digest "${text}": ${problem}`);
  return text as Digest;
}

export function isDigest(text: unknown): text is Digest {
  return typeof text === 'string' && digestProblem(text) === undefined;
}

/** Why `text` is not a digest hull can verify, or undefined when it is one. */
export function digestProblem(text: string): string | undefined {
  const m = GRAMMAR.exec(text);
  if (!m) {
    if (!text.includes(':')) return 'expected algorithm:hex, such as sha256:<64 hex digits>';
    return 'expected algorithm:hex, with a lowercase algorithm name';
  }
  const [, algorithm, encoded] = m as unknown as [string, string, string];
  if (!isAlgorithm(algorithm)) return `unsupported algorithm "${algorithm}" (hull verifies sha256 and sha512)`;
  const want = HEX_LENGTH[algorithm];
  if (!/^[0-9a-fA-F]*$/.test(encoded)) return `the ${algorithm} value must be hexadecimal`;
  if (encoded.length !== want) return `a ${algorithm} digest has ${want} hex digits, this one has ${encoded.length}`;
  if (encoded !== encoded.toLowerCase()) return `the ${algorithm} hex digits must be lowercase`;
  return undefined;
}

function isAlgorithm(name: string): name is DigestAlgorithm {
  return name === 'sha256' || name === 'sha512';
}

export function digestAlgorithm(digest: Digest): DigestAlgorithm {
  return digest.slice(0, digest.indexOf(':')) as DigestAlgorithm;
}

/** The hex part: what names the blob file in an OCI layout. */
export function digestHex(digest: Digest): string {
  return digest.slice(digest.indexOf(':') + 1);
}

/** Docker's short image ID: the first 12 hex digits. */
export function shortDigest(digest: Digest): string {
  return digestHex(digest).slice(0, 12);
}

export function sha256Of(bytes: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;
}

/** Hashes chunks as they stream past and counts their bytes, so nothing is buffered. */
export class DigestHasher {
  readonly algorithm: DigestAlgorithm;
  private readonly hash: Hash;
  private bytes = 0;
  private result: Digest | undefined;

  constructor(algorithm: DigestAlgorithm = 'sha256') {
    this.algorithm = algorithm;
    this.hash = createHash(algorithm);
  }

  update(chunk: Uint8Array): this {
    if (this.result) throw new Error('DigestHasher.update after digest()');
    this.hash.update(chunk);
    this.bytes += chunk.byteLength;
    return this;
  }

  get size(): number {
    return this.bytes;
  }

  /** Finishes the hash; later calls return the same digest. */
  digest(): Digest {
    this.result ??= `${this.algorithm}:${this.hash.digest('hex')}` as Digest;
    return this.result;
  }
}

/** Digest and size of a whole stream (or any async iterable of bytes). */
export async function digestOf(
  source: AsyncIterable<Uint8Array | string>,
  algorithm: DigestAlgorithm = 'sha256',
): Promise<{ digest: Digest; size: number }> {
  const hasher = new DigestHasher(algorithm);
  for await (const chunk of source) hasher.update(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return { digest: hasher.digest(), size: hasher.size };
}
