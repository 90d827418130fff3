/**
 * The HTTP layer under a session: one keep-alive undici Agent per endpoint (with its TLS
 * settings), retries with exponential backoff and jitter on resets, timeouts, 5xx and 429
 * (honouring Retry-After), and which failures mean "try the next endpoint".
 */
import type { Readable } from 'node:stream';
import type { Agent, Dispatcher } from 'undici';
import { agentClass, request } from './undici.js';
import { connectOptions, type Endpoint } from './hosts.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest Retry-After honoured; a registry asking for more gets this. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 10_000, maxRetryAfterMs: 60_000 };

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

/** Agents by endpoint URL and TLS settings, shared by every session of one client. */
export class AgentPool {
  private readonly agents = new Map<string, Agent>();

  get(endpoint: Pick<Endpoint, 'url' | 'tls'> | undefined): Dispatcher {
    const key = endpoint ? `${new URL(endpoint.url).origin} ${JSON.stringify(endpoint.tls ?? null)}` : 'default';
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new (agentClass())({ keepAliveTimeout: 30_000, connect: connectOptions(endpoint?.tls) });
      this.agents.set(key, agent);
    }
    return agent;
  }

  async close(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map((a) => a.close()));
  }
}

export async function send(
  dispatcher: Dispatcher,
  url: string,
  init: { method: string; headers: Record<string, string>; body?: Buffer | string | Readable },
): Promise<RawResponse> {
  const res = await request(url, {
    dispatcher,
    method: init.method as Dispatcher.HttpMethod,
    headers: init.headers,
    ...(init.body !== undefined && { body: init.body }),
  });
  return { status: res.statusCode, headers: res.headers, body: res.body };
}

const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** A reset or timeout: the same endpoint may answer next time. */
export function isTransient(err: unknown): boolean {
  return RETRYABLE_CODES.has(errorCode(err));
}

/** The server does not speak TLS there (a plain-HTTP registry): try its http:// endpoint. */
export function isNotTls(err: unknown): boolean {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : '';
  // An alert is the server speaking TLS and refusing us (e.g. no client certificate): plain HTTP cannot help.
  if (isTlsAlert(err)) return false;
  return code === 'EPROTO' || code.startsWith('ERR_SSL_') || /wrong version number|packet length too long|unknown protocol/i.test(message);
}

/** The server sent a TLS alert (`ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE`, `…_TLSV13_ALERT_CERTIFICATE_REQUIRED`): it refused the handshake. */
export function isTlsAlert(err: unknown): boolean {
  return /^ERR_SSL_(SSLV3|TLSV1|TLSV13)_ALERT_/.test(errorCode(err));
}

/** The server's certificate does not verify: trying plain HTTP instead would hide the problem. */
export function isCertificateError(err: unknown): boolean {
  const code = errorCode(err);
  // `…_ALERT_BAD_CERTIFICATE` names our certificate (or its absence), not the server's.
  return !isTlsAlert(err) && /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_CERT_ALTNAME_INVALID/.test(code);
}

export function errorCode(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code !== 'UND_ERR') return code;
    e = (e as Error & { cause?: unknown }).cause;
  }
  return '';
}

export function errorText(err: unknown): string {
  const code = errorCode(err);
  const message = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/** Statuses after which the same request may succeed: a timeout, a rate limit, a server fault. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/** The wait before attempt `attempt + 1`: Retry-After when the registry sent one, else exponential with jitter. */
export function retryDelay(attempt: number, retryAfter: string | string[] | undefined, policy: RetryPolicy, now: number = Date.now()): number {
  const header = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
  if (header !== undefined && header.trim() !== '') {
    const seconds = Number(header);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - now;
    if (Number.isFinite(ms)) return Math.min(Math.max(ms, 0), policy.maxRetryAfterMs);
  }
  const exp = Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxDelayMs);
  // Full jitter in [exp/2, exp]: clients that failed together do not retry together.
  return exp / 2 + Math.random() * (exp / 2);
}

export { setTimeout as sleep } from 'node:timers/promises';
