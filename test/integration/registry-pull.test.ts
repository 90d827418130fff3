// hull pull against the real distribution registry, in each auth mode, with images pushed by
// skopeo from a hull-made OCI layout. Needs docker-registry, openssl, htpasswd and skopeo (test/setup.sh).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parsePlatform } from '../../src/image/platform.js';
import { RegistryClient } from '../../src/registry/client.js';
import { pull } from '../../src/registry/pull.js';
import { Store } from '../../src/store/store.js';
import { RegistryError } from '../../src/errors.js';
import { startRegistry, type RegistryAuth, type TestRegistry } from '../helpers/registry.js';
import { makeImage, makeIndex, pushWithSkopeo } from '../helpers/registry-images.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hull-pull-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** A client that sees only this test's Docker config and certs.d. */
async function clientFor(registry: TestRegistry, name: string, password?: string): Promise<RegistryClient> {
  const dockerConfig = join(dir, `docker-${name}`);
  await mkdir(dockerConfig, { recursive: true });
  const [user, pass] = Object.entries(registry.users)[0]!;
  const auths = registry.auth === 'none' ? {} : { [registry.host]: { auth: Buffer.from(`${user}:${password ?? pass}`).toString('base64') } };
  await writeFile(join(dockerConfig, 'config.json'), JSON.stringify({ auths }));
  return new RegistryClient({
    env: { DOCKER_CONFIG: dockerConfig, HOME: dir },
    config: { mirrors: [], insecure: [] },
    certsDirs: registry.certsD ? [registry.certsD] : [],
    retry: { attempts: 2, baseDelayMs: 10 },
  });
}

for (const auth of ['none', 'basic-tls', 'token'] as const satisfies readonly RegistryAuth[]) {
  describe(`pull through auth ${auth}`, () => {
    let registry: TestRegistry;
    let client: RegistryClient;
    before(async () => {
      registry = await startRegistry({ auth });
      client = await clientFor(registry, auth);
    });
    after(async () => {
      await client.close();
      await registry.stop();
    });

    test('an image pushed by skopeo is pulled with the same digest, and again without downloads', async () => {
      const src = join(dir, `src-${auth}`);
      const manifest = await makeImage(src, 'app');
      await pushWithSkopeo(src, 'local/app:1', registry, 'team/app:1');
      const store = await Store.open(join(dir, `dst-${auth}`));
      try {
        const events: string[] = [];
        const received = new Map<string, number>();
        const result = await pull(store, `${registry.host}/team/app:1`, {
          client,
          onEvent: (e) => {
            if (e.kind === 'progress') received.set(e.digest, e.received);
            else events.push(e.kind === 'blob' ? `${e.role} ${e.status}` : e.kind);
          },
        });
        assert.equal(result.digest, manifest.digest);
        assert.equal(result.downloaded, true);
        assert.deepEqual(events.sort(), ['config downloaded', 'layer downloaded', 'resolved']);
        // Progress ends at each blob's full size.
        assert.equal(received.size, 2);
        for (const [digest, bytes] of received) assert.equal(bytes, (await store.statBlob(digest as never))?.size);
        assert.equal((await store.resolve(`${registry.host}/team/app:1`))?.digest, manifest.digest);
        assert.deepEqual((await store.blobRecord(manifest.digest))?.sources ?? [`${registry.host}/team/app`], [`${registry.host}/team/app`]);
        const again = await pull(store, `${registry.host}/team/app@${manifest.digest}`, { client });
        assert.equal(again.downloaded, false);
      } finally {
        await store.close();
      }
    });

    test('a missing tag is "manifest unknown" naming repository and tag', async () => {
      const store = await Store.open(join(dir, `missing-${auth}`));
      try {
        await assert.rejects(pull(store, `${registry.host}/team/app:nosuchtag`, { client }), (err: unknown) => {
          assert.ok(err instanceof RegistryError);
          assert.match(err.message, new RegExp(`^manifest unknown: ${registry.host.replace(/\./g, '\\.')}/team/app:nosuchtag`));
          assert.equal(err.status, 404);
          return true;
        });
      } finally {
        await store.close();
      }
    });

    if (auth !== 'none') {
      test('a wrong password is refused with advice to log in, and the password is not shown', async () => {
        const bad = await clientFor(registry, `${auth}-bad`, 'wrong-password');
        const store = await Store.open(join(dir, `bad-${auth}`));
        try {
          await assert.rejects(pull(store, `${registry.host}/team/app:1`, { client: bad }), (err: unknown) => {
            assert.ok(err instanceof RegistryError);
            assert.match(err.message, /hull login/);
            assert.doesNotMatch(err.message, /wrong-password/);
            return true;
          });
        } finally {
          await store.close();
          await bad.close();
        }
      });
    }
  });
}

test('from a multi-platform index, arm/v7 falls back to the v6 image when no v7 exists; a missing platform lists what exists', async () => {
  const registry = await startRegistry({ auth: 'none' });
  const client = await clientFor(registry, 'index');
  try {
    const src = join(dir, 'src-index');
    const { index, manifests } = await makeIndex(src, 'multi', ['linux/amd64', 'linux/arm/v6', 'linux/arm64']);
    await pushWithSkopeo(src, 'local/multi:1', registry, 'multi:1', true);
    const store = await Store.open(join(dir, 'dst-index'));
    try {
      const result = await pull(store, `${registry.host}/multi:1`, { client, platform: parsePlatform('linux/arm/v7') });
      assert.equal(result.digest, index.digest);
      assert.equal(result.platform, 'linux/arm/v6');
      assert.equal(result.manifest.digest, manifests[1]!.digest);
      assert.equal((await store.resolve(`${registry.host}/multi:1`))?.digest, index.digest);
      await assert.rejects(pull(store, `${registry.host}/multi:1`, { client, platform: parsePlatform('linux/s390x') }), /linux\/amd64, linux\/arm\/v6, linux\/arm64/);
    } finally {
      await store.close();
    }
  } finally {
    await client.close();
    await registry.stop();
  }
});
