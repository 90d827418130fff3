// hull pull against the real distribution registry where things are less tidy: tokens that run
// out, identity (refresh) tokens, Docker Hub mirrors that are down or cannot serve, registries
// demanding client certificates, blob GETs redirected to another host, and the CLI's progress lines. Needs docker-registry, openssl
// and skopeo (test/setup.sh). Every server listens on 127.0.0.1.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Descriptor } from '../../src/image/manifest.js';
import { RegistryClient, type ClientOptions } from '../../src/registry/client.js';
import { pull } from '../../src/registry/pull.js';
import { Store } from '../../src/store/store.js';
import { RegistryError } from '../../src/errors.js';
import { startBlobHost, type BlobHost } from '../helpers/blob-host.js';
import { runCli } from '../helpers/cli.js';
import { putImage, tinyImage } from '../helpers/image.js';
import { freePort, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { pushWithSkopeo } from '../helpers/registry-images.js';
import { scratchDirs } from '../helpers/scratch.js';

const scratch = scratchDirs('hull-pull-robust-');
const fresh = scratch.fresh;

/**
 * An image of `layers` layers, each one file of `size` random bytes (so no two layers, nor two
 * images, share a blob), pushed by skopeo to `registry` as `target`; returns its manifest.
 */
async function pushLayered(registry: TestRegistry, target: string, layers: number, size = 4096): Promise<{ manifest: Descriptor; layers: Descriptor[] }> {
  const image = await tinyImage(Array.from({ length: layers }, (_, i) => [{ name: `layer-${i}.bin`, content: randomBytes(size).toString('base64') }]));
  const root = await fresh('src');
  const store = await Store.open(root);
  try {
    await putImage(store, image);
    await store.tag('local/layered:1', image.manifest);
  } finally {
    await store.close();
  }
  await pushWithSkopeo(root, 'local/layered:1', registry, target);
  return { manifest: image.manifest, layers: image.layers };
}

/** The Docker config directory for a client: `auths` as given. */
async function dockerConfig(auths: Record<string, Record<string, string>>): Promise<string> {
  const d = await fresh('docker');
  await writeFile(join(d, 'config.json'), JSON.stringify({ auths }));
  return d;
}

/** A client that sees only this test's files: no daemon.json, no hull config unless given. */
function client(env: NodeJS.ProcessEnv, options: Omit<ClientOptions, 'env'> = {}): RegistryClient {
  return new RegistryClient({
    env: { HOME: scratch.root(), HULL_CONFIG: join(scratch.root(), 'no-hull-config.json'), HULL_DOCKER_DAEMON_JSON: join(scratch.root(), 'no-daemon.json'), ...env },
    retry: { attempts: 2, baseDelayMs: 10 },
    ...options,
  });
}

function basicAuth(registry: TestRegistry): Record<string, Record<string, string>> {
  const [user, pass] = Object.entries(registry.users)[0]!;
  return { [registry.host]: { auth: Buffer.from(`${user}:${pass}`).toString('base64') } };
}

async function withStore<T>(name: string, body: (store: Store) => Promise<T>): Promise<T> {
  const store = await Store.open(await fresh(name));
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}


const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('token expiry', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry({ auth: 'token' });
  });
  after(() => registry.stop());

  const tokenGets = (repository: string): number =>
    registry.tokens!.requests.filter((r) => r.method === 'GET' && r.scopes.includes(`repository:${repository}:pull`)).length;

  test('a cached token the registry refuses as expired is replaced after its 401, and the pull completes', async () => {
    const { manifest } = await pushLayered(registry, 'expiry/app:1', 4);
    const c = client({ DOCKER_CONFIG: await dockerConfig(basicAuth(registry)) });
    try {
      // The token server says 300 s, but the registry sees the first token as long expired.
      registry.tokens!.expireNextTokens(1);
      const result = await withStore('expiry', (store) => pull(store, `${registry.host}/expiry/app:1`, { client: c, concurrency: 1 }));
      assert.equal(result.digest, manifest.digest);
      assert.equal(result.downloaded, true);
      // One token refused, one that served the manifest and all five blobs.
      assert.equal(tokenGets('expiry/app'), 2);
      assert.ok(registry.tokens!.requests.every((r) => r.user === 'hull'));
    } finally {
      await c.close();
    }
  });

  test('with 1-second tokens, a second pull by the same client after they ran out takes a new token', async () => {
    registry.tokens!.setExpiresIn(1);
    try {
      const first = await pushLayered(registry, 'short/app:1', 3);
      const second = await pushLayered(registry, 'short/app:2', 3);
      const c = client({ DOCKER_CONFIG: await dockerConfig(basicAuth(registry)) });
      try {
        await withStore('short', async (store) => {
          const a = await pull(store, `${registry.host}/short/app:1`, { client: c, concurrency: 1 });
          assert.equal(a.digest, first.manifest.digest);
          const before = tokenGets('short/app');
          assert.ok(before >= 1);
          await sleep(1500);
          const b = await pull(store, `${registry.host}/short/app:2`, { client: c, concurrency: 1 });
          assert.equal(b.digest, second.manifest.digest);
          assert.ok(tokenGets('short/app') > before, 'a token past its expires_in is not sent again');
        });
      } finally {
        await c.close();
      }
    } finally {
      registry.tokens!.setExpiresIn(300);
    }
  });

  test('a registry that refuses every token fails the pull after one new token, not in a loop', async () => {
    await pushLayered(registry, 'refused/app:1', 1);
    const c = client({ DOCKER_CONFIG: await dockerConfig(basicAuth(registry)) });
    try {
      registry.tokens!.expireNextTokens(100);
      await assert.rejects(
        withStore('refused', (store) => pull(store, `${registry.host}/refused/app:1`, { client: c })),
        (err: unknown) => {
          assert.ok(err instanceof RegistryError);
          assert.equal(err.status, 401);
          assert.match(err.message, /refused\/app/);
          return true;
        },
      );
      assert.equal(tokenGets('refused/app'), 2);
    } finally {
      registry.tokens!.expireNextTokens(0);
      await c.close();
    }
  });
});

describe('identity tokens', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry({ auth: 'token' });
  });
  after(() => registry.stop());

  test('an identitytoken in the Docker config is traded by POST grant_type=refresh_token, and pulls', async () => {
    const { manifest } = await pushLayered(registry, 'ident/app:1', 2);
    // As if `docker login` had stored the refresh token the issuer handed out for user hull.
    registry.tokens!.refreshTokens.set('hull', 'refresh-0123456789');
    const seen = registry.tokens!.requests.length;
    const c = client({ DOCKER_CONFIG: await dockerConfig({ [registry.host]: { identitytoken: 'refresh-0123456789' } }) });
    try {
      const result = await withStore('ident', (store) => pull(store, `${registry.host}/ident/app:1`, { client: c }));
      assert.equal(result.digest, manifest.digest);
      const mine = registry.tokens!.requests.slice(seen);
      assert.ok(mine.length >= 1);
      for (const r of mine) {
        assert.equal(r.method, 'POST');
        assert.equal(r.grantType, 'refresh_token');
        assert.equal(r.user, 'hull');
        assert.ok(r.scopes.includes('repository:ident/app:pull'), r.scopes.join(' '));
      }
    } finally {
      await c.close();
    }
  });

  test('an identitytoken the issuer does not know is refused with advice, and not shown', async () => {
    const c = client({ DOCKER_CONFIG: await dockerConfig({ [registry.host]: { identitytoken: 'revoked-token-value' } }) });
    try {
      await assert.rejects(
        withStore('ident-bad', (store) => pull(store, `${registry.host}/ident/app:1`, { client: c })),
        (err: unknown) => {
          assert.ok(err instanceof RegistryError);
          assert.match(err.message, /refused the stored credentials/);
          assert.match(err.message, /hull login/);
          assert.doesNotMatch(err.message, /revoked-token-value/);
          return true;
        },
      );
    } finally {
      await c.close();
    }
  });
});

describe('Docker Hub mirrors', () => {
  // Docker Hub (docker.io) is put on `hub`, a loopback registry, through the client's
  // hubEndpoint seam: mirrors apply to docker.io only, and nothing here may reach the internet.
  // The mirror is a real pull-through cache of `origin`, which holds other content than `hub`
  // under the same name, so the digest pulled tells which one served.
  let origin: TestRegistry;
  let hub: TestRegistry;
  let mirror: TestRegistry;
  let viaMirror: Descriptor;
  let viaHub: Descriptor;
  let hubOnly: Descriptor;
  before(async () => {
    origin = await startRegistry();
    hub = await startRegistry();
    mirror = await startRegistry({ proxyRemoteUrl: origin.url });
    viaMirror = (await pushLayered(origin, 'library/app:1', 2)).manifest;
    viaHub = (await pushLayered(hub, 'library/app:1', 2)).manifest;
    hubOnly = (await pushLayered(hub, 'library/only-on-hub:1', 1)).manifest;
    assert.notEqual(viaMirror.digest, viaHub.digest);
  });
  after(async () => {
    await mirror?.stop();
    await hub?.stop();
    await origin?.stop();
  });

  /** A client whose hull config file (HULL_CONFIG) lists `mirrors`. */
  async function mirrored(mirrors: string[]): Promise<RegistryClient> {
    const config = join(await fresh('hull-config'), 'config.json');
    await writeFile(config, JSON.stringify({ 'registry-mirrors': mirrors }));
    return client({ HULL_CONFIG: config, DOCKER_CONFIG: await dockerConfig({}) }, { hubEndpoint: hub.url, certsDirs: [] });
  }

  test('a mirror that is down is skipped for the next one, which serves the pull', async () => {
    const c = await mirrored([`http://127.0.0.1:${await freePort()}`, mirror.url]);
    try {
      const result = await withStore('mirror', (store) => pull(store, 'app:1', { client: c }));
      assert.equal(result.digest, viaMirror.digest);
      assert.equal(result.reference, 'docker.io/library/app:1');
    } finally {
      await c.close();
    }
  });

  test('when every mirror is down, Docker Hub itself serves the pull, without an error', async () => {
    const c = await mirrored([`http://127.0.0.1:${await freePort()}`, `http://127.0.0.1:${await freePort()}/`]);
    try {
      const result = await withStore('mirror-down', (store) => pull(store, 'docker.io/library/app:1', { client: c }));
      assert.equal(result.digest, viaHub.digest);
    } finally {
      await c.close();
    }
  });

  test('a mirror that cannot serve an image (404 from its upstream) hands over to Docker Hub', async () => {
    const c = await mirrored([mirror.url]);
    try {
      const result = await withStore('mirror-404', (store) => pull(store, 'only-on-hub:1', { client: c }));
      assert.equal(result.digest, hubOnly.digest);
    } finally {
      await c.close();
    }
  });

  test('mirrors are not used for other registries', async () => {
    const c = await mirrored([mirror.url]);
    try {
      // The same repository and tag by hub's host:port name: had the mirror been asked, the
      // digest would be origin's.
      const result = await withStore('mirror-other', (store) => pull(store, `${hub.host}/library/app:1`, { client: c }));
      assert.equal(result.digest, viaHub.digest);
    } finally {
      await c.close();
    }
  });
});

describe('client certificates', () => {
  let registry: TestRegistry;
  let manifest: Descriptor;
  before(async () => {
    registry = await startRegistry({ clientCerts: true });
    manifest = (await pushLayered(registry, 'mtls/app:1', 2)).manifest;
  });
  after(() => registry.stop());

  test('client.cert and client.key in HULL_CERTS_D/HOST:PORT are presented, and the pull works', async () => {
    const c = client({ HULL_CERTS_D: registry.certsD!, DOCKER_CONFIG: await dockerConfig({}) });
    try {
      const result = await withStore('mtls', (store) => pull(store, `${registry.host}/mtls/app:1`, { client: c }));
      assert.equal(result.digest, manifest.digest);
    } finally {
      await c.close();
    }
  });

  test('without a client certificate the pull fails with a RegistryError saying so', async () => {
    const certsD = await fresh('certs-no-client');
    await mkdir(join(certsD, registry.host));
    await copyFile(registry.caFile!, join(certsD, registry.host, 'ca.crt'));
    const c = client({ HULL_CERTS_D: certsD, DOCKER_CONFIG: await dockerConfig({}) });
    try {
      await assert.rejects(
        withStore('mtls-none', (store) => pull(store, `${registry.host}/mtls/app:1`, { client: c })),
        (err: unknown) => {
          assert.ok(err instanceof RegistryError, String(err));
          assert.match(err.message, new RegExp(registry.host.replace(/\./g, '\\.')));
          assert.match(err.message, /client certificate/);
          assert.match(err.message, /client\.cert/);
          return true;
        },
      );
    } finally {
      await c.close();
    }
  });
});

describe('hull pull (CLI)', () => {
  let registry: TestRegistry;
  const keys = ['DOCKER_CONFIG', 'HULL_CONFIG', 'HULL_DOCKER_DAEMON_JSON', 'HULL_CERTS_D'] as const;
  const saved = new Map(keys.map((k) => [k, process.env[k]]));
  before(async () => {
    registry = await startRegistry();
    // The CLI's process-wide client reads process.env: point it at this test's files only.
    process.env.DOCKER_CONFIG = await dockerConfig({});
    process.env.HULL_CONFIG = join(scratch.root(), 'no-hull-config.json');
    process.env.HULL_DOCKER_DAEMON_JSON = join(scratch.root(), 'no-daemon.json');
    process.env.HULL_CERTS_D = await fresh('certs-empty');
  });
  after(async () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await registry.stop();
  });

  test('prints a line per layer, then Digest and Status; pulling again says Already exists and up to date', async () => {
    const { manifest, layers } = await pushLayered(registry, 'cli/app:3', 3);
    const root = await fresh('cli-store');
    const ref = `${registry.host}/cli/app:3`;
    const short = (d: Descriptor): string => d.digest.slice('sha256:'.length, 'sha256:'.length + 12);

    const first = await runCli(['pull', '--root', root, ref]);
    assert.equal(first.code, 0, first.err);
    const lines = first.out.trimEnd().split('\n');
    assert.equal(lines[0], `3: Pulling from ${registry.host}/cli/app`);
    assert.deepEqual(lines.slice(1, 4).sort(), layers.map((l) => `${short(l)}: Pull complete`).sort());
    assert.deepEqual(lines.slice(4), [`Digest: ${manifest.digest}`, `Status: Downloaded newer image for ${ref}`]);

    const again = await runCli(['pull', '--root', root, ref]);
    assert.equal(again.code, 0, again.err);
    const relines = again.out.trimEnd().split('\n');
    assert.deepEqual(relines.slice(1, 4).sort(), layers.map((l) => `${short(l)}: Already exists`).sort());
    assert.deepEqual(relines.slice(4), [`Digest: ${manifest.digest}`, `Status: Image is up to date for ${ref}`]);
  });

  test('on a terminal every layer has a live row that ends as Pull complete', async () => {
    const { layers } = await pushLayered(registry, 'cli/tty:1', 2);
    const out = await runCli(['pull', '--root', await fresh('cli-tty'), '--progress', 'tty', `${registry.host}/cli/tty:1`]);
    assert.equal(out.code, 0, out.err);
    for (const l of layers) {
      const id = l.digest.slice('sha256:'.length, 'sha256:'.length + 12);
      assert.match(out.out, new RegExp(`\\r\\x1b\\[2K${id}: (Downloading \\[[= >]+\\] \\S+/\\S+ \\S+/s|Pull complete)\\n`));
      assert.match(out.out, new RegExp(`${id}: Pull complete\\n`));
    }
    assert.match(out.out, /\x1b\[\d+A/, 'rows are redrawn in place');
  });

  test('a missing tag exits 1 with the registry\'s "manifest unknown" on stderr', async () => {
    const out = await runCli(['pull', '--root', await fresh('cli-missing'), `${registry.host}/cli/app:nosuchtag`]);
    assert.equal(out.code, 1);
    assert.match(out.err, /manifest unknown/);
    assert.match(out.err, /cli\/app:nosuchtag/);
  });
});

describe('redirected blobs', () => {
  // distribution's `redirect` storage middleware answers blob GETs with a 307 to another
  // server, as a registry on cloud storage does; that server serves the registry's own files.
  let blobs: BlobHost;
  let registry: TestRegistry;
  before(async () => {
    blobs = await startBlobHost();
    registry = await startRegistry({ auth: 'token', redirectBaseUrl: blobs.url });
    blobs.root = join(registry.dir, 'storage');
  });
  after(async () => {
    await registry?.stop();
    await blobs?.stop();
  });

  test('blob GETs follow the redirect to the other host, which never sees the registry\'s Authorization', async () => {
    const { manifest, layers } = await pushLayered(registry, 'redir/app:1', 3);
    const c = client({ DOCKER_CONFIG: await dockerConfig(basicAuth(registry)) });
    try {
      const result = await withStore('redirect', async (store) => {
        const r = await pull(store, `${registry.host}/redir/app:1`, { client: c });
        for (const l of layers) assert.ok(await store.hasBlob(l.digest));
        return r;
      });
      assert.equal(result.digest, manifest.digest);
      // Three layers and the config came from the blob host.
      const served = blobs.requests.filter((r) => r.path.startsWith('/docker/registry/v2/blobs/'));
      assert.equal(served.length, 4);
      for (const l of layers) assert.ok(served.some((r) => r.path.includes(l.digest.slice('sha256:'.length))), l.digest);
      assert.ok(blobs.requests.every((r) => r.authorization === undefined));
    } finally {
      await c.close();
    }
  });
});
