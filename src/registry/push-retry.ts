/**
 * Retries for the requests the session cannot retry itself: a streamed blob body is sent once
 * (session.ts), so a reset, a 5xx or a 429 in the middle of an upload is push's to handle.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryError } from '../errors.js';

export interface RetryPolicy {
  /** Attempts after the first (default 3). */
  retries: number;
  /** The first backoff in ms, doubled per attempt (default 500). */
  baseDelayMs: number;
  /** No wait is longer than this, Retry-After included (default 60 s). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 3, baseDelayMs: 500, maxDelayMs: 60_000 };

/** A failure worth trying again: the registry asked us to wait, had a transient fault, or the connection broke. */
export class TransientError extends RegistryError {
  override name = 'TransientError';
  /** What the registry's Retry-After asked for, in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, details: { status?: number; code?: string; retryAfterMs?: number } = {}) {
    super(message, details);
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** Statuses after which the same request may succeed. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Whether `err` is worth another attempt: our TransientError, or a network failure (undici and
 * node raise plain Errors with a `code` for resets and timeouts). A RegistryError that is not
 * transient (a 400 DIGEST_INVALID, a 401/403) will not change by asking again.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof TransientError) return true;
  if (err instanceof RegistryError) return false;
  return err instanceof Error;
}

export async function withRetries<T>(
  policy: RetryPolicy,
  what: string,
  attempt: (n: number) => Promise<T>,
  onRetry: (err: unknown, n: number, delayMs: number) => void,
  signal?: AbortSignal,
): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!isRetryable(err) || n >= policy.retries || signal?.aborted) throw finalError(err, n, what);
      const backoff = policy.baseDelayMs * 2 ** n;
      const asked = err instanceof TransientError ? err.retryAfterMs : undefined;
      const delay = Math.min(policy.maxDelayMs, asked ?? backoff);
      onRetry(err, n + 1, delay);
      await sleep(delay, undefined, signal ? { signal } : {});
    }
  }
}

/**
 * After the last attempt every failure becomes a RegistryError that says what was being done
 * (which blob or manifest, which repository), the step that failed, and how many tries were made.
 */
function finalError(err: unknown, n: number, what: string): unknown {
  if (!(err instanceof Error)) return err;
  const tries = n > 0 ? ` (gave up after ${n + 1} attempts)` : '';
  const code = err instanceof RegistryError ? undefined : (err as NodeJS.ErrnoException).code;
  const details = err instanceof RegistryError ? { ...(err.status === undefined ? {} : { status: err.status }), ...(err.code === undefined ? {} : { code: err.code }) } : {};
  const wrapped = new RegistryError(`${what}: ${err.message}${code ? ` [${code}]` : ''}${tries}`, details);
  wrapped.cause = err;
  return wrapped;
}
