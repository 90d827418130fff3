/**
 * Retries for what the session cannot retry itself, because the failure comes after it has
 * answered: a streamed upload body (sent once, session.ts) cut by a reset, a 5xx or 429 in the
 * middle of a push, or a blob download whose body breaks off during a pull. The policy and the
 * delays (backoff with jitter, Retry-After) are the transport's.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryError } from '../errors.js';
import { header } from './push-http.js';
import type { SessionResponse } from './session.js';
import { isTransient, retryDelay, type RetryPolicy } from './transport.js';

/** A failure worth trying again: the registry asked us to wait, had a transient fault, or the connection broke. */
export class TransientError extends RegistryError {
  override name = 'TransientError';
  /** The registry's Retry-After, as sent. */
  readonly retryAfter: string | undefined;

  constructor(message: string, details: { status?: number; code?: string; retryAfter?: string } = {}) {
    super(message, details);
    this.retryAfter = details.retryAfter;
  }
}

/** The TransientError for a retryable status (see transport's isRetryableStatus), keeping its Retry-After. */
export function transientError(response: SessionResponse, what: string): TransientError {
  const retryAfter = header(response, 'retry-after');
  return new TransientError(`${what}: the registry answered ${response.status}`, {
    status: response.status,
    ...(retryAfter === undefined ? {} : { retryAfter }),
  });
}

/**
 * Whether `err` is worth another attempt: our TransientError, or a network failure (undici and
 * node raise plain Errors with a `code` for resets and timeouts). A RegistryError that is not
 * transient (a 400 DIGEST_INVALID, a 401/403) will not change by asking again.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof TransientError) return true;
  // The session reports a reset of a streamed body as "cannot reach" (it cannot resend a
  // stream); push can, so a reset or timeout underneath is still worth another attempt.
  if (err instanceof RegistryError) return err.status === undefined && isTransient(err.cause);
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
      if (!isRetryable(err) || n + 1 >= policy.attempts || signal?.aborted) throw finalError(err, n, what);
      const delay = retryDelay(n, err instanceof TransientError ? err.retryAfter : undefined, policy);
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
