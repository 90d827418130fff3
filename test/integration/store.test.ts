/**
 * The store is an OCI image layout other tools read and write: skopeo inspects and copies
 * what hull tagged (by its full reference), umoci unpacks it, and what skopeo writes into the
 * layout hull reads back. Needs `skopeo` and `umoci` (Debian packages, see test/setup.sh).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { createIndex, MediaType, parsePlatform, serialize, toOciPlatform } from '../../src/image/index.js';
import { Store } from '../../src/store/index.js';
import { putImage, tempDir, tinyImage, type TinyImage } from '../helpers/image.js';
import { hasTool, skopeo, type SkopeoInspect } from '../helpers/skopeo.js';

const run = promisify(execFile);
const missing = ['skopeo', 'umoci'].filter((t) => !hasTool(t));
const skip = missing.length > 0 ? `${missing.join(' and ')} not installed (run test/setup.sh)` : false;


describe('the store as an OCI layout, read by skopeo and umoci', { skip }, () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let root: string;
  let layout: string;
  let store: Store;
  let image: TinyImage;
  let arm: TinyImage;
  const REF = 'docker.io/library/hulltest:v1';
  const PRIVATE = 'localhost:5000/team/app:1.0';

  before(async () => {
    ({ dir, cleanup } = await tempDir('hull-oci-'));
    root = join(dir, 'root');
    layout = join(root, 'oci');
    store = await Store.open(root);
    image = await tinyImage(
      [
        [
          { name: 'etc/', type: 'directory' },
          { name: 'etc/motd', content: 'built by hull\n' },
          { name: 'bin/', type: 'directory' },
          { name: 'bin/hello', content: '#!/bin/sh\necho hello\n', mode: 0o755 },
        ],
        [{ name: 'etc/motd', content: 'second layer wins\n' }, { name: 'etc/link', type: 'symlink', linkname: 'motd' }],
      ],
      'linux/amd64',
      'hull-test',
    );
    arm = await tinyImage([[{ name: 'arch', content: 'arm64\n' }]], 'linux/arm64');
    await putImage(store, image);
    await putImage(store, arm);
    await store.tag('hulltest:v1', image.manifest);
    await store.tag(PRIVATE, arm.manifest);
  });
  after(async () => {
    await store.close();
    await cleanup();
  });

  it('skopeo inspects a tag by its full reference', async () => {
    const info = JSON.parse(await skopeo('inspect', `oci:${layout}:${REF}`)) as SkopeoInspect;
    assert.equal(info.Digest, image.manifest.digest);
    assert.deepEqual(info.Layers, image.layers.map((l) => l.digest));
    assert.equal(info.Architecture, 'amd64');
    assert.equal(info.Os, 'linux');
    assert.deepEqual(info.Labels, { label: 'hull-test' });
    const config = JSON.parse(await skopeo('inspect', '--config', `oci:${layout}:${REF}`)) as { rootfs: { diff_ids: string[] } };
    assert.deepEqual(config.rootfs.diff_ids, image.diffIds);
  });

  it('skopeo addresses a registry reference with a port', async () => {
    const info = JSON.parse(await skopeo('inspect', `oci:${layout}:${PRIVATE}`)) as SkopeoInspect;
    assert.equal(info.Digest, arm.manifest.digest);
    assert.equal(info.Architecture, 'arm64');
  });

  it('skopeo copies an image out of the store unchanged', async () => {
    const other = join(dir, 'copy');
    await skopeo('copy', `oci:${layout}:${REF}`, `oci:${other}:x`);
    const info = JSON.parse(await skopeo('inspect', `oci:${other}:x`)) as SkopeoInspect;
    assert.equal(info.Digest, image.manifest.digest, 'same manifest bytes');
    assert.deepEqual(info.Layers, image.layers.map((l) => l.digest));
  });

  it('hull reads what skopeo copies into the store', async () => {
    const other = join(dir, 'copy');
    await skopeo('copy', `oci:${other}:x`, `oci:${layout}:docker.io/library/copied:2`);
    const fresh = await Store.open(root);
    assert.deepEqual((await fresh.listTags()).map((t) => t.reference), ['docker.io/library/copied:2', REF, PRIVATE].sort());
    const copied = await fresh.resolve('copied:2');
    assert.equal(copied?.digest, image.manifest.digest);
    assert.deepEqual(await fresh.resolve('hulltest:v1'), image.manifest, 'hull tags survive skopeo rewriting index.json');
    const report = await fresh.prune({ all: true });
    assert.deepEqual(report.blobs, [], 'everything skopeo and hull wrote is tagged');
    await fresh.close();
    const info = JSON.parse(await skopeo('inspect', `oci:${layout}:docker.io/library/copied:2`)) as SkopeoInspect;
    assert.equal(info.Digest, image.manifest.digest);
  });

  it('umoci unpacks a tag into a bundle with the files of every layer', async () => {
    const bundle = join(dir, 'bundle');
    const rootless = process.getuid?.() === 0 ? [] : ['--rootless'];
    await run('umoci', ['unpack', ...rootless, '--image', `${layout}:${REF}`, bundle]);
    assert.equal(await readFile(join(bundle, 'rootfs', 'etc', 'motd'), 'utf8'), 'second layer wins\n');
    assert.equal(await readFile(join(bundle, 'rootfs', 'bin', 'hello'), 'utf8'), '#!/bin/sh\necho hello\n');
    assert.equal((await stat(join(bundle, 'rootfs', 'bin', 'hello'))).mode & 0o777, 0o755);
    assert.equal(await readFile(join(bundle, 'rootfs', 'etc', 'link'), 'utf8'), 'second layer wins\n');
    const config = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as { process: { args: string[]; env: string[] } };
    assert.deepEqual(config.process.args, ['/bin/sh']);
    assert.ok(config.process.env.includes('PATH=/usr/bin:/bin'));
  });

  it('umoci lists the full references as tags', async () => {
    const { stdout } = await run('umoci', ['ls', '--layout', layout]);
    const tags = stdout.trim().split('\n').sort();
    assert.ok(tags.includes(REF) && tags.includes(PRIVATE), stdout);
  });

  it('skopeo picks the platform out of a multi-platform index hull tagged', async () => {
    const index = serialize(createIndex([
      { ...image.manifest, platform: toOciPlatform(parsePlatform('linux/amd64')) },
      { ...arm.manifest, platform: toOciPlatform(parsePlatform('linux/arm64')) },
    ]));
    await store.putBlob(index.bytes);
    await store.tag('multi:1', index.descriptor);
    const ref = `oci:${layout}:docker.io/library/multi:1`;
    const raw = JSON.parse(await skopeo('inspect', '--raw', ref)) as { mediaType: string };
    assert.equal(raw.mediaType, MediaType.ociIndex);
    // skopeo reports the index's digest and the chosen manifest's layers and platform.
    const armInfo = JSON.parse(await skopeo('inspect', '--override-os', 'linux', '--override-arch', 'arm64', ref)) as SkopeoInspect;
    assert.equal(armInfo.Digest, index.descriptor.digest);
    assert.equal(armInfo.Architecture, 'arm64');
    assert.deepEqual(armInfo.Layers, arm.layers.map((l) => l.digest));
    const amdInfo = JSON.parse(await skopeo('inspect', '--override-os', 'linux', '--override-arch', 'amd64', ref)) as SkopeoInspect;
    assert.equal(amdInfo.Architecture, 'amd64');
    assert.deepEqual(amdInfo.Layers, image.layers.map((l) => l.digest));
    await run('skopeo', ['--insecure-policy', 'copy', '--all', ref, `oci:${join(dir, 'multi')}:all`]);
  });
});
