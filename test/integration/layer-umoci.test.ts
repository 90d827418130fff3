// Independent readers for hull's layers: umoci (Go: gzip, tar, whiteouts, and diff_ids checked
// against the config) unpacks an OCI layout built here by hand, and skopeo re-compresses it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { LayerBlob } from '../../src/layer/index.js';
import { describeTree, extractFile, hasTool, isRoot, packToFile, run, tempDir } from '../layer/helpers.js';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** Writes a one-manifest OCI layout (tag `test`) with the given layers, by hand. */
function writeLayout(layout: string, layers: Array<{ file: string; blob: LayerBlob }>): void {
  mkdirSync(join(layout, 'blobs/sha256'), { recursive: true });
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const put = (data: Buffer): { digest: string; size: number } => {
    const hex = createHash('sha256').update(data).digest('hex');
    writeFileSync(join(layout, 'blobs/sha256', hex), data);
    return { digest: `sha256:${hex}`, size: data.length };
  };
  for (const l of layers) renameSync(l.file, join(layout, 'blobs/sha256', l.blob.digest.slice(7)));
  const config = put(Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: {},
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.blob.diffID) },
    history: layers.map(() => ({ created_by: 'hull test' })),
  })));
  const manifest = put(Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: layers.map((l) => ({
      mediaType: `application/vnd.oci.image.layer.v1.tar${l.blob.compression === 'gzip' ? '+gzip' : l.blob.compression === 'zstd' ? '+zstd' : ''}`,
      digest: l.blob.digest,
      size: l.blob.size,
    })),
  })));
  writeFileSync(join(layout, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: MANIFEST, ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'test' } }],
  }));
}

describe('layers read by Go tools', { skip: (!isRoot && 'needs root') || (!hasTool('umoci') && 'umoci not installed') }, () => {
  it('umoci unpacks two hull layers (with whiteouts) to the tree hull flattens them to', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const base = join(dir, 'base');
    mkdirSync(join(base, 'etc/conf.d'), { recursive: true });
    mkdirSync(join(base, 'usr/lib'), { recursive: true });
    writeFileSync(join(base, 'etc/passwd'), 'root:x:0:0');
    writeFileSync(join(base, 'etc/conf.d/a'), 'a');
    writeFileSync(join(base, 'usr/lib/libbig.so'), Buffer.alloc(3 * 1024 * 1024, 'lib'));
    writeFileSync(join(base, 'removed'), 'bye');
    run('ln', ['-s', '../etc/passwd', join(base, 'usr/pw')]);
    // An overlay-style upper dir: a whiteout device and an opaque directory.
    const upper = join(dir, 'upper');
    mkdirSync(join(upper, 'etc/conf.d'), { recursive: true });
    run('mknod', [join(upper, 'removed'), 'c', '0', '0']);
    run('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(upper, 'etc/conf.d')]);
    writeFileSync(join(upper, 'etc/conf.d/b'), 'b');
    writeFileSync(join(upper, 'etc/passwd'), 'root:x:0:0\nuser:x:1000:1000');

    const l1 = { file: join(dir, 'l1'), blob: await packToFile(base, join(dir, 'l1'), { sourceDateEpoch: 1_600_000_000 }) };
    const l2 = { file: join(dir, 'l2'), blob: await packToFile(upper, join(dir, 'l2'), { whiteouts: 'overlay', sourceDateEpoch: 1_600_000_000 }) };
    const layout = join(dir, 'layout');
    writeLayout(layout, [l1, l2]);

    run('umoci', ['unpack', '--image', `${layout}:test`, join(dir, 'bundle')]);
    const flat = join(dir, 'flat');
    for (const l of ['l1', 'l2'] as const) {
      const blob = (l === 'l1' ? l1 : l2).blob;
      await extractFile(join(layout, 'blobs/sha256', blob.digest.slice(7)), flat, { whiteouts: 'apply' });
    }
    const rootfs = describeTree(join(dir, 'bundle/rootfs'), { mtimeOfDirs: false });
    assert.deepEqual(rootfs, describeTree(flat, { mtimeOfDirs: false }));
    assert.deepEqual(Object.keys(rootfs).sort(), ['etc', 'etc/conf.d', 'etc/conf.d/b', 'etc/passwd', 'usr', 'usr/lib', 'usr/lib/libbig.so', 'usr/pw']);
    assert.equal(readFileSync(join(dir, 'bundle/rootfs/etc/passwd'), 'utf8'), 'root:x:0:0\nuser:x:1000:1000');

    if (hasTool('skopeo')) {
      // skopeo decompresses the gzip layers with Go and re-compresses them as zstd.
      run('skopeo', ['copy', '--dest-compress-format', 'zstd', `oci:${layout}:test`, `oci:${join(dir, 'zstd')}:test`]);
      const inspected = JSON.parse(run('skopeo', ['inspect', `oci:${join(dir, 'zstd')}:test`]).toString()) as { Layers: string[] };
      assert.equal(inspected.Layers.length, 2);
      const index = JSON.parse(readFileSync(join(dir, 'zstd/index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
      const manifest = JSON.parse(readFileSync(join(dir, 'zstd/blobs/sha256', index.manifests[0]!.digest.slice(7)), 'utf8')) as { layers: Array<{ digest: string; mediaType: string }> };
      // hull reads skopeo's zstd layers back to the same diffIDs.
      for (const [i, layer] of manifest.layers.entries()) {
        assert.match(layer.mediaType, /zstd/);
        const r = await extractFile(join(dir, 'zstd/blobs/sha256', layer.digest.slice(7)), join(dir, `z${i}`));
        assert.equal(r.format, 'zstd');
        assert.equal(r.diffID, [l1, l2][i]!.blob.diffID);
      }
    }
  });
});
