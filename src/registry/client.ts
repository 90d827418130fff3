/**
 * The registry client: `openRepository` makes the RepositorySession pull and push talk
 * through. A session walks the registry's endpoints (mirrors, https, the plain-http fallback
 * of loopback/insecure hosts), authenticates as challenged, follows GET/HEAD redirects (never
 * sending the registry's Authorization to another host), and retries what may be retried.
 */
import { Readable } from 'node:stream';
import { RegistryError } from '../errors.js';
import { parseReference, type ImageReference } from '../image/reference.js';
import { Authenticator } from './auth.js';
import { certsDirs, loadRegistryConfig, type RegistryConfig } from './config.js';
import { getCredentials, type Credentials } from './credentials.js';
import { readErrorBody, registryError } from './errors.js';
import { endpointsFor, type Endpoint } from './hosts.js';
import { TransientError } from './retry.js';
import type { Access, RepositorySession, SessionRequest, SessionResponse } from './session.js';
import {
  AgentPool,
  DEFAULT_RETRY,
  errorCode,
  errorText,
  isCertificateError,
  isNotTls,
  isTlsAlert,
  isRetryableStatus,
  isTransient,
  retryDelay,
  send,
  sleep,
  type RawResponse,
  type RetryPolicy,
} from './transport.js';

export interface ClientOptions {
  env?: NodeJS.ProcessEnv;
  /** Mirrors and insecure hosts (default: read from the config files). */
  config?: RegistryConfig;
  /** certs.d base directories (default: `$HULL_CERTS_D`, else /etc/docker/certs.d and hull's). */
  certsDirs?: string[];
  /** Use these credentials instead of the stored ones (`hull login` verifies with them). */
  credentials?: Credentials;
  retry?: Partial<RetryPolicy>;
  userAgent?: string;
  /** Where docker.io is served (default https://registry-1.docker.io); tests point it at a loopback registry. */
  hubEndpoint?: string;
}

const MAX_REDIRECTS = 5;

/** Shared state across sessions: agents (keep-alive), authenticators (token caches), endpoint choices. */
export class RegistryClient {
  private readonly agents = new AgentPool();
  private readonly authenticators = new Map<string, Authenticator>();
  /** The endpoint URL that last answered, per registry and access: tried first next time. */
  private readonly preferred = new Map<string, string>();
  private configPromise: Promise<RegistryConfig> | undefined;
  readonly retry: RetryPolicy;
  readonly env: NodeJS.ProcessEnv;

  constructor(private readonly options: ClientOptions = {}) {
    this.env = options.env ?? process.env;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  /** A session for a reference (`alpine`, `127.0.0.1:5000/x:1`) or a registry and repository. */
  openRepository(target: string | ImageReference | { registry: string; repository: string }): RepositorySession {
    const { registry, repository } = typeof target === 'string' ? fromReference(parseReference(target)) : 'registry' in target ? target : fromReference(target);
    return new Session(this, registry, repository);
  }

  async close(): Promise<void> {
    await this.agents.close();
  }

  /** @internal */
  async endpoints(registry: string, access: Access): Promise<Endpoint[]> {
    this.configPromise ??= this.options.config ? Promise.resolve(this.options.config) : loadRegistryConfig(this.env);
    const list = await endpointsFor(registry, await this.configPromise, this.options.certsDirs ?? certsDirs(this.env), access, this.options.hubEndpoint);
    const first = this.preferred.get(`${registry} ${access}`);
    const i = list.findIndex((e) => e.url === first);
    return i <= 0 ? list : [list[i]!, ...list.slice(0, i), ...list.slice(i + 1)];
  }

  /** @internal */
  remember(registry: string, access: Access, endpoint: Endpoint): void {
    this.preferred.set(`${registry} ${access}`, endpoint.url);
  }

  /** @internal Whether `endpoint` has answered for this registry before. */
  proven(registry: string, access: Access, endpoint: Endpoint): boolean {
    return this.preferred.get(`${registry} ${access}`) === endpoint.url;
  }

  /** @internal The authenticator of one endpoint (a mirror challenges on its own terms). */
  authenticator(registry: string, endpoint: Endpoint): Authenticator {
    const key = `${registry} ${endpoint.url}`;
    let auth = this.authenticators.get(key);
    if (!auth) {
      const fixed = this.options.credentials;
      // A mirror is another service: Docker Hub credentials are not sent to it.
      const load = endpoint.mirror ? async () => undefined : fixed ? async () => fixed : () => getCredentials(registry, this.env);
      auth = new Authenticator(registry, load, (url, init) => this.fetchText(url, init, endpoint));
      this.authenticators.set(key, auth);
    }
    return auth;
  }

  /** @internal */
  dispatcher(endpoint: Endpoint | undefined): ReturnType<AgentPool['get']> {
    return this.agents.get(endpoint);
  }

  get userAgent(): string {
    return this.options.userAgent ?? 'hull/0.1';
  }

  /** Token requests: the realm's host gets the endpoint's TLS settings only when it is the same origin. */
  private async fetchText(url: string, init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }, endpoint: Endpoint): Promise<{ status: number; text: string }> {
    const sameOrigin = new URL(url).origin === new URL(endpoint.url).origin;
    const dispatcher = this.agents.get(sameOrigin ? endpoint : undefined);
    let res: RawResponse;
    try {
      res = await send(dispatcher, url, { method: init.method, headers: { ...init.headers, 'user-agent': this.userAgent }, ...(init.body !== undefined && { body: init.body }) });
    } catch (err) {
      throw new RegistryError(`cannot reach the token server ${new URL(url).origin}: ${errorText(err)}`);
    }
    const { text } = await readErrorBody(res.body);
    return { status: res.status, text };
  }
}

function fromReference(ref: ImageReference): { registry: string; repository: string } {
  return { registry: ref.domain, repository: ref.path };
}

class Session implements RepositorySession {
  constructor(
    private readonly client: RegistryClient,
    readonly registry: string,
    readonly repository: string,
  ) {}

  async request(req: SessionRequest): Promise<SessionResponse> {
    const endpoints = await this.client.endpoints(this.registry, req.access);
    const failures: string[] = [];
    /** The https endpoint whose failure sent us on to its plain-HTTP fallback. */
    let tlsFailure: { endpoint: Endpoint; err: unknown } | undefined;
    for (let i = 0; i < endpoints.length; i++) {
      const endpoint = endpoints[i]!;
      const last = i === endpoints.length - 1;
      let res: SessionResponse;
      try {
        res = await this.viaEndpoint(endpoint, req);
      } catch (err) {
        if (err instanceof RegistryError || last || req.body instanceof Readable) {
          if (err instanceof RegistryError) throw err;
          throw this.unreachable(endpoint, err, failures);
        }
        if (!endpoint.mirror && !isNotTls(err) && !isTransient(err) && errorCode(err) !== 'ECONNREFUSED') throw this.unreachable(endpoint, err, failures);
        // A reset on the endpoint that has been answering is that endpoint's trouble: moving on to
        // the other scheme would only report a misleading TLS error.
        if (!endpoint.mirror && isTransient(err) && this.client.proven(this.registry, req.access, endpoint)) throw this.unreachable(endpoint, err, failures);
        failures.push(`${endpoint.url}: ${errorText(err)}`);
        tlsFailure = endpoint.url.startsWith('https:') ? { endpoint, err } : undefined;
        continue;
      }
      if (tlsFailure && res.status === 400 && endpoint.url.startsWith('http:')) {
        // Go's net/http (distribution) answers plain HTTP on a TLS port with this 400: the port
        // speaks TLS, so the https failure (typically a handshake the registry cut off for want
        // of a client certificate) is the error to report, not "bad request".
        const { text } = await readErrorBody(res.body);
        if (/HTTP request to an HTTPS server/i.test(text)) throw this.unreachable(tlsFailure.endpoint, tlsFailure.err, [], true);
        res = { ...res, body: Readable.from([Buffer.from(text)]) };
      }
      // A mirror that cannot serve this (not cached, private, broken) hands over to the next endpoint.
      if (endpoint.mirror && !last && res.status >= 400) {
        failures.push(`${endpoint.url}: HTTP ${res.status}`);
        res.body.resume();
        continue;
      }
      this.client.remember(this.registry, req.access, endpoint);
      return res;
    }
    /* c8 ignore next */
    throw new RegistryError(`no endpoint for ${this.registry}`);
  }

  /** `speaksTls`: the endpoint is known to speak TLS, so a connection it dropped was a refused handshake. */
  private unreachable(endpoint: Endpoint, err: unknown, failures: readonly string[], speaksTls = false): RegistryError {
    const refused = isTlsAlert(err) || (speaksTls && isTransient(err));
    const advice = isCertificateError(err)
      ? `\n  the TLS certificate of ${this.registry} does not verify: put its CA in /etc/docker/certs.d/${this.registry}/ca.crt (or hull's certs.d)`
      : refused && endpoint.tls?.cert === undefined
        ? `\n  ${this.registry} refused the TLS handshake; if it requires a client certificate, put client.cert and client.key in /etc/docker/certs.d/${this.registry}/ (or hull's certs.d)`
        : refused
          ? `\n  ${this.registry} refused the TLS handshake: check the client certificate in certs.d/${this.registry}/`
          : '';
    const earlier = failures.length > 0 ? ` (also tried ${failures.join('; ')})` : '';
    const unreachable = new RegistryError(`cannot reach ${this.registry} at ${endpoint.url}: ${errorText(err)}${earlier}${advice}`);
    // Kept so a caller that can send the request again (push reopens a blob stream the session cannot) sees a reset as a reset.
    unreachable.cause = err;
    return unreachable;
  }

  /** One endpoint: authentication, redirects and retries. */
  private async viaEndpoint(endpoint: Endpoint, req: SessionRequest): Promise<SessionResponse> {
    const auth = this.client.authenticator(this.registry, endpoint);
    // An empty repository is the registry itself (`GET /v2/` for `hull login`): no repository scope.
    const scopes = this.repository === '' ? [] : [`repository:${this.repository}:${req.access === 'push' ? 'pull,push' : 'pull'}`];
    if (req.alsoPullFrom !== undefined) scopes.push(`repository:${req.alsoPullFrom}:pull`);
    const retryAllowed = req.retry ?? (req.method === 'GET' || req.method === 'HEAD' || (req.method === 'PUT' && !(req.body instanceof Readable)));
    const policy = this.client.retry;
    let url = this.resolve(endpoint, req);
    let challenges = 0;
    let redirects = 0;
    let attempt = 0;
    for (;;) {
      const sameOrigin = new URL(url).origin === new URL(endpoint.url).origin;
      const headers: Record<string, string> = { 'user-agent': this.client.userAgent, ...req.headers };
      const authorization = sameOrigin ? await auth.authorization(scopes) : undefined;
      if (authorization !== undefined) headers.authorization = authorization;
      let res: RawResponse;
      try {
        res = await send(this.client.dispatcher(sameOrigin ? endpoint : undefined), url, {
          method: req.method,
          headers,
          ...(req.body !== undefined && { body: req.body }),
        });
      } catch (err) {
        if (retryAllowed && isTransient(err) && attempt + 1 < policy.attempts) {
          await sleep(retryDelay(attempt++, undefined, policy));
          continue;
        }
        throw err;
      }
      if (res.status === 401 && sameOrigin && req.body instanceof Readable && authorization?.startsWith('Bearer ') === true) {
        // A token that ran out in the middle of a push (its expiry is the registry's to judge, on
        // its own clock): the stream is spent, so the caller, who can open it again, retries;
        // the refused token is dropped so that retry asks for a new one.
        if (!(await auth.challenged(res.headers['www-authenticate'], scopes, authorization))) throw await this.authError(401, endpoint, auth.hasCredentials(), res);
        res.body.resume();
        throw new TransientError(`${this.registry}/${this.repository}: the registry refused the token in the middle of an upload (${req.method}); sending it again with a new one`, { status: 401 });
      }
      if (res.status === 401 && sameOrigin && challenges < 2 && !(req.body instanceof Readable)) {
        const again = await auth.challenged(res.headers['www-authenticate'], scopes, authorization);
        res.body.resume();
        challenges++;
        // Sending again helps only if something different will be sent.
        if (again && (authorization !== undefined || (await auth.authorization(scopes)) !== undefined)) continue;
        throw await this.authError(401, endpoint, auth.hasCredentials(), res);
      }
      if (res.status === 401 || res.status === 403) throw await this.authError(res.status, endpoint, auth.hasCredentials(), res);
      const location = res.headers.location;
      if ((req.method === 'GET' || req.method === 'HEAD') && res.status >= 300 && res.status < 400 && typeof location === 'string') {
        res.body.resume();
        if (++redirects > MAX_REDIRECTS) throw new RegistryError(`${this.registry}/${this.repository}: more than ${MAX_REDIRECTS} redirects for ${req.path}`);
        url = new URL(location, url).href;
        continue;
      }
      if (retryAllowed && isRetryableStatus(res.status) && attempt + 1 < policy.attempts) {
        res.body.resume();
        await sleep(retryDelay(attempt++, res.headers['retry-after'], policy));
        continue;
      }
      return { status: res.status, headers: res.headers, body: res.body, url };
    }
  }

  private async authError(status: number, endpoint: Endpoint, hasCredentials: Promise<boolean>, res: RawResponse): Promise<RegistryError> {
    const { errors } = await readErrorBody(res.body);
    const err = registryError(status, errors, `${this.registry}/${this.repository}`, this.registry);
    if (status === 401 && !(await hasCredentials)) return new RegistryError(`${err.message.split('\n')[0]}\n  no credentials are stored for ${this.registry}: run 'hull login ${this.registry}'`, { status, ...(err.code !== undefined && { code: err.code }) });

    return err;
  }

  private resolve(endpoint: Endpoint, req: SessionRequest): string {
    const url = /^https?:\/\//.test(req.path)
      ? new URL(req.path)
      : req.path.startsWith('/')
        ? new URL(req.path, endpoint.url)
        : new URL(`${endpoint.url}/v2/${this.repository}/${req.path}`);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    return url.href;
  }
}


let defaultClient: RegistryClient | undefined;

/** A session through a process-wide client (shared agents and tokens), or through `options.client`. */
export function openRepository(
  target: string | ImageReference | { registry: string; repository: string },
  options: { client?: RegistryClient } = {},
): RepositorySession {
  const client = options.client ?? (defaultClient ??= new RegistryClient());
  return client.openRepository(target);
}
