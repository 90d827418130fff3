/**
 * A real CNCF distribution registry (Debian's `docker-registry`) for one test: a free port on
 * 127.0.0.1, a temp storage directory, stopped (and its files removed) by `stop()`.
 *
 *   auth 'none'       plain HTTP, no authentication
 *   auth 'basic-tls'  htpasswd (bcrypt) Basic auth behind TLS, with a CA made by openssl
 *   auth 'token'      Bearer tokens from test/helpers/token-server.ts (plain HTTP unless tls)
 *
 * and, in any mode, `clientCerts` (TLS demanding a client certificate) or `proxyRemoteUrl`
 * (a pull-through cache of another registry, as a Docker Hub mirror is), or `redirectBaseUrl`
 * (blob GETs redirected to another server, as registries on cloud storage do).
 *
 * Push and pull tests share it: `startRegistry({ auth: 'token' })`, then talk to `host`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeServerCerts, makeSigningCert } from './certs.js';
import { makeClientCerts, type ClientCerts } from './client-certs.js';
import { startTokenServer, type TokenServer } from './token-server.js';

const run = promisify(execFile);

export type RegistryAuth = 'none' | 'basic-tls' | 'token';

export interface RegistryOptions {
  auth?: RegistryAuth;
  /** Serve HTTPS (always on for basic-tls). */
  tls?: boolean;
  /** user → password (default: one user, `hull` / `s3cret-pass`). */
  users?: Record<string, string>;
  /** Token mode: whether anonymous clients may pull. */
  anonymousPull?: boolean;
  /** Token mode: token lifetime in seconds. */
  tokenExpiresIn?: number;
  /** Serve HTTPS and require a client certificate (`http.tls.clientcas`); certs.d gets `client.cert` and `client.key`. */
  clientCerts?: boolean;
  /** Run as a pull-through cache (a Docker Hub mirror) of the registry at this URL (`proxy.remoteurl`). */
  proxyRemoteUrl?: string;
  /**
   * Redirect blob GETs to this base URL plus the blob's storage path (distribution's `redirect`
   * storage middleware), as registries on cloud storage redirect to it; serve `dir/storage` there.
   */
  redirectBaseUrl?: string;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`: the registry part of a reference. */
  host: string;
  /** `http(s)://127.0.0.1:PORT`. */
  url: string;
  auth: RegistryAuth;
  tls: boolean;
  users: Record<string, string>;
  /** The CA that signed the server certificate (TLS only). */
  caFile: string | undefined;
  /** A certs.d base directory holding `HOST/ca.crt` (TLS only): point HULL_CERTS_D at it. */
  certsD: string | undefined;
  /** The client certificate the registry accepts (clientCerts only). */
  clientCert?: ClientCerts;
  /** The token issuer (token mode only). */
  tokens: TokenServer | undefined;
  /** The temp directory this registry owns (storage, config, certs). */
  dir: string;
  stop(): Promise<void>;
}

export const DEFAULT_USERS: Readonly<Record<string, string>> = { hull: 's3cret-pass' };

export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const auth = options.auth ?? 'none';
  const tls = auth === 'basic-tls' || options.tls === true || options.clientCerts === true;
  const users = { ...(options.users ?? DEFAULT_USERS) };
  const dir = await mkdtemp(join(tmpdir(), 'hull-registry-'));
  let tokens: TokenServer | undefined;
  let child: ChildProcess | undefined;
  try {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const lines = [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'storage')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${host}`,
      '  secret: hull-test-secret',
    ];
    let caFile: string | undefined;
    let certsD: string | undefined;
    let clientCert: ClientCerts | undefined;
    if (tls) {
      const certs = await makeServerCerts(dir);
      caFile = certs.caFile;
      certsD = join(dir, 'certs.d');
      await mkdir(join(certsD, host), { recursive: true });
      await copyFile(caFile, join(certsD, host, 'ca.crt'));
      lines.push('  tls:', `    certificate: ${certs.certFile}`, `    key: ${certs.keyFile}`);
      if (options.clientCerts === true) {
        clientCert = await makeClientCerts(dir);
        lines.push('    clientcas:', `      - ${clientCert.caFile}`);
        await copyFile(clientCert.certFile, join(certsD, host, 'client.cert'));
        await copyFile(clientCert.keyFile, join(certsD, host, 'client.key'));
      }
    }
    if (options.proxyRemoteUrl !== undefined) lines.push('proxy:', `  remoteurl: ${options.proxyRemoteUrl}`);
    if (options.redirectBaseUrl !== undefined) lines.push('middleware:', '  storage:', '    - name: redirect', '      options:', `        baseurl: ${options.redirectBaseUrl}`);
    if (auth === 'basic-tls') {
      const htpasswd = join(dir, 'htpasswd');
      await writeFile(htpasswd, '');
      // distribution reads only bcrypt entries; apache2-utils' htpasswd -B writes them.
      for (const [user, password] of Object.entries(users)) await run('htpasswd', ['-Bb', htpasswd, user, password]);
      lines.push('auth:', '  htpasswd:', '    realm: hull-test', `    path: ${htpasswd}`);
    }
    if (auth === 'token') {
      const signing = await makeSigningCert(dir);
      const service = 'hull-test-registry';
      const issuer = 'hull-test-issuer';
      tokens = await startTokenServer({
        service,
        issuer,
        signing,
        users,
        ...(options.anonymousPull !== undefined && { anonymousPull: options.anonymousPull }),
        ...(options.tokenExpiresIn !== undefined && { expiresIn: options.tokenExpiresIn }),
      });
      lines.push('auth:', '  token:', `    realm: ${tokens.realm}`, `    service: ${service}`, `    issuer: ${issuer}`, `    rootcertbundle: ${signing.certFile}`);
    }
    const config = join(dir, 'config.yml');
    await writeFile(config, `${lines.join('\n')}\n`);
    const url = `${tls ? 'https' : 'http'}://${host}`;
    child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    await waitUntilUp(url, caFile, clientCert, child, () => stderr);
    const registry: TestRegistry = {
      host,
      url,
      auth,
      tls,
      users,
      caFile,
      certsD,
      ...(clientCert && { clientCert }),
      tokens,
      dir,
      stop: async () => {
        await stopChild(child);
        await tokens?.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
    return registry;
  } catch (err) {
    await stopChild(child);
    await tokens?.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** A port the kernel just handed out (closed again: the caller binds it right after, or uses it as a port where nothing listens). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls GET /v2/ until the registry answers at all (200 or 401), or fails with its stderr. */
async function waitUntilUp(url: string, caFile: string | undefined, clientCert: ClientCerts | undefined, child: ChildProcess, stderr: () => string): Promise<void> {
  const { Agent, request } = await import('undici');
  const { readFile } = await import('node:fs/promises');
  // A registry demanding client certificates refuses the handshake without one: present it.
  const identity = clientCert ? { cert: await readFile(clientCert.certFile), key: await readFile(clientCert.keyFile) } : {};
  const dispatcher = new Agent(caFile ? { connect: { ca: await readFile(caFile), ...identity } } : {});
  try {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${stderr()}`);
      try {
        const res = await request(`${url}/v2/`, { dispatcher });
        await res.body.dump();
        if (res.statusCode === 200 || res.statusCode === 401) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`docker-registry did not answer on ${url} within 15 s: ${stderr()}`);
  } finally {
    await dispatcher.close();
  }
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
