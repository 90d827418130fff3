/**
 * A minimal RepositorySession for push tests: anonymous, plain HTTP, 127.0.0.1 only. It keeps
 * the session contract push relies on — paths relative to /v2/<repo>/ or absolute, retries
 * (with Retry-After) only for requests that allow them — and nothing else (no auth, no TLS).
 */
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { RepositorySession, SessionRequest, SessionResponse } from '../../src/registry/session.js';

export interface PlainSessionOptions {
  /** Retries of retryable requests (default 3). */
  retries?: number;
  /** Backoff before a retry without Retry-After, in ms (default 50). */
  delayMs?: number;
}

export function plainSession(host: string, repository: string, options: PlainSessionOptions = {}): RepositorySession {
  if (!host.startsWith('127.0.0.1:')) throw new Error(`plainSession talks to 127.0.0.1 only, not ${host}`);
  const base = `http://${host}/v2/${repository}/`;
  const retries = options.retries ?? 3;
  const delayMs = options.delayMs ?? 50;

  const once = async (req: SessionRequest): Promise<SessionResponse> => {
    const url = new URL(req.path, base);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    const res = await request(url, {
      method: req.method,
      headers: { ...req.headers },
      body: req.body ?? null,
    });
    return { status: res.statusCode, headers: res.headers, body: res.body as unknown as Readable, url: url.toString() };
  };

  return {
    registry: host,
    repository,
    async request(req) {
      const retryable = req.retry ?? (req.method === 'GET' || req.method === 'HEAD' || (req.method === 'PUT' && (req.body === undefined || Buffer.isBuffer(req.body) || typeof req.body === 'string')));
      for (let attempt = 0; ; attempt++) {
        let res: SessionResponse;
        try {
          res = await once(req);
        } catch (err) {
          if (!retryable || attempt >= retries) throw err;
          await sleep(delayMs);
          continue;
        }
        if (retryable && attempt < retries && (res.status === 429 || res.status >= 500)) {
          const after = res.headers['retry-after'];
          res.body.resume();
          await sleep(typeof after === 'string' && /^\d+$/.test(after) ? Number(after) * 1000 : delayMs);
          continue;
        }
        return res;
      }
    },
  };
}
