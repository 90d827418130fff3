/**
 * Registry credentials as Docker keeps them: `$DOCKER_CONFIG/config.json` (else
 * `~/.docker/config.json`) with `auths` (base64 `user:pass` in `auth`, or an `identitytoken`),
 * `credsStore` (one helper for all) and `credHelpers` (a helper per registry). Helpers are
 * `docker-credential-NAME get|store|erase` speaking JSON on stdin/stdout. Docker Hub's key is
 * `https://index.docker.io/v1/`. Secrets never appear in an error message.
 */
import { spawn } from 'node:child_process';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { RegistryError } from '../errors.js';
import { DEFAULT_DOMAIN } from '../image/reference.js';
import { readJsonIfPresent } from './config.js';

export interface Credentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (Docker's `identitytoken`): traded for access tokens by POST. */
  identityToken?: string;
}

export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const HELPER_TIMEOUT_MS = 30_000;

export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker'), 'config.json');
}

/** The key a registry is stored under: Docker Hub's legacy URL, else the host[:port]. */
export function credentialKey(registry: string): string {
  return registry === DEFAULT_DOMAIN || registry === 'index.docker.io' || registry === 'registry-1.docker.io' ? DOCKER_HUB_KEY : registry;
}

/** `https://host:port/v1/` → `host:port`, as Docker matches old-style keys. */
function normalizeKey(key: string): string {
  if (key === DOCKER_HUB_KEY) return key;
  const stripped = key.replace(/^[a-z]+:\/\//i, '');
  const host = stripped.split('/')[0] ?? stripped;
  return ['index.docker.io', 'registry-1.docker.io', DEFAULT_DOMAIN].includes(host) ? DOCKER_HUB_KEY : host;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

async function readConfig(env: NodeJS.ProcessEnv): Promise<DockerConfigFile> {
  return ((await readJsonIfPresent(dockerConfigPath(env))) ?? {}) as DockerConfigFile;
}

/** The helper that holds `registry`'s credentials, if one is configured. */
function helperFor(config: DockerConfigFile, key: string): string | undefined {
  for (const [k, helper] of Object.entries(config.credHelpers ?? {})) if (normalizeKey(k) === key) return helper;
  return config.credsStore === undefined || config.credsStore === '' ? undefined : config.credsStore;
}

/** The stored credentials for `registry` (`docker.io`, `localhost:5000`), or undefined. */
export async function getCredentials(registry: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  const config = await readConfig(env);
  const key = credentialKey(registry);
  const helper = helperFor(config, key);
  if (helper !== undefined) return helperGet(helper, key, env);
  for (const [k, entry] of Object.entries(config.auths ?? {})) {
    if (normalizeKey(k) !== key) continue;
    const creds: Credentials = {};
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new RegistryError(`${dockerConfigPath(env)}: the "auth" entry for ${k} is not base64 of user:password`);
      creds.username = decoded.slice(0, colon);
      creds.password = decoded.slice(colon + 1);
    } else if (entry.username !== undefined) {
      creds.username = entry.username;
      if (entry.password !== undefined) creds.password = entry.password;
    }
    if (entry.identitytoken) creds.identityToken = entry.identitytoken;
    return creds.username !== undefined || creds.identityToken !== undefined ? creds : undefined;
  }
  return undefined;
}

/** Saves credentials: through the configured helper, else in config.json (mode 0600). Returns where. */
export async function storeCredentials(registry: string, creds: Credentials, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const config = await readConfig(env);
  const key = credentialKey(registry);
  const helper = helperFor(config, key);
  if (helper !== undefined) {
    const username = creds.identityToken !== undefined ? '<token>' : (creds.username ?? '');
    const secret = creds.identityToken ?? creds.password ?? '';
    await runHelper(helper, 'store', JSON.stringify({ ServerURL: key, Username: username, Secret: secret }), env);
    // Docker keeps an empty entry so `docker info`-style listings still show the login.
    config.auths = { ...config.auths, [key]: {} };
    await writeConfig(config, env);
    return `docker-credential-${helper}`;
  }
  const entry: { auth?: string; identitytoken?: string } = {};
  if (creds.username !== undefined) entry.auth = Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64');
  if (creds.identityToken !== undefined) entry.identitytoken = creds.identityToken;
  const auths = Object.fromEntries(Object.entries(config.auths ?? {}).filter(([k]) => normalizeKey(k) !== key));
  config.auths = { ...auths, [key]: entry };
  await writeConfig(config, env);
  return dockerConfigPath(env);
}

/** Forgets a registry's credentials; false if none were stored. */
export async function eraseCredentials(registry: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const config = await readConfig(env);
  const key = credentialKey(registry);
  const helper = helperFor(config, key);
  let found = false;
  if (helper !== undefined) {
    try {
      await runHelper(helper, 'erase', key, env);
      found = true;
    } catch (err) {
      if (!(err instanceof CredentialsNotFound)) throw err;
    }
  }
  const auths = config.auths ?? {};
  const kept = Object.fromEntries(Object.entries(auths).filter(([k]) => normalizeKey(k) !== key));
  if (Object.keys(kept).length !== Object.keys(auths).length) {
    found = true;
    config.auths = kept;
    await writeConfig(config, env);
  }
  return found;
}

/** Writes config.json atomically with mode 0600: it holds secrets. */
async function writeConfig(config: DockerConfigFile, env: NodeJS.ProcessEnv): Promise<void> {
  const file = dockerConfigPath(env);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(config, null, '\t')}\n`, { mode: 0o600, flag: 'wx' });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new RegistryError(`cannot write ${file}: ${(err as Error).message}`);
  }
}

class CredentialsNotFound extends RegistryError {
  override name = 'CredentialsNotFound';
}

async function helperGet(helper: string, key: string, env: NodeJS.ProcessEnv): Promise<Credentials | undefined> {
  let out: string;
  try {
    out = await runHelper(helper, 'get', key, env);
  } catch (err) {
    if (err instanceof CredentialsNotFound) return undefined;
    throw err;
  }
  let doc: { Username?: unknown; Secret?: unknown };
  try {
    doc = JSON.parse(out) as { Username?: unknown; Secret?: unknown };
  } catch {
    throw new RegistryError(`docker-credential-${helper} get printed something that is not JSON`);
  }
  if (typeof doc.Secret !== 'string' || doc.Secret === '') return undefined;
  if (doc.Username === '<token>') return { identityToken: doc.Secret };
  return { username: typeof doc.Username === 'string' ? doc.Username : '', password: doc.Secret };
}

/** Runs a credential helper; its stdout on success. "not found" answers become CredentialsNotFound. */
function runHelper(helper: string, action: 'get' | 'store' | 'erase', input: string, env: NodeJS.ProcessEnv): Promise<string> {
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = spawn(program, [action], { env, stdio: ['pipe', 'pipe', 'pipe'], timeout: HELPER_TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(new RegistryError(err.code === 'ENOENT' ? `credential helper ${program} is not installed (not on PATH)` : `credential helper ${program} failed to start: ${err.message}`));
    });
    child.once('close', (code) => {
      if (code === 0) return resolve(stdout);
      // The helper protocol reports a miss on stdout; stderr is only shown, first line, when it is not one.
      const said = `${stdout}\n${stderr}`;
      if (/credentials not found/i.test(said)) return reject(new CredentialsNotFound(`${program}: no credentials`));
      const first = (stderr.trim() || stdout.trim()).split('\n')[0]?.slice(0, 200) ?? '';
      reject(new RegistryError(`credential helper ${program} ${action} failed (exit ${code ?? 'signal'})${first ? `: ${first}` : ''}`));
    });
    child.stdin.on('error', () => {
      // A helper that exits without reading stdin: its exit status tells what happened.
    });
    child.stdin.end(input);
  });
}
