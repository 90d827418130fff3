/**
 * The seam between the registry's protocol code (pull, push) and its plumbing (hosts, TLS,
 * mirrors, authentication, retries). Pull and push speak only through a RepositorySession;
 * the client in this folder makes one per repository.
 */
import type { Readable } from 'node:stream';

/** What a request needs from the registry's access control: a pull, or a push (which implies pull). */
export type Access = 'pull' | 'push';

export interface SessionRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /**
   * A path relative to the repository's API root (`manifests/latest`, `blobs/sha256:…`,
   * `blobs/uploads/`), or an absolute URL or absolute path as a registry returned it (an upload
   * `Location`, a redirect to blob storage).
   */
  path: string;
  query?: Readonly<Record<string, string>>;
  headers?: Readonly<Record<string, string>>;
  /** A request body; a stream is sent once and never retried by the session. */
  body?: Buffer | string | Readable;
  access: Access;
  /** Whether the session may retry this request on a reset, timeout, 5xx or 429 (default: GET/HEAD/PUT of a Buffer). */
  retry?: boolean;
  /** Cross-repository mount source: the session also asks for pull access to this repository. */
  alsoPullFrom?: string;
}

export interface SessionResponse {
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Readable;
  /** The URL that answered (after redirects): `Location` headers are resolved against it. */
  url: string;
}

/** One repository (`library/alpine`) on one registry (`docker.io`, `localhost:5000`). */
export interface RepositorySession {
  readonly registry: string;
  readonly repository: string;
  /**
   * Sends the request, authenticating as the registry demands (a 401 challenge is answered
   * and the request sent again), following redirects for GET/HEAD, retrying as allowed. Any
   * status is returned to the caller except a final 401/403, which becomes a RegistryError.
   */
  request(request: SessionRequest): Promise<SessionResponse>;
}
