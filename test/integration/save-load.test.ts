/**
 * What hull saves, read by an independent tool: skopeo inspects and copies hull's
 * docker-archive and OCI archives, and hull loads the archives skopeo writes. Needs `skopeo`
 * (Debian package, see test/setup.sh).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Store } from '../../src/store/index.js';
import { hull } from '../helpers/archive.js';
import { putImage, tempDir, tinyImage, type TinyImage } from '../helpers/image.js';
import { hasTool, skopeo, type SkopeoInspect } from '../helpers/skopeo.js';

const skip = hasTool('skopeo') ? false : 'skopeo not installed (run test/setup.sh)';


describe('hull save / load against skopeo', { skip }, () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let root: string;
  let image: TinyImage;
  let other: TinyImage;

  const save = async (file: string, ...args: string[]): Promise<void> => {
    const r = await hull(['save', '--root', root, '-o', file, ...args]);
    assert.equal(r.code, 0, r.err);
  };

  before(async () => {
    ({ dir, cleanup } = await tempDir('hull-saveload-it-'));
    root = join(dir, 'root');
    image = await tinyImage(
      [
        [
          { name: 'etc/', type: 'directory' },
          { name: 'etc/motd', content: 'built by hull\n' },
        ],
        [{ name: 'etc/motd', content: 'second layer wins\n' }, { name: 'etc/link', type: 'symlink', linkname: 'motd' }],
      ],
      'linux/amd64',
      'hull-test',
    );
    other = await tinyImage([[{ name: 'other', content: 'another image\n' }]], 'linux/arm64');
    const store = await Store.open(root);
    await putImage(store, image);
    await putImage(store, other);
    await store.tag('hulltest:v1', image.manifest);
    await store.tag('localhost:5000/team/other:2', other.manifest);
    await store.close();
  });
  after(() => cleanup());

  it('skopeo reads the docker-archive: config, diff IDs as layers, labels', async () => {
    const file = join(dir, 'docker.tar');
    await save(file, 'hulltest:v1');
    const info = JSON.parse(await skopeo('inspect', `docker-archive:${file}`)) as SkopeoInspect;
    assert.deepEqual(info.Layers, image.diffIds);
    assert.equal(info.Architecture, 'amd64');
    assert.equal(info.Os, 'linux');
    assert.deepEqual(info.Labels, { label: 'hull-test' });
    const config = JSON.parse(await skopeo('inspect', '--config', `docker-archive:${file}`)) as { rootfs: { diff_ids: string[] } };
    assert.deepEqual(config.rootfs.diff_ids, image.diffIds);
  });

  it('skopeo finds each image of a multi-image docker-archive by its tag', async () => {
    const file = join(dir, 'two.tar');
    await save(file, 'hulltest:v1', 'localhost:5000/team/other:2');
    const a = JSON.parse(await skopeo('inspect', `docker-archive:${file}:hulltest:v1`)) as SkopeoInspect;
    const b = JSON.parse(await skopeo('inspect', `docker-archive:${file}:localhost:5000/team/other:2`)) as SkopeoInspect;
    assert.deepEqual(a.Layers, image.diffIds);
    assert.deepEqual(b.Layers, other.diffIds);
    assert.equal(b.Architecture, 'arm64');
  });

  it('the docker-archive is an OCI archive too', async () => {
    const file = join(dir, 'docker.tar');
    const info = JSON.parse(await skopeo('inspect', `oci-archive:${file}`)) as SkopeoInspect;
    assert.deepEqual(info.Layers, image.diffIds);
  });

  it('skopeo reads the OCI archive by full reference, with the stored manifest digest', async () => {
    const file = join(dir, 'oci.tar');
    await save(file, '--format', 'oci', 'hulltest:v1', 'localhost:5000/team/other:2');
    const info = JSON.parse(await skopeo('inspect', `oci-archive:${file}:docker.io/library/hulltest:v1`)) as SkopeoInspect;
    assert.equal(info.Digest, image.manifest.digest);
    assert.deepEqual(info.Layers, image.layers.map((l) => l.digest));
    const second = JSON.parse(await skopeo('inspect', `oci-archive:${file}:localhost:5000/team/other:2`)) as SkopeoInspect;
    assert.equal(second.Digest, other.manifest.digest);
  });

  it('skopeo copies hull archives into a layout with the same image', async () => {
    const layout = join(dir, 'copied');
    await skopeo('copy', `docker-archive:${join(dir, 'docker.tar')}`, `oci:${layout}:fromdocker`);
    await skopeo('copy', `oci-archive:${join(dir, 'oci.tar')}:docker.io/library/hulltest:v1`, `oci:${layout}:fromoci`);
    const fromOci = JSON.parse(await skopeo('inspect', `oci:${layout}:fromoci`)) as SkopeoInspect;
    assert.equal(fromOci.Digest, image.manifest.digest);
    const config = JSON.parse(await skopeo('inspect', '--config', `oci:${layout}:fromdocker`)) as { rootfs: { diff_ids: string[] } };
    assert.deepEqual(config.rootfs.diff_ids, image.diffIds);
  });

  it('hull loads the docker-archive skopeo writes', async () => {
    const file = join(dir, 'by-skopeo.tar');
    await skopeo('copy', `oci:${join(root, 'oci')}:docker.io/library/hulltest:v1`, `docker-archive:${file}:hulltest:skopeo`);
    const target = join(dir, 'from-skopeo-docker');
    const r = await hull(['load', '--root', target, '-i', file]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Loaded image: hulltest:skopeo\n');
    const store = await Store.open(target);
    try {
      const parsed = await store.readManifest((await store.resolve('hulltest:skopeo'))!);
      assert.ok(parsed.kind === 'manifest');
      assert.equal(parsed.manifest.config.digest, image.config.digest);
      assert.deepEqual((await store.readConfig(parsed.manifest.config.digest)).rootfs.diff_ids, image.diffIds);
    } finally {
      await store.close();
    }
  });

  it('hull loads the OCI archive skopeo writes, keeping the manifest digest', async () => {
    const file = join(dir, 'by-skopeo-oci.tar');
    await skopeo('copy', `oci:${join(root, 'oci')}:docker.io/library/hulltest:v1`, `oci-archive:${file}:docker.io/library/hulltest:fromskopeo`);
    const target = join(dir, 'from-skopeo-oci');
    const r = await hull(['load', '--root', target, '-i', file]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Loaded image: hulltest:fromskopeo\n');
    const store = await Store.open(target);
    try {
      assert.equal((await store.resolve('hulltest:fromskopeo'))?.digest, image.manifest.digest);
    } finally {
      await store.close();
    }
  });
});
