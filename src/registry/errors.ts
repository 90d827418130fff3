/**
 * Turning a registry's refusal into a RegistryError that says who refused what and why: the
 * registry, the repository (and tag or digest), the registry's own error JSON
 * (`{"errors":[{"code","message"}]}`), and for 401/403 what to do about it.
 */
import type { Readable } from 'node:stream';
import { RegistryError } from '../errors.js';

export interface RegistryErrorEntry {
  code: string;
  message: string;
}

const MAX_ERROR_BODY = 64 * 1024;

/** Reads at most 64 KiB of an error body (the rest is discarded) and the error entries in it. */
export async function readErrorBody(body: Readable): Promise<{ text: string; errors: RegistryErrorEntry[] }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    if (size < MAX_ERROR_BODY) chunks.push(buf);
    size += buf.length;
  }
  const text = Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY);
  return { text, errors: parseErrors(text) };
}

export function parseErrors(text: string): RegistryErrorEntry[] {
  try {
    const doc = JSON.parse(text) as { errors?: unknown };
    if (!Array.isArray(doc.errors)) return [];
    return doc.errors.flatMap((e: unknown) => {
      if (typeof e !== 'object' || e === null) return [];
      const { code, message } = e as { code?: unknown; message?: unknown };
      return [{ code: typeof code === 'string' ? code : 'UNKNOWN', message: typeof message === 'string' ? message : '' }];
    });
  } catch {
    return [];
  }
}

const STATUS_WORDS: Readonly<Record<number, string>> = {
  400: 'bad request',
  401: 'unauthorized',
  403: 'denied',
  404: 'not found',
  405: 'method not allowed',
  429: 'too many requests',
  500: 'internal server error',
  502: 'bad gateway',
  503: 'service unavailable',
};

/**
 * `manifest unknown: docker.io/library/alpine:nosuchtag` — the registry's message (or the
 * status) first, then what it was about, then advice for authentication failures.
 */
export function registryError(status: number, errors: readonly RegistryErrorEntry[], subject: string, registry: string): RegistryError {
  const first = errors[0];
  const what = first?.message || first?.code.toLowerCase().replace(/_/g, ' ') || STATUS_WORDS[status] || `HTTP ${status}`;
  // A server fault's message ("unknown error") says little without the status that came with it.
  const shown = (status >= 500 || status === 429) && what !== `HTTP ${status}` ? `${what} (HTTP ${status})` : what;
  let message = `${shown}: ${subject}`;
  const more = errors.slice(1).map((e) => e.message || e.code);
  if (more.length > 0) message += ` (also: ${more.join('; ')})`;
  if (status === 401) message += `\n  ${registry} wants credentials: run 'hull login ${registry}' (or check the stored ones)`;
  if (status === 403) message += `\n  the credentials for ${registry} do not grant this access: check 'hull login ${registry}' and the repository's permissions`;
  return new RegistryError(message, { status, ...(first && { code: first.code }) });
}

/** Reads the body of a failed response and makes the error for it. */
export async function responseError(res: { status: number; body: Readable }, subject: string, registry: string): Promise<RegistryError> {
  const { errors } = await readErrorBody(res.body);
  return registryError(res.status, errors, subject, registry);
}
