// Registry faults through the whole product: `hull push`, `hull build --push`, `-o type=registry`,
// `--cache-to type=registry`, `hull pull` and a build whose FROM base is pulled, each talking to
// the real registry through a fault-injecting proxy (test/helpers/fault-proxy.ts): connections cut
// in the middle of a blob (upload and download), 500s, 429 with Retry-After, stalled answers, and
// bearer tokens that run out in the middle of a push. Every command either succeeds and the image
// verifies (skopeo inspect, and a skopeo copy that fetches every blob and checks its digest), or
// fails with an error naming the registry's answer while the tag is absent or still names the
// previous complete image; after a failure, every tag the repository does hold must copy whole:
// no tag ever points at a missing blob. A fresh proxy per test is a registry of its own to hull
// (host:port), so no test mounts blobs or reuses tokens another one left. Needs root (builds run
// in runc), docker-registry and skopeo; the whole file takes about a minute.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Digest } from '../../src/image/digest.js';
import type { Descriptor, ImageManifest } from '../../src/image/manifest.js';
import { normalizeReference } from '../../src/image/reference.js';
import { Store } from '../../src/store/store.js';
import { publishBusybox } from '../helpers/bases.js';
import { runCli } from '../helpers/cli.js';
import { fillTree } from '../helpers/context-tree.js';
import { startFaultProxy, type FaultProxy, type FaultRule } from '../helpers/fault-proxy.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/scratch.js';
import { hasTool, skopeo, type SkopeoInspect } from '../helpers/skopeo.js';

const isRoot = process.getuid?.() === 0;
const skip = (!isRoot && 'needs root') || (!hasTool('skopeo') && 'skopeo not installed') || false;

const MiB = 1 << 20;
const RETRY_AFTER_S = 1;

const APP_DOCKERFILE = `ARG BASE
FROM \${BASE}
COPY small.bin /small.bin
COPY big.bin /big.bin
ARG V
RUN echo "v$V" > /version
`;

/** An image in a store: its manifest descriptor and the blobs faults are aimed at. */
interface LocalImage {
  descriptor: Descriptor;
  config: Descriptor;
  /** The 3 MiB layer: one monolithic PUT. */
  small: Descriptor;
  /** The 9 MiB layer: above the 8 MiB monolithic limit, so PATCHed in chunks. */
  big: Descriptor;
}

const hex = (d: Descriptor): string => d.digest.slice('sha256:'.length);
/** Matches a request naming the blob: its GET or HEAD, or the upload PUT carrying `?digest=`. */
const blobPath = (d: Descriptor): RegExp => new RegExp(hex(d));
const UPLOAD_START = /\/blobs\/uploads\/$/;
const MANIFEST = /\/manifests\//;
const BLOB = /\/blobs\/sha256:/;
const retryAfter = { 'retry-after': String(RETRY_AFTER_S) };

describe('registry faults through hull push, build and pull', { skip }, () => {
  const dirs = scratchDirs('hull-reliability-registry-');
  const envKeys = ['DOCKER_CONFIG', 'HULL_CONFIG', 'HULL_DOCKER_DAEMON_JSON', 'HULL_CERTS_D'] as const;
  const savedEnv = new Map(envKeys.map((k) => [k, process.env[k]]));
  let registry: TestRegistry;
  let tokenRegistry: TestRegistry;
  let dockerConfig = '';
  const credentialHosts: string[] = [];
  let base = '';
  let appRoot = '';
  let appCtx = '';
  let app1: LocalImage;
  let app2: LocalImage;
  /** app:1 in the registry (pushed directly, no proxy), for the pulls. */
  const PULL_REPO = 'pull/app';
  const totals = { faults: 0, commands: 0 };

  before(async () => {
    [registry, tokenRegistry] = await Promise.all([startRegistry(), startRegistry({ auth: 'token' })]);
    // The CLI's process-wide client reads process.env: this test's files only.
    dockerConfig = await dirs.fresh('docker');
    await writeCredentials();
    process.env.DOCKER_CONFIG = dockerConfig;
    process.env.HULL_CONFIG = join(dirs.root(), 'no-hull-config.json');
    process.env.HULL_DOCKER_DAEMON_JSON = join(dirs.root(), 'no-daemon.json');
    process.env.HULL_CERTS_D = await dirs.fresh('certs-empty');

    base = await publishBusybox(registry, join(dirs.root(), 'base-store'), dirs.root());
    appRoot = await dirs.fresh('app-store');
    appCtx = await fillTree(await dirs.fresh('app-ctx'), { Dockerfile: APP_DOCKERFILE });
    await writeFile(join(appCtx, 'small.bin'), randomBytes(3 * MiB));
    await writeFile(join(appCtx, 'big.bin'), randomBytes(9 * MiB));
    for (const v of ['1', '2']) {
      const res = await runCli(['build', '--root', appRoot, '--progress', 'plain', '--build-arg', `BASE=${base}`, '--build-arg', `V=${v}`, '-t', `local/app:${v}`, appCtx]);
      assert.equal(res.code, 0, res.err);
    }
    app1 = await localImage(appRoot, 'local/app:1');
    app2 = await localImage(appRoot, 'local/app:2');
    assert.ok(app1.big.size > 8 * MiB && app1.small.size > 2 * MiB && app1.small.size < 8 * MiB, 'one chunked and one monolithic layer');
    const seeded = await runCli(['push', '--root', appRoot, '--progress', 'plain', 'local/app:1', `${registry.host}/${PULL_REPO}:1`]);
    assert.equal(seeded.code, 0, seeded.err);
  });

  after(async () => {
    for (const [k, v] of savedEnv) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await registry?.stop();
    await tokenRegistry?.stop();
    process.stdout.write(`# registry faults: ${totals.faults} injected over ${totals.commands} hull commands\n`);
  });

  /** The token registry's user, for every proxy in front of it (credentials are kept per host:port). */
  async function writeCredentials(): Promise<void> {
    const [user, pass] = Object.entries(tokenRegistry.users)[0]!;
    const auth = Buffer.from(`${user}:${pass}`).toString('base64');
    const auths = Object.fromEntries([tokenRegistry.host, ...credentialHosts].map((h) => [h, { auth }]));
    await writeFile(join(dockerConfig, 'config.json'), JSON.stringify({ auths }));
  }

  function credsFor(reg: TestRegistry): string[] {
    if (reg.auth === 'none') return [];
    const [user, pass] = Object.entries(reg.users)[0]!;
    return ['--creds', `${user}:${pass}`];
  }

  /**
   * A fresh proxy in front of `upstream` for one test: a new host:port is a registry of its own to
   * hull, so nothing learnt in another test (a mount source, a token, an endpoint) carries over.
   */
  async function withProxy(t: TestContext, upstream: TestRegistry, rules: readonly FaultRule[], body: (proxy: FaultProxy) => Promise<void>): Promise<void> {
    const proxy = await startFaultProxy(upstream.host);
    if (upstream.auth === 'token') {
      credentialHosts.push(proxy.host);
      await writeCredentials();
    }
    for (const rule of rules) proxy.add(rule);
    try {
      await body(proxy);
    } finally {
      const injected = proxy.injected();
      totals.faults += injected;
      t.diagnostic(`faults injected: ${injected} (${summarize(proxy)})`);
      await proxy.stop();
    }
  }

  /** A hull command under test (counted for the summary). */
  async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    totals.commands++;
    return runCli(args);
  }

  /** The tag holds `expected`, and every blob it names can be fetched and matches its digest. */
  async function assertVerifies(reg: TestRegistry, repoTag: string, expected: Digest): Promise<void> {
    const seen = JSON.parse(await skopeo('inspect', '--tls-verify=false', ...credsFor(reg), `docker://${reg.host}/${repoTag}`)) as SkopeoInspect;
    assert.equal(seen.Digest, expected, `${repoTag} names the pushed manifest`);
    const bytes = await copyWhole(reg, repoTag);
    assert.equal(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, expected);
    assert.deepEqual(seen.Layers, (JSON.parse(bytes.toString()) as ImageManifest).layers.map((l) => l.digest));
  }

  /** `skopeo copy` of a tag to a directory: every blob fetched and checked against its digest. Returns the manifest's bytes. */
  async function copyWhole(reg: TestRegistry, repoTag: string): Promise<Buffer> {
    const into = await dirs.fresh('copy');
    const creds = reg.auth === 'none' ? [] : ['--src-creds', credsFor(reg)[1]!];
    await skopeo('copy', '--src-tls-verify=false', ...creds, `docker://${reg.host}/${repoTag}`, `dir:${into}`);
    const manifest = await readFile(join(into, 'manifest.json'));
    const doc = JSON.parse(manifest.toString()) as ImageManifest;
    const files = new Set(await readdir(into));
    for (const d of [doc.config, ...doc.layers]) assert.ok(files.has(hex(d)), `${repoTag}: blob ${d.digest} copied`);
    return manifest;
  }

  async function assertTagAbsent(reg: TestRegistry, repoTag: string): Promise<void> {
    await assert.rejects(skopeo('inspect', '--tls-verify=false', ...credsFor(reg), '--raw', `docker://${reg.host}/${repoTag}`), /manifest unknown|name unknown/i, `${repoTag} must not exist`);
  }

  /** The invariant: whatever tags the repository holds after a fault, each one copies whole. */
  async function assertEveryTagWhole(reg: TestRegistry, repo: string): Promise<void> {
    let tags: string[];
    try {
      tags = (JSON.parse(await skopeo('list-tags', '--tls-verify=false', ...credsFor(reg), `docker://${reg.host}/${repo}`)) as { Tags: string[] }).Tags;
    } catch (err) {
      // A repository nothing was ever tagged in: distribution answers the tag list with 404.
      if (/name unknown|404/i.test(String(err))) return;
      throw err;
    }
    for (const tag of tags) await copyWhole(reg, `${repo}:${tag}`);
  }

  async function pushCli(proxy: FaultProxy, source: string, repoTag: string): Promise<{ code: number; out: string; err: string }> {
    return run('push', '--root', appRoot, '--progress', 'plain', source, `${proxy.host}/${repoTag}`);
  }

  async function pulledTag(root: string, ref: string): Promise<Descriptor | undefined> {
    const store = await Store.open(root);
    try {
      return await store.resolve(ref);
    } finally {
      await store.close();
    }
  }

  /** A pulled image in hull's store read back by skopeo (an OCI layout): every blob checked against its digest. */
  async function assertStoreCopies(root: string, ref: string): Promise<void> {
    await skopeo('copy', `oci:${join(root, 'oci')}:${normalizeReference(ref)}`, `dir:${await dirs.fresh('store-copy')}`);
  }

  describe('hull push', () => {
    it('a connection cut in the middle of a monolithic blob PUT and of a chunk PATCH: retried, the image verifies', async (t) => {
      await withProxy(
        t,
        registry,
        [
          { method: 'PUT', path: blobPath(app1.small), fault: { kind: 'reset-request', afterBytes: 1 * MiB } },
          { method: 'PATCH', fault: { kind: 'reset-request', afterBytes: 3 * MiB } },
        ],
        async (proxy) => {
          const res = await pushCli(proxy, 'local/app:1', 'push/reset:1');
          assert.equal(res.code, 0, res.err);
          assert.equal(proxy.log.filter((e) => e.outcome === 'reset').length, 2, 'both cuts happened');
          await assertVerifies(registry, 'push/reset:1', app1.descriptor.digest);
        },
      );
    });

    it('answers cut after the registry took a whole blob and the manifest: the retries find the blob there and PUT the manifest again', async (t) => {
      await withProxy(
        t,
        registry,
        [
          { method: 'PUT', path: blobPath(app1.small), fault: { kind: 'reset-response', afterBytes: 0 } },
          { method: 'PUT', path: MANIFEST, fault: { kind: 'reset-response', afterBytes: 0 } },
        ],
        async (proxy) => {
          const res = await pushCli(proxy, 'local/app:1', 'push/cut-answer:1');
          assert.equal(res.code, 0, res.err);
          assert.equal(proxy.injected(), 2);
          assert.equal(proxy.count('PUT', blobPath(app1.small)), 1, 'HEAD found the blob: no second upload');
          assert.equal(proxy.count('PUT', MANIFEST), 2);
          await assertVerifies(registry, 'push/cut-answer:1', app1.descriptor.digest);
        },
      );
    });

    it('500s on the upload POST, a blob HEAD and the manifest PUT: retried, the image verifies', async (t) => {
      await withProxy(
        t,
        registry,
        [
          { method: 'POST', path: UPLOAD_START, times: 2, fault: { kind: 'status', status: 500 } },
          { method: 'HEAD', path: blobPath(app1.big), fault: { kind: 'status', status: 500 } },
          { method: 'PUT', path: MANIFEST, fault: { kind: 'status', status: 500 } },
        ],
        async (proxy) => {
          const res = await pushCli(proxy, 'local/app:1', 'push/500:1');
          assert.equal(res.code, 0, res.err);
          assert.equal(proxy.injected(), 4);
          await assertVerifies(registry, 'push/500:1', app1.descriptor.digest);
        },
      );
    });

    it('429 with Retry-After on a blob HEAD, an upload and the manifest PUT: waited out, the image verifies', async (t) => {
      const status = { kind: 'status' as const, status: 429, headers: retryAfter, body: JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] }) };
      await withProxy(
        t,
        registry,
        [
          { method: 'HEAD', path: BLOB, fault: status },
          { method: 'PUT', path: blobPath(app1.small), fault: status },
          { method: 'PUT', path: MANIFEST, fault: status },
        ],
        async (proxy) => {
          const started = Date.now();
          const res = await pushCli(proxy, 'local/app:1', 'push/429:1');
          assert.equal(res.code, 0, res.err);
          assert.equal(proxy.injected(), 3);
          // The manifest's wait comes after every blob's: at least two waits in a row.
          assert.ok(Date.now() - started >= 2 * RETRY_AFTER_S * 1000 - 50, `Retry-After was honoured (${Date.now() - started} ms)`);
          await assertVerifies(registry, 'push/429:1', app1.descriptor.digest);
        },
      );
    });

    it('stalled answers (a blob HEAD, a chunk PATCH, the manifest PUT) only slow the push down', async (t) => {
      await withProxy(
        t,
        registry,
        [
          { method: 'HEAD', path: BLOB, fault: { kind: 'stall', ms: 1500 } },
          { method: 'PATCH', fault: { kind: 'stall', ms: 1500 } },
          { method: 'PUT', path: MANIFEST, fault: { kind: 'stall', ms: 1500 } },
        ],
        async (proxy) => {
          const res = await pushCli(proxy, 'local/app:1', 'push/stall:1');
          assert.equal(res.code, 0, res.err);
          assert.equal(proxy.injected(), 3);
          await assertVerifies(registry, 'push/stall:1', app1.descriptor.digest);
        },
      );
    });

    it('when every upload of a blob is cut: a clear error after the retries, no manifest PUT, no tag', async (t) => {
      await withProxy(t, registry, [{ method: 'PUT', path: blobPath(app1.small), times: Infinity, fault: { kind: 'reset-request', afterBytes: 64 * 1024 } }], async (proxy) => {
        const res = await pushCli(proxy, 'local/app:1', 'push/gave-up:1');
        assert.equal(res.code, 1);
        assert.match(res.err, new RegExp(`pushing blob ${app1.small.digest}`));
        assert.match(res.err, /gave up after 5 attempts/);
        assert.equal(proxy.count('PUT', blobPath(app1.small)), 5, 'five attempts, not more');
        assert.equal(proxy.count('PUT', MANIFEST), 0);
        await assertTagAbsent(registry, 'push/gave-up:1');
        await assertEveryTagWhole(registry, 'push/gave-up');
      });
    });

    it('when a new image cannot be uploaded (500 every time), the tag still names the previous complete image', async (t) => {
      await withProxy(t, registry, [], async (proxy) => {
        const first = await pushCli(proxy, 'local/app:1', 'push/keep:latest');
        assert.equal(first.code, 0, first.err);
        const before = proxy.count('POST', UPLOAD_START);
        proxy.add({ method: 'POST', path: UPLOAD_START, times: Infinity, fault: { kind: 'status', status: 500 } });
        const second = await pushCli(proxy, 'local/app:2', 'push/keep:latest');
        assert.equal(second.code, 1);
        assert.match(second.err, /starting the upload: the registry answered 500/);
        assert.match(second.err, /gave up after 5 attempts/);
        // app:2 shares every layer but the last with app:1: two blobs to upload, each given up on after five tries.
        const posts = proxy.count('POST', UPLOAD_START) - before;
        assert.ok(posts <= 10, `${posts} upload POSTs: retries are not multiplied`);
        assert.notEqual(app2.descriptor.digest, app1.descriptor.digest);
        await assertVerifies(registry, 'push/keep:latest', app1.descriptor.digest);
        await assertEveryTagWhole(registry, 'push/keep');
      });
    });

    it('when the manifest PUT fails every time: a clear error, and no tag (the blobs alone name nothing)', async (t) => {
      await withProxy(t, registry, [{ method: 'PUT', path: MANIFEST, times: Infinity, fault: { kind: 'status', status: 503 } }], async (proxy) => {
        const res = await pushCli(proxy, 'local/app:1', 'push/no-manifest:1');
        assert.equal(res.code, 1);
        assert.match(res.err, /manifest 1 .*answered 503/);
        assert.ok(proxy.count('PUT', MANIFEST) <= 5, `${proxy.count('PUT', MANIFEST)} manifest PUTs: retries are not multiplied`);
        await assertTagAbsent(registry, 'push/no-manifest:1');
      });
    });
  });

  describe('hull build pushing', () => {
    function buildArgs(...more: string[]): string[] {
      return ['build', '--root', appRoot, '--progress', 'plain', '--build-arg', `BASE=${base}`, '--build-arg', 'V=1', ...more, appCtx];
    }

    it('--push through a cut blob upload and 500s: the image verifies', async (t) => {
      await withProxy(
        t,
        registry,
        [
          { method: 'PATCH', fault: { kind: 'reset-request', afterBytes: 2 * MiB } },
          { method: 'PUT', path: blobPath(app1.small), fault: { kind: 'reset-request', afterBytes: MiB } },
          { method: 'POST', path: UPLOAD_START, fault: { kind: 'status', status: 500 } },
          { method: 'PUT', path: MANIFEST, fault: { kind: 'status', status: 502 } },
        ],
        async (proxy) => {
          const res = await run(...buildArgs('-t', `${proxy.host}/build/push:1`, '--push'));
          assert.equal(res.code, 0, res.err);
          assert.equal(proxy.injected(), 4);
          await assertVerifies(registry, 'build/push:1', app1.descriptor.digest);
        },
      );
    });

    it('-o type=registry through 429 with Retry-After and stalls: the image verifies', async (t) => {
      await withProxy(
        t,
        registry,
        [
          { method: 'POST', path: UPLOAD_START, fault: { kind: 'status', status: 429, headers: retryAfter } },
          { method: 'PATCH', fault: { kind: 'stall', ms: 1000 } },
          { method: 'PUT', path: MANIFEST, fault: { kind: 'stall', ms: 1000 } },
        ],
        async (proxy) => {
          const res = await run(...buildArgs('-t', `${proxy.host}/build/output:1`, '-o', 'type=registry'));
          assert.equal(res.code, 0, res.err);
          assert.equal(proxy.injected(), 3);
          await assertVerifies(registry, 'build/output:1', app1.descriptor.digest);
        },
      );
    });

    it('--push when every upload of a layer is cut: the build fails naming the blob, and no tag', async (t) => {
      await withProxy(t, registry, [{ method: 'PATCH', times: Infinity, fault: { kind: 'reset-request', afterBytes: 512 * 1024 } }], async (proxy) => {
        const res = await run(...buildArgs('-t', `${proxy.host}/build/gave-up:1`, '--push'));
        assert.equal(res.code, 1);
        assert.match(res.err, new RegExp(`pushing blob ${app1.big.digest}`));
        assert.match(res.err, /gave up after 5 attempts/);
        assert.equal(proxy.count('PUT', MANIFEST), 0);
        await assertTagAbsent(registry, 'build/gave-up:1');
        await assertEveryTagWhole(registry, 'build/gave-up');
      });
    });

    it('--cache-to type=registry through a cut blob, a 500 and a 429: the cache artifact copies whole', async (t) => {
      await withProxy(
        t,
        registry,
        [
          { method: 'PATCH', fault: { kind: 'reset-request', afterBytes: 4 * MiB } },
          { method: 'HEAD', path: BLOB, fault: { kind: 'status', status: 500 } },
          { method: 'PUT', path: MANIFEST, fault: { kind: 'status', status: 429, headers: retryAfter } },
        ],
        async (proxy) => {
          const res = await run(...buildArgs('--cache-to', `type=registry,ref=${proxy.host}/build/cache:1,mode=max`));
          assert.equal(res.code, 0, res.err);
          assert.equal(proxy.injected(), 3);
          const manifest = JSON.parse((await copyWhole(registry, 'build/cache:1')).toString()) as ImageManifest;
          const layers = new Set(manifest.layers.map((l) => l.digest));
          for (const l of [app1.small, app1.big]) assert.ok(layers.has(l.digest), `the cache carries ${l.digest}`);
          await assertEveryTagWhole(registry, 'build/cache');
        },
      );
    });

    it('--cache-to type=registry when the cache manifest cannot be PUT: the build fails saying so, and no cache tag', async (t) => {
      await withProxy(t, registry, [{ method: 'PUT', path: MANIFEST, times: Infinity, fault: { kind: 'status', status: 500 } }], async (proxy) => {
        const res = await run(...buildArgs('--cache-to', `type=registry,ref=${proxy.host}/build/cache-fail:1,mode=max`));
        assert.equal(res.code, 1);
        assert.match(res.err, /manifest 1 .*answered 500/);
        await assertTagAbsent(registry, 'build/cache-fail:1');
      });
    });
  });

  describe('pulling', () => {
    it('hull pull through a body cut mid-blob, a 500 on the manifest and a 429 on the config: the stored image copies whole', async (t) => {
      await withProxy(
        t,
        registry,
        [
          { method: 'GET', path: MANIFEST, fault: { kind: 'status', status: 500 } },
          { method: 'GET', path: blobPath(app1.config), fault: { kind: 'status', status: 429, headers: retryAfter } },
          { method: 'GET', path: blobPath(app1.big), fault: { kind: 'reset-response', afterBytes: 5 * MiB } },
          { method: 'GET', path: blobPath(app1.small), fault: { kind: 'reset-response', afterBytes: MiB } },
        ],
        async (proxy) => {
          const root = await dirs.fresh('pull-store');
          const ref = `${proxy.host}/${PULL_REPO}:1`;
          const res = await run('pull', '--root', root, '--progress', 'plain', ref);
          assert.equal(res.code, 0, res.err);
          assert.match(res.out, new RegExp(`Digest: ${app1.descriptor.digest}`));
          assert.equal(proxy.injected(), 4);
          assert.equal((await pulledTag(root, ref))?.digest, app1.descriptor.digest);
          await assertStoreCopies(root, ref);
        },
      );
    });

    it('hull pull through stalled answers: slower, and whole', async (t) => {
      await withProxy(
        t,
        registry,
        [
          { method: 'GET', path: MANIFEST, fault: { kind: 'stall', ms: 1000 } },
          { method: 'GET', path: BLOB, times: 2, fault: { kind: 'stall', ms: 1500 } },
        ],
        async (proxy) => {
          const root = await dirs.fresh('pull-store');
          const ref = `${proxy.host}/${PULL_REPO}:1`;
          const res = await run('pull', '--root', root, '--progress', 'plain', ref);
          assert.equal(res.code, 0, res.err);
          assert.equal(proxy.injected(), 3);
          await assertStoreCopies(root, ref);
        },
      );
    });

    it('hull pull when every download of a layer is cut: a clear error naming the blob, and no local tag', async (t) => {
      await withProxy(t, registry, [{ method: 'GET', path: blobPath(app1.big), times: Infinity, fault: { kind: 'reset-response', afterBytes: MiB } }], async (proxy) => {
        const root = await dirs.fresh('pull-store');
        const ref = `${proxy.host}/${PULL_REPO}:1`;
        const res = await run('pull', '--root', root, '--progress', 'plain', ref);
        assert.equal(res.code, 1);
        assert.match(res.err, new RegExp(`${app1.big.digest}`));
        assert.match(res.err, /gave up after 5 attempts/);
        assert.ok(proxy.count('GET', blobPath(app1.big)) <= 5, `${proxy.count('GET', blobPath(app1.big))} GETs: retries are not multiplied`);
        assert.equal(await pulledTag(root, ref), undefined);
      });
    });

    it('a build FROM a base pulled through a cut layer, a 500 and a 429: builds, and the base is whole in the store', async (t) => {
      const baseLayer = await baseLayerOf(base);
      await withProxy(
        t,
        registry,
        [
          { method: 'GET', path: MANIFEST, fault: { kind: 'status', status: 500 } },
          { method: 'GET', path: blobPath(baseLayer), fault: { kind: 'reset-response', afterBytes: Math.floor(baseLayer.size / 2) } },
          { method: 'GET', path: BLOB, fault: { kind: 'status', status: 429, headers: retryAfter } },
        ],
        async (proxy) => {
          const root = await dirs.fresh('from-store');
          const ctx = await fillTree(await dirs.fresh('from-ctx'), { Dockerfile: 'ARG BASE\nFROM ${BASE}\nRUN echo pulled > /pulled\n' });
          const proxied = `${proxy.host}/base/busybox:1`;
          const res = await run('build', '--root', root, '--progress', 'plain', '--build-arg', `BASE=${proxied}`, '-t', 'local/from:1', ctx);
          assert.equal(res.code, 0, res.err);
          assert.equal(proxy.injected(), 3);
          assert.equal(proxy.log.filter((e) => e.outcome === 'reset').length, 1, 'the base layer download was cut');
          await assertStoreCopies(root, proxied);
          await assertStoreCopies(root, 'local/from:1');
        },
      );
    });

    it('a build FROM a base whose layer the registry fails every time: the build fails naming the registry answer', async (t) => {
      const baseLayer = await baseLayerOf(base);
      await withProxy(t, registry, [{ method: 'GET', path: blobPath(baseLayer), times: Infinity, fault: { kind: 'status', status: 503 } }], async (proxy) => {
        const root = await dirs.fresh('from-store');
        const ctx = await fillTree(await dirs.fresh('from-ctx'), { Dockerfile: 'ARG BASE\nFROM ${BASE}\nRUN true\n' });
        const proxied = `${proxy.host}/base/busybox:1`;
        const res = await run('build', '--root', root, '--progress', 'plain', '--build-arg', `BASE=${proxied}`, '-t', 'local/from-fail:1', ctx);
        assert.equal(res.code, 1);
        assert.match(res.err, /503|service unavailable/);
        assert.match(res.err, new RegExp(baseLayer.digest));
        assert.ok(proxy.count('GET', blobPath(baseLayer)) <= 5, `${proxy.count('GET', blobPath(baseLayer))} GETs: retries are not multiplied`);
        assert.equal(await pulledTag(root, proxied), undefined);
        assert.equal(await pulledTag(root, 'local/from-fail:1'), undefined);
      });
    });
  });

  describe('bearer tokens that run out mid-operation', () => {
    it('hull push: the registry refuses the token part way (on a blob upload); hull takes a new token and finishes', async (t) => {
      const tokens = tokenRegistry.tokens!;
      // The config's upload is held at the proxy until the tokens hull holds have run out: the
      // registry then refuses that PUT (its body a stream hull must send again) with a 401.
      await withProxy(t, tokenRegistry, [{ method: 'PUT', path: blobPath(app1.config), fault: { kind: 'stall', ms: 3000 } }], async (proxy) => {
        tokens.requests.length = 0;
        tokens.expireIssuedTokensAt(Date.now() + 2000);
        try {
          const res = await pushCli(proxy, 'local/app:1', 'tok/app:1');
          assert.equal(res.code, 0, res.err);
        } finally {
          tokens.expireIssuedTokensAt(0);
        }
        const refused = proxy.log.filter((e) => e.outcome === '401' && e.authorized);
        assert.ok(refused.some((e) => e.method === 'PUT' && blobPath(app1.config).test(e.path)), `the registry refused the stalled upload: ${JSON.stringify(refused)}`);
        const asked = tokens.requests.filter((r) => r.scopes.includes('repository:tok/app:pull,push'));
        assert.ok(asked.length >= 2, `a new token was fetched after the refusal (${asked.length} token requests)`);
        assert.ok(asked.every((r) => r.user === 'hull'));
        await assertVerifies(tokenRegistry, 'tok/app:1', app1.descriptor.digest);
      });
    });

    it('hull pull: the token runs out between blobs; hull takes a new token and the stored image copies whole', async (t) => {
      const seeded = await runCli(['push', '--root', appRoot, '--progress', 'plain', 'local/app:1', `${tokenRegistry.host}/tok/pull:1`]);
      assert.equal(seeded.code, 0, seeded.err);
      const tokens = tokenRegistry.tokens!;
      await withProxy(t, tokenRegistry, [{ method: 'GET', path: blobPath(app1.big), fault: { kind: 'stall', ms: 3000 } }], async (proxy) => {
        tokens.expireIssuedTokensAt(Date.now() + 2000);
        const root = await dirs.fresh('tok-pull');
        const ref = `${proxy.host}/tok/pull:1`;
        try {
          const res = await run('pull', '--root', root, '--progress', 'plain', ref);
          assert.equal(res.code, 0, res.err);
        } finally {
          tokens.expireIssuedTokensAt(0);
        }
        assert.ok(proxy.log.some((e) => e.outcome === '401' && e.authorized && e.method === 'GET'), 'the registry refused the stalled GET');
        await assertStoreCopies(root, ref);
      });
    });
  });

  /** The one layer of the busybox base. */
  async function baseLayerOf(ref: string): Promise<Descriptor> {
    const seen = JSON.parse(await skopeo('inspect', '--tls-verify=false', '--raw', `docker://${ref}`)) as ImageManifest;
    assert.equal(seen.layers.length, 1);
    return seen.layers[0]!;
  }
});

async function localImage(root: string, ref: string): Promise<LocalImage> {
  const store = await Store.open(root);
  try {
    const descriptor = await store.resolve(ref);
    if (!descriptor) throw new Error(`${ref} is not in ${root}`);
    const parsed = await store.readManifest(descriptor);
    if (parsed.kind !== 'manifest') throw new Error(`${ref} is an index`);
    const bySize = [...parsed.manifest.layers].sort((a, b) => b.size - a.size);
    return { descriptor, config: parsed.manifest.config, big: bySize[0]!, small: bySize[1]! };
  } finally {
    await store.close();
  }
}

/** `METHOD outcome×n` for the requests a fault took effect on. */
function summarize(proxy: FaultProxy): string {
  const counts = new Map<string, number>();
  for (const e of proxy.log) {
    if (e.fault === undefined) continue;
    const key = `${e.method} ${e.fault}${e.fault === 'status' ? ` ${e.outcome}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k}×${n}`).join(', ') || 'none';
}
