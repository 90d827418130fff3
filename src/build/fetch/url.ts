/**
 * ADD <http(s) URL>: the download, done as BuildKit's http source does it (source/http/source.go,
 * `save`): the body streamed to one file, hashed (sha256) on the way, mode 0600, mtime from
 * Last-Modified or the epoch, redirects followed. Not retried: BuildKit does not retry it either,
 * and the registry's retry loop (registry/retry.ts) speaks in registry errors.
 */
import { randomBytes, createHash, type Hash } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { chmod, mkdir, open, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Dispatcher } from 'undici';
import { envProxyAgentClass, request } from '../../registry/undici.js';
import { DigestStream } from '../../layer/digest.js';
import { errorText } from '../../registry/transport.js';
import { ChecksumMismatchError, FetchError, redactUrl } from './errors.js';

export interface Download {
  /** The file in `dir` (a name of its own, so downloads sharing a directory never collide). */
  path: string;
  /** The name the file takes at a directory destination (`ADD <url> /dir/`). */
  name: string;
  /** Seconds since the epoch from Last-Modified, if the server sent one (the file then has it; else 0, as BuildKit). */
  mtime?: number;
  size: number;
  /** `sha256:<hex>` of the content. */
  digest: string;
}

export interface DownloadOptions {
  /** ADD --checksum: `sha256:`, `sha384:` or `sha512:` and the hex digest the content must have. */
  checksum?: string;
  signal?: AbortSignal;
  onProgress?: (received: number, total: number | undefined) => void;
}

/** Go's http.Client gives up after 10 redirects; BuildKit uses it as it comes. */
const MAX_REDIRECTS = 10;

/** BuildKit writes the downloaded file with this mode (`perm := 0600`) unless told otherwise. */
const DOWNLOAD_MODE = 0o600;

const CHECKSUM_HEX: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

interface Checksum {
  algorithm: string;
  text: string;
}

/** Downloads `url` into a new file in `dir` (created if missing); nothing is left there on failure. */
export async function downloadUrl(url: string, dir: string, options: DownloadOptions = {}): Promise<Download> {
  const shown = redactUrl(url);
  const checksum = options.checksum === undefined ? undefined : parseChecksum(options.checksum, shown);
  const target = httpUrl(url, shown);
  // Proxies from HTTP_PROXY / HTTPS_PROXY / NO_PROXY, as Go's default transport under BuildKit
  // reads them. One agent per download: nothing stays connected afterwards.
  const dispatcher = new (envProxyAgentClass())();
  try {
    const response = await get(target, shown, dispatcher, options.signal);
    await mkdir(dir, { recursive: true });
    return await save(response, join(dir, `download-${randomBytes(8).toString('hex')}`), fileName(url), shown, checksum, options);
  } finally {
    await dispatcher.destroy();
  }
}

/**
 * The name an ADD of this URL gets at a directory destination. The Dockerfile frontend always
 * names the file (dockerfile2llb: `llb.Filename(path.Base(u.Path))`, `__unnamed__` when that
 * is "." or "/"), so the http source never looks at Content-Disposition nor at where redirects
 * led; the http source then passes the name through pathutil.SafeFileName.
 */
export function fileName(url: string): string {
  let base = '__unnamed__';
  const path = goUrlPath(url);
  if (path !== undefined) {
    const b = goPathBase(path);
    if (b !== '.' && b !== '/') base = b;
  }
  return safeFileName(base);
}

/**
 * The path as Go's url.Parse reports it (`u.Path`): percent-decoded but not normalised, so `..`
 * segments stay (WHATWG's URL would remove them). Undefined where Go fails to parse.
 */
function goUrlPath(url: string): string | undefined {
  const raw = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*([^?#]*)/.exec(url)?.[1] ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** Go's path.Base: trailing slashes dropped, then the last element; "." for "", "/" for slashes only. */
function goPathBase(path: string): string {
  if (path === '') return '.';
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** BuildKit's pathutil.SafeFileName: trimmed, last element only, and `download` for anything unusable. */
function safeFileName(name: string): string {
  const trimmed = name.trim();
  const base = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  if (base === '' || base === '.' || base === '..' || /[\x00-\x1f\x7f]/.test(base)) return 'download';
  return base;
}

function parseChecksum(text: string, shown: string): Checksum {
  const m = /^([a-z0-9]+):([a-f0-9]+)$/.exec(text);
  const want = m ? CHECKSUM_HEX[m[1]!] : undefined;
  if (!m || want === undefined || m[2]!.length !== want) {
    throw new FetchError(`ADD ${shown}: invalid --checksum '${text}': expected sha256:, sha384: or sha512: and the lowercase hex digest`, shown);
  }
  return { algorithm: m[1]!, text };
}

function httpUrl(url: string, shown: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FetchError(`ADD ${shown}: not a valid URL`, shown);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new FetchError(`ADD ${shown}: only http and https URLs can be downloaded`, shown);
  return parsed;
}

/**
 * GET with redirects followed by hand (undici 7's request does not follow them). Credentials in
 * the URL go out as basic auth on the first request only, as Go sends them, never to where a
 * redirect leads.
 */
async function get(first: URL, shown: string, dispatcher: Dispatcher, signal: AbortSignal | undefined): Promise<Dispatcher.ResponseData> {
  const headers: Record<string, string> = { 'user-agent': 'hull' };
  let target = first;
  if (first.username !== '' || first.password !== '') {
    const user = `${decodeURIComponent(first.username)}:${decodeURIComponent(first.password)}`;
    headers.authorization = `Basic ${Buffer.from(user).toString('base64')}`;
    target = new URL(first.href);
    target.username = '';
    target.password = '';
  }
  for (let redirects = 0; ; redirects++) {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(target, { dispatcher, method: 'GET', headers, ...(signal && { signal }) });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new FetchError(`ADD ${shown}: cannot reach the server: ${errorText(err)}`, shown);
    }
    const location = res.headers.location;
    if (res.statusCode >= 300 && res.statusCode < 400 && typeof location === 'string') {
      await res.body.dump();
      if (redirects >= MAX_REDIRECTS) throw new FetchError(`ADD ${shown}: stopped after ${MAX_REDIRECTS} redirects`, shown);
      target = new URL(location, target);
      if (target.protocol !== 'http:' && target.protocol !== 'https:') {
        throw new FetchError(`ADD ${shown}: redirected to a ${target.protocol} URL, which cannot be downloaded`, shown);
      }
      delete headers.authorization;
      continue;
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      await res.body.dump();
      const reason = res.statusText || STATUS_CODES[res.statusCode] || '';
      throw new FetchError(`ADD ${shown}: the server answered ${res.statusCode}${reason ? ` ${reason}` : ''}`, shown, { status: res.statusCode });
    }
    return res;
  }
}

/** Hashes with the --checksum algorithm when it is not sha256, and reports progress. */
class Meter extends Transform {
  private received = 0;

  constructor(
    private readonly hash: Hash | undefined,
    private readonly total: number | undefined,
    private readonly onProgress: DownloadOptions['onProgress'],
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash?.update(chunk);
    this.received += chunk.length;
    this.onProgress?.(this.received, this.total);
    callback(null, chunk);
  }
}

async function save(
  res: Dispatcher.ResponseData,
  path: string,
  name: string,
  shown: string,
  checksum: Checksum | undefined,
  options: DownloadOptions,
): Promise<Download> {
  const length = Number(res.headers['content-length']);
  const total = Number.isSafeInteger(length) && length >= 0 ? length : undefined;
  const digest = new DigestStream();
  const other = checksum && checksum.algorithm !== 'sha256' ? createHash(checksum.algorithm) : undefined;
  const meter = new Meter(other, total, options.onProgress);
  const file = await open(path, 'wx', DOWNLOAD_MODE);
  try {
    await pipeline(res.body, digest, meter, file.createWriteStream());
    if (checksum) {
      const actual = other ? `${checksum.algorithm}:${other.digest('hex')}` : digest.digest;
      if (actual !== checksum.text) throw new ChecksumMismatchError(shown, checksum.text, actual);
    }
    const mtime = lastModified(res.headers['last-modified']);
    // The umask must not decide the mode BuildKit fixes.
    await chmod(path, DOWNLOAD_MODE);
    await utimes(path, mtime ?? 0, mtime ?? 0);
    return { path, name, ...(mtime !== undefined && { mtime }), size: digest.size, digest: digest.digest };
  } catch (err) {
    await file.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    if (err instanceof FetchError || options.signal?.aborted) throw err;
    throw new FetchError(`ADD ${shown}: the download failed: ${errorText(err)}`, shown);
  }
}

/** Last-Modified (an HTTP date) in whole seconds; undefined when absent or unreadable, as Go's http.ParseTime fails. */
function lastModified(header: string | string[] | undefined): number | undefined {
  const text = Array.isArray(header) ? header[0] : header;
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}
