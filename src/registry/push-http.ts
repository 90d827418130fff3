/**
 * Small helpers push needs around a SessionResponse: reading a header, discarding a body,
 * turning a refusal into a RegistryError that names the registry's own error code, and
 * resolving the `Location` an upload moves to.
 */
import { RegistryError } from '../errors.js';
import { readErrorBody } from './errors.js';
import type { SessionResponse } from './session.js';

/** A response header as one string (the first value when repeated); names are matched case-insensitively. */
export function header(response: SessionResponse, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(response.headers)) {
    if (key.toLowerCase() !== wanted) continue;
    return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/** Reads and drops a body we do not need, so the connection goes back to the pool. */
export async function drain(response: SessionResponse): Promise<void> {
  try {
    for await (const _ of response.body) void _;
  } catch {
    // A body that breaks while being discarded changes nothing about the answer we already have.
  }
}

/**
 * The RegistryError for an unexpected answer. The registry's `{"errors":[{code,message}]}`
 * gives the code and the reason; anything else falls back to the HTTP status.
 */
export async function refusal(response: SessionResponse, what: string): Promise<RegistryError> {
  const { text, errors } = await readErrorBody(response.body).catch(() => ({ text: '', errors: [] }));
  const first = errors[0];
  const reason = first ? (first.message ? `${first.code}: ${first.message}` : first.code) : text.trim().slice(0, 200);
  const detail = reason ? ` (${reason})` : '';
  return new RegistryError(`${what}: the registry answered ${response.status}${detail}`, first ? { status: response.status, code: first.code } : { status: response.status });
}

/**
 * Where an upload continues: `Location` may be absolute, or a path relative to the URL that
 * answered (distribution sends absolute ones, others relative ones), so it is resolved here.
 */
export function uploadLocation(response: SessionResponse, what: string): string {
  const location = header(response, 'location');
  if (!location) throw new RegistryError(`${what}: the registry answered ${response.status} without a Location`, { status: response.status });
  return new URL(location, response.url).toString();
}

/** Adds query parameters to an absolute upload URL, keeping the ones it already has (the upload state). */
export function withQuery(url: string, query: Readonly<Record<string, string>>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u.toString();
}

/** The end (exclusive) of a `Range: 0-N` header, i.e. how many bytes the registry holds; undefined if absent or malformed. */
export function rangeEnd(response: SessionResponse): number | undefined {
  const range = header(response, 'range');
  const m = range ? /^(?:bytes=)?0-(\d+)$/.exec(range.trim()) : null;
  if (!m) return undefined;
  return Number(m[1]) + 1;
}
