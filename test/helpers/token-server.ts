/**
 * A small token issuer for the registry's `auth: token` mode (the Docker token protocol):
 * GET realm?service=…&scope=… answered with a signed JWT (anonymously or with Basic
 * credentials), and POST realm with an OAuth2 form (grant_type=password gives a refresh token,
 * grant_type=refresh_token trades one for an access token), as Docker Hub's auth.docker.io does.
 * JWTs are RS256, with the signing certificate in `x5c`, which distribution checks against its
 * `rootcertbundle`.
 */
import { createPrivateKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SigningCert } from './certs.js';

export interface TokenServerOptions {
  service: string;
  issuer: string;
  signing: SigningCert;
  /** user → password. */
  users: Readonly<Record<string, string>>;
  /** Whether anonymous clients get pull access (a public repository). */
  anonymousPull?: boolean;
  /** Token lifetime in seconds (default 300). */
  expiresIn?: number;
}

/** What the issuer was asked, so tests can check which flow the client took. */
export interface TokenRequestLog {
  method: string;
  user: string | undefined;
  grantType: string | undefined;
  scopes: string[];
}

export interface TokenServer {
  realm: string;
  requests: TokenRequestLog[];
  /** Refresh tokens handed out, by user. */
  refreshTokens: Map<string, string>;
  /** Changes the lifetime of tokens issued from now on. */
  setExpiresIn(seconds: number): void;
  /**
   * The next `count` tokens are issued already expired (beyond the registry's 60 s clock-skew
   * leeway) while the answer still claims the usual `expires_in`: a token that ran out between
   * the client's cache and the registry, without a test waiting a minute for one to.
   */
  expireNextTokens(count: number): void;
  /**
   * Every token issued from now until `when` (ms since the epoch) stops working for the registry
   * at `when` (to the second), though the answer still claims the usual `expires_in`: the tokens
   * a client holds run out in the middle of what it is doing, as when the issuer's clock and
   * the client's disagree. Tokens issued after `when` are normal again.
   */
  expireIssuedTokensAt(when: number): void;
  stop(): Promise<void>;
}

/** distribution's token.Leeway: how long past `exp` it still accepts a token. */
const REGISTRY_LEEWAY_S = 60;

export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const key = createPrivateKey(await readFile(options.signing.keyFile));
  const certDer = pemBody(await readFile(options.signing.certFile, 'utf8'));
  const requests: TokenRequestLog[] = [];
  const refreshTokens = new Map<string, string>();
  let expiresIn = options.expiresIn ?? 300;
  let expireNext = 0;
  let expireAt: number | undefined;

  const issue = (user: string | undefined, scopes: readonly string[]): string => {
    // An already-expired token is dated as if issued by a clock ten minutes behind.
    const now = Math.floor(Date.now() / 1000) - (expireNext > 0 ? 600 : 0);
    if (expireNext > 0) expireNext--;
    // The registry accepts a token up to 60 s past its exp (clock-skew leeway): date it back so.
    const cutOff = expireAt !== undefined && Date.now() < expireAt ? Math.floor(expireAt / 1000) - REGISTRY_LEEWAY_S : undefined;
    return signJwt(key, certDer, {
      iss: options.issuer,
      sub: user ?? '',
      aud: options.service,
      exp: cutOff ?? now + expiresIn,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(12).toString('hex'),
      access: grants(scopes, user !== undefined || options.anonymousPull === true, user !== undefined),
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const reply = (status: number, body: object): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname !== '/token') return reply(404, { error: 'not found' });
    if (req.method === 'GET') {
      const scopes = url.searchParams.getAll('scope');
      const basic = parseBasic(req.headers.authorization);
      requests.push({ method: 'GET', user: basic?.user, grantType: undefined, scopes });
      if (basic && options.users[basic.user] !== basic.password) return reply(401, { details: 'incorrect username or password' });
      const token = issue(basic?.user, scopes);
      return reply(200, { token, access_token: token, expires_in: expiresIn, issued_at: new Date().toISOString() });
    }
    if (req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      const grantType = form.get('grant_type') ?? undefined;
      const scopes = (form.get('scope') ?? '').split(' ').filter((s) => s !== '');
      let user: string | undefined;
      if (grantType === 'password') {
        user = form.get('username') ?? '';
        if (options.users[user] !== form.get('password')) return reply(401, { error: 'invalid_grant' });
      } else if (grantType === 'refresh_token') {
        const presented = form.get('refresh_token');
        user = [...refreshTokens].find(([, t]) => t === presented)?.[0];
        if (user === undefined) return reply(401, { error: 'invalid_grant' });
      } else {
        return reply(400, { error: 'unsupported_grant_type' });
      }
      requests.push({ method: 'POST', user, grantType, scopes });
      const refresh = refreshTokens.get(user) ?? randomBytes(16).toString('hex');
      refreshTokens.set(user, refresh);
      const token = issue(user, scopes);
      return reply(200, { access_token: token, refresh_token: refresh, expires_in: expiresIn, scope: scopes.join(' ') });
    }
    reply(405, { error: 'method not allowed' });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    requests,
    refreshTokens,
    setExpiresIn: (seconds) => {
      expiresIn = seconds;
    },
    expireNextTokens: (count) => {
      expireNext = count;
    },
    expireIssuedTokensAt: (when) => {
      expireAt = when;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Access {
  type: string;
  name: string;
  actions: string[];
}

/** `repository:NAME:pull,push` scopes → the access claim: pull when allowed, push for users. */
function grants(scopes: readonly string[], mayPull: boolean, mayPush: boolean): Access[] {
  const out: Access[] = [];
  for (const scope of scopes) {
    const [type, ...rest] = scope.split(':');
    const actions = rest.pop()?.split(',') ?? [];
    const name = rest.join(':');
    const allowed = actions.filter((a) => (a === 'pull' && mayPull) || ((a === 'push' || a === '*' || a === 'delete') && mayPush));
    if (type !== undefined && allowed.length > 0) out.push({ type, name, actions: allowed });
  }
  return out;
}

function signJwt(key: KeyObject, certDer: string, claims: object): string {
  const header = { alg: 'RS256', typ: 'JWT', x5c: [certDer] };
  const encode = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${encode(header)}.${encode(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

/** The base64 DER between the PEM armour lines (x5c wants standard base64 DER). */
function pemBody(pem: string): string {
  return pem
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('-----'))
    .join('');
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  if (!header?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
