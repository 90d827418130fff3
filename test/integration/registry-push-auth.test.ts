/**
 * push (and pull) through the real registry client against registries that demand
 * authentication: htpasswd Basic auth behind TLS (CA from HULL_CERTS_D), and the token flow
 * (a cross-repository mount asks for pull on the source), read back by skopeo; and a blob GET
 * redirected to another host, which must be followed without the registry's Authorization.
 * Needs docker-registry, htpasswd, openssl and skopeo (test/setup.sh). Every server listens on
 * 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { RegistryError } from '../../src/errors.js';
import { sha256Of } from '../../src/image/digest.js';
import { openRepository, RegistryClient, type ClientOptions } from '../../src/registry/client.js';
import { pull } from '../../src/registry/pull.js';
import { push } from '../../src/registry/push.js';
import { Store } from '../../src/store/store.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { putImage, tinyImage, type TinyImage } from '../helpers/image.js';
import { startRecordingHop, type RecordingHop } from '../helpers/recording-hop.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { skopeo, type SkopeoInspect } from '../helpers/skopeo.js';
import { scratchDirs } from '../helpers/scratch.js';

const scratch = scratchDirs('hull-push-auth-');
const fresh = scratch.fresh;

/** A Docker config directory holding Basic credentials for each of `hosts`. */
async function dockerConfig(registry: TestRegistry, hosts: readonly string[]): Promise<string> {
  const [user, pass] = Object.entries(registry.users)[0]!;
  const auth = Buffer.from(`${user}:${pass}`).toString('base64');
  const d = await fresh('docker');
  await writeFile(join(d, 'config.json'), JSON.stringify({ auths: Object.fromEntries(hosts.map((h) => [h, { auth }])) }));
  return d;
}

/** A client that sees only this test's files: no hull config, no daemon.json, no certs.d unless given. */
function client(env: NodeJS.ProcessEnv, options: Omit<ClientOptions, 'env'> = {}): RegistryClient {
  return new RegistryClient({
    env: { HOME: scratch.root(), HULL_CONFIG: join(scratch.root(), 'no-hull-config.json'), HULL_DOCKER_DAEMON_JSON: join(scratch.root(), 'no-daemon.json'), HULL_CERTS_D: join(scratch.root(), 'no-certs.d'), ...env },
    retry: { attempts: 2, baseDelayMs: 10 },
    ...options,
  });
}

async function storeWith(image: TinyImage, tag: string): Promise<Store> {
  const store = await Store.open(await fresh('store'));
  await putImage(store, image);
  await store.tag(tag, image.manifest);
  return store;
}

function creds(registry: TestRegistry): string {
  const [user, pass] = Object.entries(registry.users)[0]!;
  return `${user}:${pass}`;
}

describe('push to a registry with Basic auth behind TLS', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry({ auth: 'basic-tls' });
  });
  after(() => registry?.stop());

  it('credentials from DOCKER_CONFIG, the CA from HULL_CERTS_D: skopeo reads it back, hull pulls it back', async () => {
    const image = await tinyImage([[{ name: 'etc/basic', content: 'basic\n' }], [{ name: 'b', content: 'x'.repeat(3000) }]], 'linux/amd64', 'basic');
    const store = await storeWith(image, 'basic:1');
    const c = client({ DOCKER_CONFIG: await dockerConfig(registry, [registry.host]), HULL_CERTS_D: registry.certsD! });
    try {
      const result = await push(store, 'basic:1', { session: openRepository({ registry: registry.host, repository: 'secure/app' }, { client: c }), tags: ['1'] });
      assert.deepEqual(result.blobs.map((b) => b.outcome), ['pushed', 'pushed', 'pushed']);

      const certDir = join(registry.certsD!, registry.host);
      const seen = JSON.parse(await skopeo('inspect', '--cert-dir', certDir, '--creds', creds(registry), `docker://${registry.host}/secure/app:1`)) as SkopeoInspect;
      assert.equal(seen.Digest, image.manifest.digest);
      assert.deepEqual(seen.Layers, image.layers.map((l) => l.digest));

      const back = await Store.open(await fresh('back'));
      try {
        const pulled = await pull(back, `${registry.host}/secure/app:1`, { client: c });
        assert.equal(pulled.digest, image.manifest.digest);
        for (const l of image.layers) assert.ok(await back.hasBlob(l.digest));
      } finally {
        await back.close();
      }
    } finally {
      await c.close();
      await store.close();
    }
  });

  it('without stored credentials the push fails with a 401 that says to log in, and nothing is tagged', async () => {
    const image = await tinyImage([[{ name: 'etc/anon', content: 'anon\n' }]], 'linux/amd64', 'anon');
    const store = await storeWith(image, 'anon:1');
    const c = client({ DOCKER_CONFIG: await fresh('docker-empty') }, { certsDirs: [registry.certsD!] });
    try {
      await assert.rejects(push(store, 'anon:1', { session: openRepository({ registry: registry.host, repository: 'secure/anon' }, { client: c }), tags: ['1'] }), (err: unknown) => {
        assert.ok(err instanceof RegistryError, String(err));
        assert.equal(err.status, 401);
        assert.match(err.message, /hull login 127\.0\.0\.1:\d+/);
        return true;
      });
    } finally {
      await c.close();
      await store.close();
    }
  });
});

describe('push to a registry with token auth', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let c: RegistryClient;
  before(async () => {
    registry = await startRegistry({ auth: 'token' });
    proxy = await startFaultProxy(registry.host);
    // Credentials are stored per host:port: the proxy is a registry name of its own.
    c = client({ DOCKER_CONFIG: await dockerConfig(registry, [registry.host, proxy.host]) });
  });
  after(async () => {
    await c?.close();
    await proxy?.stop();
    await registry?.stop();
  });

  it('pushes with a token for pull,push on the repository; skopeo reads it back', async () => {
    const image = await tinyImage([[{ name: 'etc/token', content: 'token\n' }], [{ name: 'c', content: 'y'.repeat(2000) }]], 'linux/amd64', 'token');
    const store = await storeWith(image, 'token:1');
    try {
      registry.tokens!.requests.length = 0;
      await push(store, 'token:1', { session: openRepository({ registry: registry.host, repository: 'tok/app' }, { client: c }), tags: ['1'] });
      const asked = registry.tokens!.requests;
      assert.ok(asked.length > 0);
      assert.ok(asked.every((r) => r.user === 'hull'), 'every token was asked for with the stored credentials');
      assert.ok(asked.some((r) => r.scopes.includes('repository:tok/app:pull,push')));

      const seen = JSON.parse(await skopeo('inspect', '--tls-verify=false', '--creds', creds(registry), `docker://${registry.host}/tok/app:1`)) as SkopeoInspect;
      assert.equal(seen.Digest, image.manifest.digest);
      assert.deepEqual(seen.Layers, image.layers.map((l) => l.digest));
    } finally {
      await store.close();
    }
  });

  it('mounts from another repository with a token that also grants pull on it, and uploads no blob', async () => {
    const image = await tinyImage([[{ name: 'etc/mount', content: 'mount\n' }], [{ name: 'd', content: 'z'.repeat(4000) }]], 'linux/amd64', 'mount');
    const store = await storeWith(image, 'mount:1');
    try {
      const at = (repository: string) => openRepository({ registry: proxy.host, repository }, { client: c });
      await push(store, 'mount:1', { session: at('mnt/base'), tags: ['1'] });
      registry.tokens!.requests.length = 0;
      proxy.clear();
      // The store remembers that the first push put these blobs in mnt/base.
      const result = await push(store, 'mount:1', { session: at('mnt/app'), tags: ['1'] });
      assert.deepEqual(result.blobs.map((b) => b.outcome), ['mounted', 'mounted', 'mounted']);
      assert.ok(result.blobs.every((b) => b.from === 'mnt/base'));

      const scoped = registry.tokens!.requests.filter((r) => r.scopes.includes('repository:mnt/base:pull'));
      assert.ok(scoped.length > 0, `no token asked for pull on the source: ${JSON.stringify(registry.tokens!.requests)}`);
      assert.ok(scoped.every((r) => r.scopes.includes('repository:mnt/app:pull,push') && r.user === 'hull'));

      assert.equal(proxy.count('POST', /\/v2\/mnt\/app\/blobs\/uploads\/\?.*mount=sha256/), 3);
      assert.equal(proxy.log.filter((e) => e.method === 'POST' && /mount=/.test(e.path) && e.outcome === '201').length, 3);
      assert.equal(proxy.count('POST', /\/blobs\/uploads\/$/), 0, 'no plain upload was started');
      assert.equal(proxy.count('PATCH'), 0);
      assert.equal(proxy.count('PUT', /\/blobs\//), 0);

      const seen = JSON.parse(await skopeo('inspect', '--tls-verify=false', '--creds', creds(registry), `docker://${registry.host}/mnt/app:1`)) as SkopeoInspect;
      assert.equal(seen.Digest, image.manifest.digest);
    } finally {
      proxy.clear();
      await store.close();
    }
  });

  describe('a blob GET redirected to another host', () => {
    let hop: RecordingHop;
    before(async () => {
      // The storage behind the redirect: it fetches the blob from the registry with a token of its own.
      hop = await startRecordingHop((path) => fetchWithOwnToken(registry, path));
    });
    after(() => hop?.stop());

    it('is followed, and the registry Authorization is not sent there', async () => {
      const image = await tinyImage([[{ name: 'etc/redir', content: 'redirect\n' }], [{ name: 'e', content: 'r'.repeat(5000) }]], 'linux/amd64', 'redir');
      const store = await storeWith(image, 'redir:1');
      const back = await Store.open(await fresh('redir-back'));
      try {
        await push(store, 'redir:1', { session: openRepository({ registry: registry.host, repository: 'redir/app' }, { client: c }), tags: ['1'] });
        proxy.clear();
        proxy.add({ method: 'GET', path: /\/blobs\/sha256:/, times: Infinity, fault: { kind: 'redirect', to: hop.url } });

        const pulled = await pull(back, `${proxy.host}/redir/app:1`, { client: c });
        assert.equal(pulled.digest, image.manifest.digest);
        for (const d of [image.config, ...image.layers]) assert.deepEqual(await back.readBlob(d.digest), image.blobs.get(d.digest));

        // Every blob GET reached the registry's origin with a token, and was sent on to localhost…
        const blobGets = proxy.log.filter((e) => e.method === 'GET' && /\/blobs\/sha256:/.test(e.path));
        assert.equal(blobGets.length, 3);
        assert.ok(blobGets.every((e) => e.outcome === '307' && e.authorized), JSON.stringify(blobGets));
        // …which served them, and never saw the registry's Authorization.
        assert.deepEqual(hop.requests.map((r) => r.path).sort(), blobGets.map((e) => e.path).sort());
        for (const r of hop.requests) assert.equal(r.headers.authorization, undefined, `Authorization sent to ${hop.url}${r.path}`);
      } finally {
        proxy.clear();
        await back.close();
        await store.close();
      }
    });
  });
});

/** GETs `path` from the token registry as a separate client would: challenge, token (Basic credentials), then the blob. */
async function fetchWithOwnToken(registry: TestRegistry, path: string): Promise<Buffer | undefined> {
  const url = `${registry.url}${path}`;
  const first = await request(url);
  await first.body.dump();
  const challenge = String(first.headers['www-authenticate'] ?? '');
  const param = (name: string): string | undefined => new RegExp(`${name}="([^"]*)"`).exec(challenge)?.[1];
  const realm = param('realm');
  if (first.statusCode !== 401 || realm === undefined) return undefined;
  const tokenUrl = new URL(realm);
  const service = param('service');
  const scope = param('scope');
  if (service !== undefined) tokenUrl.searchParams.set('service', service);
  if (scope !== undefined) tokenUrl.searchParams.set('scope', scope);
  const tokenRes = await request(tokenUrl, { headers: { authorization: `Basic ${Buffer.from(creds(registry)).toString('base64')}` } });
  const { token } = (await tokenRes.body.json()) as { token: string };
  const res = await request(url, { headers: { authorization: `Bearer ${token}` } });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode !== 200) return undefined;
  // The hop serves only what the registry holds under that digest.
  const digest = /blobs\/(sha256:[0-9a-f]{64})/.exec(path)?.[1];
  return digest !== undefined && sha256Of(bytes) === digest ? bytes : undefined;
}
