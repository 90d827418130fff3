import { HullError } from '../../errors.js';

/**
 * An ADD source (a URL or a git repository) that could not be fetched: the message names the
 * source, with any password in it replaced, and what went wrong.
 */
export class FetchError extends HullError {
  override name = 'FetchError';
  /** The source as shown in the message (credentials redacted). */
  readonly source: string;
  /** The HTTP status, when a server answered. */
  readonly status: number | undefined;

  constructor(message: string, source: string, details: { status?: number } = {}) {
    super(message);
    this.source = source;
    this.status = details.status;
  }
}

/** Downloaded content that does not hash to ADD --checksum (or a git commit that does not match it). */
export class ChecksumMismatchError extends FetchError {
  override name = 'ChecksumMismatchError';
  readonly expected: string;
  readonly actual: string;

  constructor(source: string, expected: string, actual: string) {
    super(`ADD ${source}: checksum mismatch: expected ${expected}, got ${actual}`, source);
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * A URL fit for messages and logs: a password is replaced by `xxxxx` and the user name kept, as
 * BuildKit's urlutil.RedactCredentials does. Strings that are not URLs come back unchanged.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.password === '') return url;
  parsed.password = 'xxxxx';
  return parsed.href;
}
