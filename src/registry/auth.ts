/**
 * Answering a registry's challenge: anonymous first; Basic with stored credentials; or the
 * Bearer token flow (GET realm?service=…&scope=… with Basic credentials when known, or POST
 * an OAuth2 refresh-token form for an `identitytoken`). Tokens are cached per scope set until
 * shortly before `expires_in` runs out, and dropped when the registry challenges again.
 */
import { RegistryError } from '../errors.js';
import { findChallenge, parseChallenges, type Challenge } from './challenge.js';
import type { Credentials } from './credentials.js';

/** A minimal HTTP call for the token endpoint (which may live on another host, e.g. auth.docker.io). */
export type TokenFetch = (url: string, init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }) => Promise<{ status: number; text: string }>;

interface CachedToken {
  token: string;
  /** When to fetch a new one: shortly before it expires. */
  renewAt: number;
}

/** Docker's token spec: a token without `expires_in` lasts 60 seconds. */
const DEFAULT_EXPIRY_S = 60;
/**
 * Renew this long before expiry, so a token does not run out between cache and registry; at
 * most half the token's life, or a short-lived token would be renewed before every request.
 */
const EXPIRY_MARGIN_MS = 5_000;

export class Authenticator {
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private credentialsPromise: Promise<Credentials | undefined> | undefined;

  constructor(
    readonly registry: string,
    private readonly loadCredentials: () => Promise<Credentials | undefined>,
    private readonly fetchToken: TokenFetch,
    private readonly now: () => number = Date.now,
  ) {}

  private credentials(): Promise<Credentials | undefined> {
    this.credentialsPromise ??= this.loadCredentials();
    return this.credentialsPromise;
  }

  /** The Authorization header for a request needing `scopes`, or undefined (anonymous) until challenged. */
  async authorization(scopes: readonly string[]): Promise<string | undefined> {
    const challenge = this.challenge;
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') {
      const creds = await this.credentials();
      if (creds?.username === undefined) return undefined;
      return `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}`;
    }
    const key = scopeKey(scopes);
    const cached = this.tokens.get(key);
    if (cached && cached.renewAt > this.now()) return `Bearer ${cached.token}`;
    const token = await this.requestToken(challenge, scopes);
    this.tokens.set(key, token);
    return `Bearer ${token.token}`;
  }

  /**
   * Learns from a 401's `WWW-Authenticate`; returns whether sending the request again can help
   * (false when the same credentials were already refused).
   */
  async challenged(header: string | string[] | undefined, scopes: readonly string[], sentAuthorization: string | undefined): Promise<boolean> {
    const list = parseChallenges(header);
    const next = findChallenge(list, 'bearer') ?? findChallenge(list, 'basic');
    if (!next) return false;
    this.tokens.delete(scopeKey(scopes));
    const previous = this.challenge;
    this.challenge = next;
    if (sentAuthorization === undefined) return true;
    if (next.scheme === 'basic') return previous?.scheme !== 'basic';
    // A Bearer token refused: expired mid-operation, or for too narrow a scope; one fresh token is worth a try.
    return true;
  }

  /** Whether credentials are stored for this registry (for error advice). */
  async hasCredentials(): Promise<boolean> {
    return (await this.credentials()) !== undefined;
  }

  private async requestToken(challenge: Challenge, scopes: readonly string[]): Promise<CachedToken> {
    const realm = challenge.params.realm;
    if (!realm) throw new RegistryError(`${this.registry} sent a Bearer challenge without a realm`);
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch {
      throw new RegistryError(`${this.registry} sent a Bearer challenge whose realm is not a URL`);
    }
    const service = challenge.params.service;
    const allScopes = [...new Set([...scopes, ...(challenge.params.scope ? challenge.params.scope.split(' ') : [])])];
    const creds = await this.credentials();
    if (creds?.identityToken !== undefined) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'hull' });
      if (service !== undefined) form.set('service', service);
      if (allScopes.length > 0) form.set('scope', allScopes.join(' '));
      const res = await this.fetchToken(realmUrl.href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
      return this.readToken(res, realmUrl, true);
    }
    if (service !== undefined) realmUrl.searchParams.set('service', service);
    for (const s of allScopes) realmUrl.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    if (creds?.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}`;
    const res = await this.fetchToken(realmUrl.href, { method: 'GET', headers });
    return this.readToken(res, realmUrl, creds !== undefined);
  }

  private readToken(res: { status: number; text: string }, realm: URL, withCredentials: boolean): CachedToken {
    const where = `${realm.protocol}//${realm.host}${realm.pathname}`;
    if (res.status === 401 || res.status === 403) {
      throw new RegistryError(
        withCredentials
          ? `${this.registry} refused the stored credentials (token server ${where} answered ${res.status}): run 'hull login ${this.registry}' again`
          : `${this.registry}: the token server ${where} refused an anonymous token (${res.status}): run 'hull login ${this.registry}'`,
        { status: res.status },
      );
    }
    if (res.status < 200 || res.status >= 300) throw new RegistryError(`${this.registry}: the token server ${where} answered ${res.status}`, { status: res.status });
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
    try {
      doc = JSON.parse(res.text) as typeof doc;
    } catch {
      throw new RegistryError(`${this.registry}: the token server ${where} did not answer with JSON`);
    }
    const token = typeof doc.token === 'string' && doc.token !== '' ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : '';
    if (token === '') throw new RegistryError(`${this.registry}: the token server ${where} answered without a token`);
    const expiresIn = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : DEFAULT_EXPIRY_S;
    const life = expiresIn * 1000;
    return { token, renewAt: this.now() + life - Math.min(EXPIRY_MARGIN_MS, life / 2) };
  }
}

function scopeKey(scopes: readonly string[]): string {
  return [...scopes].sort().join(' ');
}
