/**
 * Push checked by an independent client: hull pushes to a real registry (through the real
 * registry client), skopeo reads the result back and copies it to an OCI layout.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createIndex, serialize, type Descriptor } from '../../src/image/index.js';
import { openRepository } from '../../src/registry/client.js';
import { push } from '../../src/registry/push.js';
import { importRootfs } from '../../src/store/import.js';
import { Store } from '../../src/store/store.js';
import { runCli } from '../helpers/cli.js';
import { putImage, tempDir, tinyImage } from '../helpers/image.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { skopeo, type SkopeoInspect } from '../helpers/skopeo.js';

describe('push to a real registry, read back by skopeo', () => {
  let registry: TestRegistry;
  let work: { dir: string; cleanup: () => Promise<void> };
  let store: Store;
  before(async () => {
    registry = await startRegistry();
    work = await tempDir('hull-push-it-');
    store = await Store.open(join(work.dir, 'store'));
  });
  after(async () => {
    await store?.close();
    await registry?.stop();
    await work?.cleanup();
  });

  const inspect = async (ref: string, raw = false): Promise<string> => skopeo('inspect', ...(raw ? ['--raw'] : []), '--tls-verify=false', `docker://${registry.host}/${ref}`);

  it('an imported rootfs: same manifest digest and layers, and skopeo can copy it', async () => {
    const rootfs = join(work.dir, 'rootfs');
    await mkdir(join(rootfs, 'etc'), { recursive: true });
    await writeFile(join(rootfs, 'etc', 'hostname'), 'hull\n');
    await writeFile(join(rootfs, 'data.txt'), 'some text\n'.repeat(10_000));
    const imported = await importRootfs(store, rootfs, 'imported:1', { sourceDateEpoch: 0 });
    const session = openRepository({ registry: registry.host, repository: 'x' });
    const result = await push(store, 'imported:1', { session, tags: ['1'] });
    assert.equal(result.descriptor.digest, imported.manifest.digest);

    const seen = JSON.parse(await inspect('x:1')) as SkopeoInspect;
    assert.equal(seen.Digest, imported.manifest.digest);
    assert.deepEqual(seen.Layers, [imported.layer.digest]);
    assert.deepEqual(Buffer.from(await inspect('x:1', true)), await store.readBlob(imported.manifest.digest));

    const oci = join(work.dir, 'copied');
    await skopeo('copy', '--src-tls-verify=false', `docker://${registry.host}/x:1`, `oci:${oci}:copied`);
    const back = JSON.parse(await skopeo('inspect', `oci:${oci}:copied`)) as SkopeoInspect;
    assert.equal(back.Digest, imported.manifest.digest);
  });

  it('a multi-platform index goes with all its children, children first', async () => {
    const amd = await tinyImage([[{ name: 'a', content: 'amd64' }]], 'linux/amd64');
    const arm = await tinyImage([[{ name: 'a', content: 'arm64' }]], 'linux/arm64/v8');
    await putImage(store, amd);
    await putImage(store, arm);
    const entries: Descriptor[] = [
      { ...amd.manifest, platform: { os: 'linux', architecture: 'amd64' } },
      { ...arm.manifest, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ];
    const index = serialize(createIndex(entries));
    await store.putBlob(index.bytes, { digest: index.descriptor.digest });
    await store.tag('multi:1', index.descriptor);

    const result = await push(store, 'multi:1', { session: openRepository({ registry: registry.host, repository: 'multi' }), tags: ['1'] });
    assert.equal(result.descriptor.digest, index.descriptor.digest);
    assert.deepEqual(result.children.map((c) => c.digest), [amd.manifest.digest, arm.manifest.digest]);

    const raw = await inspect('multi:1', true);
    assert.deepEqual(Buffer.from(raw), index.bytes);
    for (const [platform, image] of [['amd64', amd], ['arm64', arm]] as const) {
      const seen = JSON.parse(await skopeo('inspect', '--tls-verify=false', '--override-arch', platform, '--override-os', 'linux', `docker://${registry.host}/multi:1`)) as SkopeoInspect;
      assert.deepEqual(seen.Layers, image.layers.map((l) => l.digest));
      // Each child is there by digest, with its exact bytes.
      assert.deepEqual(Buffer.from(await inspect(`multi@${image.manifest.digest}`, true)), image.blobs.get(image.manifest.digest));
    }
    const oci = join(work.dir, 'multi-oci');
    await skopeo('copy', '--all', '--src-tls-verify=false', `docker://${registry.host}/multi:1`, `oci:${oci}:m`);
  });

  it('hull push on the command line prints docker-like lines, and skips everything the second time', async () => {
    const image = await tinyImage([[{ name: 'etc/cli', content: 'cli' }], [{ name: 'b', content: 'b' }]], 'linux/amd64', 'cli');
    await putImage(store, image);
    await store.tag('cli:1', image.manifest);
    const root = join(work.dir, 'store');
    const first = await runCli(['push', '--root', root, '--progress', 'plain', 'cli:1', `${registry.host}/cli/app:v1`]);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, new RegExp(`^The push refers to repository \\[${registry.host}/cli/app\\]`));
    assert.equal(first.out.match(/: Pushed \d/g)?.length, 3);
    assert.match(first.out, new RegExp(`v1: digest: ${image.manifest.digest} size: ${image.manifest.size}\\n$`));
    const second = await runCli(['push', '--root', root, '--progress', 'plain', 'cli:1', `${registry.host}/cli/app:v1`]);
    assert.equal(second.code, 0, second.err);
    assert.equal(second.out.match(/: Layer already exists/g)?.length, 3);
    const seen = JSON.parse(await inspect('cli/app:v1')) as SkopeoInspect;
    assert.equal(seen.Digest, image.manifest.digest);
  });

  it('hull push --all-tags sends every local tag of a repository, one push per image', async () => {
    const one = await tinyImage([[{ name: 'etc/one', content: '1' }]], 'linux/amd64', 'one');
    const two = await tinyImage([[{ name: 'etc/two', content: '2' }]], 'linux/amd64', 'two');
    for (const image of [one, two]) await putImage(store, image);
    await store.tag('multi/app:1.0', one.manifest);
    await store.tag('multi/app:latest', one.manifest);
    await store.tag('multi/app:2.0', two.manifest);
    await store.tag('multi/other:1.0', two.manifest);
    const root = join(work.dir, 'store');
    const res = await runCli(['push', '--root', root, '--progress', 'plain', '-a', 'multi/app', `${registry.host}/multi/app`]);
    assert.equal(res.code, 0, res.err);
    for (const [tag, image] of [['1.0', one], ['latest', one], ['2.0', two]] as const) {
      assert.equal((JSON.parse(await inspect(`multi/app:${tag}`)) as SkopeoInspect).Digest, image.manifest.digest, tag);
    }
    assert.equal(res.out.match(/: digest: /g)?.length, 3);
    const tagged = await runCli(['push', '--root', root, '-a', 'multi/app:1.0']);
    assert.equal(tagged.code, 2);
  });

  it('an unknown local image is a clear error', async () => {
    const res = await runCli(['push', '--root', join(work.dir, 'store'), 'nothing:here', `${registry.host}/nothing:1`]);
    assert.equal(res.code, 1);
    assert.match(res.err, /no such image: nothing:here/);
  });
});
