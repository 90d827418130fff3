import { HullError } from '../errors.js';

/** The local store cannot do what was asked; the message names the path or digest involved. */
export class StoreError extends HullError {
  override name = 'StoreError';
}

/** A blob the store was asked for is not there. */
export class BlobNotFoundError extends StoreError {
  override name = 'BlobNotFoundError';
  readonly digest: string;

  constructor(digest: string, detail = '') {
    super(`blob ${digest} is not in the store${detail}`);
    this.digest = digest;
  }
}

/** Content did not hash (or measure) to what it was announced as; nothing was stored. */
export class DigestMismatchError extends StoreError {
  override name = 'DigestMismatchError';
  readonly expected: { digest?: string; size?: number };
  readonly actual: { digest?: string; size: number };

  constructor(expected: { digest?: string; size?: number }, actual: { digest?: string; size: number }, what = 'blob') {
    const parts: string[] = [];
    if (expected.digest !== undefined && actual.digest !== undefined && expected.digest !== actual.digest) {
      parts.push(`expected digest ${expected.digest}, got ${actual.digest}`);
    }
    if (expected.size !== undefined && expected.size !== actual.size) {
      parts.push(`expected ${expected.size} bytes, got ${actual.digest === undefined ? 'more than that' : actual.size}`);
    }
    super(`${what} does not match its descriptor: ${parts.join('; ')}`);
    this.expected = expected;
    this.actual = actual;
  }
}

/** A lock was not released by a live holder within the time allowed. */
export class LockTimeoutError extends StoreError {
  override name = 'LockTimeoutError';
}

/** The filesystem holding the store is full (ENOSPC) or over quota (EDQUOT): the machine's state, not a bug. */
export class NoSpaceError extends StoreError {
  override name = 'NoSpaceError';
}

function isNoSpace(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** `err` as a NoSpaceError naming what could not be written, when it is one; else `err` as it is. */
export function noSpaceError(err: unknown, what: string): unknown {
  if (!isNoSpace(err)) return err;
  return new NoSpaceError(`No space left on device: cannot write ${what} (${(err as NodeJS.ErrnoException).code})`);
}
