// hull save and hull load: round trips between two stores in both formats, the exact shape of
// the docker-archive docker load expects, old-style docker saves, and damaged archives.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createIndex, MediaType, parsePlatform, serialize, sha256Of, toOciPlatform, type Descriptor, type ImageManifest } from '../../src/image/index.js';
import { Store } from '../../src/store/index.js';
import { byName, hull, makeTar, plainImage, untar, type Member } from '../helpers/archive.js';
import { layerTar, putImage, tempDir, tinyImage, type TinyImage } from '../helpers/image.js';

const FILES = [
  [
    { name: 'etc/', type: 'directory' as const },
    { name: 'etc/motd', content: 'built by hull\n' },
    { name: 'bin/hello', content: '#!/bin/sh\necho hello\n', mode: 0o755 },
  ],
  [{ name: 'etc/motd', content: 'second layer wins\n' }],
];

describe('hull save and hull load', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let rootA: string;
  let image: TinyImage;
  let plain: TinyImage;
  let amd: TinyImage;
  let arm: TinyImage;
  let multi: { descriptor: Descriptor; bytes: Buffer };
  let stores = 0;

  /** A fresh, empty store root. */
  const freshRoot = (): string => join(dir, `store-${++stores}`);
  const withStore = async <T>(root: string, use: (s: Store) => Promise<T>): Promise<T> => {
    const s = await Store.open(root);
    try {
      return await use(s);
    } finally {
      await s.close();
    }
  };
  const tags = (root: string): Promise<Map<string, string>> =>
    withStore(root, async (s) => new Map((await s.listTags()).map((t) => [t.reference, t.descriptor.digest])));
  const saveBytes = async (...args: string[]): Promise<Buffer> => {
    const r = await hull(['save', '--root', rootA, ...args]);
    assert.equal(r.code, 0, r.err);
    return r.bytes;
  };
  const load = (root: string, archive: Buffer): ReturnType<typeof hull> => hull(['load', '--root', root], { stdin: archive });

  before(async () => {
    ({ dir, cleanup } = await tempDir('hull-saveload-'));
    rootA = join(dir, 'a');
    image = await tinyImage(FILES, 'linux/amd64', 'hull-test');
    plain = await plainImage([[{ name: 'plain', content: 'uncompressed layer\n' }], [{ name: 'more', content: 'x' }]]);
    amd = await tinyImage([[{ name: 'arch', content: 'amd64\n' }]], 'linux/amd64');
    arm = await tinyImage([[{ name: 'arch', content: 'arm64\n' }]], 'linux/arm64');
    const s390 = await tinyImage([[{ name: 'arch', content: 's390x\n' }]], 'linux/s390x');
    multi = serialize(
      createIndex([
        { ...amd.manifest, platform: toOciPlatform(parsePlatform('linux/amd64')) },
        { ...arm.manifest, platform: toOciPlatform(parsePlatform('linux/arm64')) },
      ]),
    );
    const exotic = serialize(createIndex([{ ...s390.manifest, platform: toOciPlatform(parsePlatform('linux/s390x')) }, { mediaType: MediaType.ociManifest, digest: sha256Of('never pulled'), size: 12, platform: toOciPlatform(parsePlatform('linux/ppc64le')) }]));
    await withStore(rootA, async (s) => {
      for (const img of [image, plain, amd, arm, s390]) await putImage(s, img);
      await s.putBlob(multi.bytes);
      await s.putBlob(exotic.bytes);
      await s.tag('hulltest:v1', image.manifest);
      await s.tag('hulltest:v2', image.manifest);
      await s.tag('localhost:5000/team/plain:1', plain.manifest);
      await s.tag('multi:1', multi.descriptor);
      await s.tag('exotic:1', exotic.descriptor);
    });
  });
  after(() => cleanup());

  describe('docker format', () => {
    let archive: Buffer;
    let members: Member[];
    let files: Map<string, Buffer>;
    before(async () => {
      archive = await saveBytes('hulltest:v1');
      members = await untar(archive);
      files = byName(members);
    });

    it('has manifest.json as docker load reads it: Config, familiar RepoTags, Layers by diff ID', () => {
      const manifest = JSON.parse(files.get('manifest.json')!.toString()) as { Config: string; RepoTags: string[]; Layers: string[] }[];
      assert.equal(manifest.length, 1);
      assert.deepEqual(Object.keys(manifest[0]!), ['Config', 'RepoTags', 'Layers']);
      assert.equal(manifest[0]!.Config, `blobs/sha256/${image.config.digest.slice(7)}`);
      assert.deepEqual(manifest[0]!.RepoTags, ['hulltest:v1']);
      assert.deepEqual(manifest[0]!.Layers, image.diffIds.map((d) => `blobs/sha256/${d.slice(7)}`));
    });

    it('every file manifest.json names exists, hashes to its name, and layers hash to the diff IDs', () => {
      const manifest = JSON.parse(files.get('manifest.json')!.toString()) as { Config: string; Layers: string[] }[];
      const config = files.get(manifest[0]!.Config)!;
      assert.equal(sha256Of(config), image.config.digest);
      const diffIds = (JSON.parse(config.toString()) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
      assert.deepEqual(manifest[0]!.Layers.map((l) => sha256Of(files.get(l)!)), diffIds);
      for (const [name, data] of files) if (name.startsWith('blobs/')) assert.equal(sha256Of(data).slice(7), name.split('/')[2], name);
    });

    it('has the legacy repositories file and is an OCI layout too (moby ≥ 25 shape)', () => {
      assert.deepEqual(JSON.parse(files.get('repositories')!.toString()), { hulltest: { v1: image.diffIds.at(-1)!.slice(7) } });
      assert.deepEqual(JSON.parse(files.get('oci-layout')!.toString()), { imageLayoutVersion: '1.0.0' });
      const index = JSON.parse(files.get('index.json')!.toString()) as { manifests: (Descriptor & { annotations: Record<string, string> })[] };
      assert.equal(index.manifests.length, 1);
      const entry = index.manifests[0]!;
      assert.deepEqual(entry.annotations, { 'io.containerd.image.name': 'docker.io/library/hulltest:v1', 'org.opencontainers.image.ref.name': 'v1' });
      assert.deepEqual(entry.platform, { architecture: 'amd64', os: 'linux' });
      const manifest = JSON.parse(files.get(`blobs/sha256/${entry.digest.slice(7)}`)!.toString()) as ImageManifest;
      assert.equal(manifest.mediaType, MediaType.ociManifest);
      assert.deepEqual(manifest.config, image.config);
      assert.deepEqual(manifest.layers.map((l) => [l.mediaType, l.digest]), image.diffIds.map((d) => [MediaType.ociLayer, d]));
    });

    it('writes fixed headers: root-owned, mtime 0, metadata first, directories for blobs/', () => {
      assert.deepEqual(members.slice(0, 6).map((m) => m.name), ['oci-layout', 'index.json', 'manifest.json', 'repositories', 'blobs/', 'blobs/sha256/']);
      for (const m of members) {
        assert.equal(m.mtime, 0);
        assert.equal(m.mode, m.type === 'directory' ? 0o755 : 0o644);
      }
    });

    it('is the same bytes every time, on standard output or in a file', async () => {
      assert.deepEqual(await saveBytes('hulltest:v1'), archive);
      const file = join(dir, 'v1.tar');
      const r = await hull(['save', '--root', rootA, '-o', file, 'hulltest:v1']);
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(await readFile(file), archive);
    });

    it('round trips: same config, diff IDs and tag, layers stored uncompressed', async () => {
      const root = freshRoot();
      const r = await load(root, archive);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, 'Loaded image: hulltest:v1\n');
      const loaded = await tags(root);
      assert.deepEqual([...loaded.keys()], ['docker.io/library/hulltest:v1']);
      // The archive's own OCI manifest (for the uncompressed layers) is reused, not rewritten.
      const index = JSON.parse(files.get('index.json')!.toString()) as { manifests: Descriptor[] };
      assert.equal(loaded.get('docker.io/library/hulltest:v1'), index.manifests[0]!.digest);
      await withStore(root, async (s) => {
        const parsed = await s.readManifest(loaded.get('docker.io/library/hulltest:v1') as never);
        assert.equal(parsed.kind, 'manifest');
        if (parsed.kind !== 'manifest') return;
        assert.equal(parsed.manifest.config.digest, image.config.digest);
        assert.deepEqual(parsed.manifest.layers.map((l) => l.digest), image.diffIds);
        assert.deepEqual((await s.readConfig(parsed.manifest.config.digest)).rootfs.diff_ids, image.diffIds);
      });
    });

    it('keeps the manifest digest when the layers are stored uncompressed', async () => {
      const saved = await saveBytes('localhost:5000/team/plain:1');
      const manifest = JSON.parse(byName(await untar(saved)).get('manifest.json')!.toString()) as { RepoTags: string[] }[];
      assert.deepEqual(manifest[0]!.RepoTags, ['localhost:5000/team/plain:1']);
      const root = freshRoot();
      assert.equal((await load(root, saved)).code, 0);
      assert.deepEqual(await tags(root), new Map([['localhost:5000/team/plain:1', plain.manifest.digest]]));
    });

    it('writes an image once with all its tags; a repository name alone means all its tags', async () => {
      const saved = await saveBytes('hulltest');
      const files2 = byName(await untar(saved));
      const manifest = JSON.parse(files2.get('manifest.json')!.toString()) as { RepoTags: string[] }[];
      assert.deepEqual(manifest.map((m) => m.RepoTags), [['hulltest:v1', 'hulltest:v2']]);
      const root = freshRoot();
      const r = await load(root, saved);
      assert.equal(r.out, 'Loaded image: hulltest:v1\nLoaded image: hulltest:v2\n');
    });

    it('picks one platform of a multi-platform image with --platform', async () => {
      const saved = await saveBytes('--platform', 'linux/arm64', 'multi:1');
      const files2 = byName(await untar(saved));
      const manifest = JSON.parse(files2.get('manifest.json')!.toString()) as { Config: string }[];
      assert.equal(manifest[0]!.Config, `blobs/sha256/${arm.config.digest.slice(7)}`);
    });

    it('refuses a multi-platform image without the wanted platform, listing what there is', async () => {
      const r = await hull(['save', '--root', rootA, '--platform', 'linux/riscv64', 'exotic:1']);
      assert.equal(r.code, 1);
      assert.match(r.err, /exotic:1 is a multi-platform image with no linux\/riscv64 image in the store: the store has linux\/s390x \(listed but not pulled: linux\/ppc64le\); choose one with --platform/);
    });
  });

  describe('oci format', () => {
    it('round trips with the same manifest digest and tag', async () => {
      const saved = await saveBytes('--format', 'oci', 'hulltest:v1');
      const files = byName(await untar(saved));
      assert.equal(files.has('manifest.json'), false);
      const index = JSON.parse(files.get('index.json')!.toString()) as { manifests: Descriptor[] };
      assert.deepEqual(index.manifests, [
        { ...image.manifest, annotations: { 'io.containerd.image.name': 'docker.io/library/hulltest:v1', 'org.opencontainers.image.ref.name': 'docker.io/library/hulltest:v1' } },
      ]);
      for (const [digest, bytes] of image.blobs) assert.deepEqual(files.get(`blobs/sha256/${digest.slice(7)}`), bytes);
      const root = freshRoot();
      const r = await load(root, saved);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, 'Loaded image: hulltest:v1\n');
      assert.deepEqual(await tags(root), new Map([['docker.io/library/hulltest:v1', image.manifest.digest]]));
    });

    it('saves the whole index of a multi-platform image, and loads it back as the same index', async () => {
      const saved = await saveBytes('--format', 'oci', 'multi:1');
      const root = freshRoot();
      assert.equal((await load(root, saved)).code, 0);
      assert.deepEqual(await tags(root), new Map([['docker.io/library/multi:1', multi.descriptor.digest]]));
      await withStore(root, async (s) => {
        for (const img of [amd, arm]) for (const digest of img.blobs.keys()) assert.ok(await s.hasBlob(digest), digest);
      });
    });

    it('leaves out index entries the store never pulled, with a warning', async () => {
      const r = await hull(['save', '--root', rootA, '--format', 'oci', 'exotic:1']);
      assert.equal(r.code, 0, r.err);
      assert.match(r.err, /warning: exotic:1: the index lists linux\/ppc64le .* which is not in the store; the archive leaves it out/);
      const root = freshRoot();
      const l = await load(root, r.bytes);
      assert.equal(l.code, 0, l.err);
      assert.match(l.err, /linux\/ppc64le .* which the archive leaves out/);
      assert.deepEqual([...(await tags(root)).keys()], ['docker.io/library/exotic:1']);
    });

    it('writes several images into one archive and loads them all', async () => {
      const saved = await saveBytes('--format', 'oci', 'hulltest:v1', 'localhost:5000/team/plain:1', 'multi:1');
      const root = freshRoot();
      const r = await load(root, saved);
      assert.equal(r.out, 'Loaded image: hulltest:v1\nLoaded image: localhost:5000/team/plain:1\nLoaded image: multi:1\n');
    });
  });

  describe('old-style docker archives and other inputs', () => {
    /** A docker save from Docker 1.10–24: <id>/layer.tar, <config hex>.json, manifest.json last. */
    async function oldStyle(layerData?: (i: number, tar: Buffer) => Buffer): Promise<Buffer> {
      const entries = [];
      const ids = image.diffIds.map((_, i) => `${String(i).repeat(64)}`);
      const layers: Buffer[] = [];
      for (const [i, files] of FILES.entries()) {
        layers.push(await layerTar(files));
        entries.push({ name: `${ids[i]!}/`, type: 'directory' as const }, { name: `${ids[i]!}/VERSION`, data: '1.0' }, { name: `${ids[i]!}/json`, data: '{}' });
        entries.push({ name: `${ids[i]!}/layer.tar`, data: layerData ? layerData(i, layers[i]!) : layers[i]! });
      }
      const configBytes = image.blobs.get(image.config.digest)!;
      entries.push({ name: `${image.config.digest.slice(7)}.json`, data: configBytes });
      // A third layer directory linking to the first, as old saves do for shared layers.
      entries.push({ name: `${'9'.repeat(64)}/layer.tar`, type: 'symlink' as const, linkname: `../${ids[1]!}/layer.tar` });
      entries.push({ name: 'repositories', data: JSON.stringify({ hulltest: { old: ids[1] } }) });
      entries.push({
        name: 'manifest.json',
        data: JSON.stringify([{ Config: `${image.config.digest.slice(7)}.json`, RepoTags: ['hulltest:old'], Layers: [`${ids[0]!}/layer.tar`, `${'9'.repeat(64)}/layer.tar`] }]),
      });
      return makeTar(entries);
    }

    it('loads an old-style docker save, manifest.json last and a symlinked layer', async () => {
      const root = freshRoot();
      const r = await load(root, await oldStyle());
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, 'Loaded image: hulltest:old\n');
      await withStore(root, async (s) => {
        const d = await s.resolve('hulltest:old');
        const parsed = await s.readManifest(d!);
        assert.ok(parsed.kind === 'manifest');
        assert.equal(parsed.manifest.config.digest, image.config.digest);
        assert.deepEqual(parsed.manifest.layers.map((l) => [l.mediaType, l.digest]), image.diffIds.map((id) => [MediaType.ociLayer, id]));
      });
    });

    it('loads a gzip-compressed archive, and one whose layers are gzipped (docker load accepts both)', async () => {
      const root = freshRoot();
      const r = await load(root, gzipSync(await oldStyle((_, tar) => gzipSync(tar))));
      assert.equal(r.code, 0, r.err);
      await withStore(root, async (s) => {
        const parsed = await s.readManifest((await s.resolve('hulltest:old'))!);
        assert.ok(parsed.kind === 'manifest');
        assert.deepEqual(parsed.manifest.layers.map((l) => l.mediaType), [MediaType.ociLayerGzip, MediaType.ociLayerGzip]);
      });
    });

    it('loads a zstd-compressed archive', { skip: spawnSync('zstd', ['--version']).status === 0 ? false : 'zstd not installed' }, async () => {
      const zst = spawnSync('zstd', ['-q', '-c'], { input: await saveBytes('hulltest:v1'), maxBuffer: 64 << 20 }).stdout;
      const r = await load(freshRoot(), zst);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, 'Loaded image: hulltest:v1\n');
    });

    it('loads an OCI layout whose ref.name is a bare tag without a name, printing the image ID', async () => {
      const entries = [
        { name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' },
        { name: 'index.json', data: JSON.stringify({ schemaVersion: 2, manifests: [{ ...image.manifest, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }] }) },
        ...[...image.blobs].map(([d, data]) => ({ name: `blobs/sha256/${d.slice(7)}`, data })),
      ];
      const root = freshRoot();
      const r = await load(root, await makeTar(entries));
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, `Loaded image ID: ${image.config.digest}\n`);
      assert.equal((await tags(root)).size, 0);
    });
  });

  describe('damaged and hostile archives', () => {
    /** The archive with one byte of a member's data flipped (the tar structure stays valid). */
    async function flipIn(archive: Buffer, member: string): Promise<Buffer> {
      const members = await untar(archive);
      const target = members.find((m) => m.name === member)!;
      const at = archive.indexOf(target.data);
      assert.ok(at > 0);
      const copy = Buffer.from(archive);
      copy[at + Math.floor(target.data.length / 2)]! ^= 0xff;
      return copy;
    }

    it('a flipped byte in a layer fails the load naming the member, and leaves no tag', async () => {
      const archive = await saveBytes('hulltest:v1');
      const layer = `blobs/sha256/${image.diffIds[0]!.slice(7)}`;
      const root = freshRoot();
      const r = await load(root, await flipIn(archive, layer));
      assert.equal(r.code, 1);
      assert.match(r.err, new RegExp(`error: member ${layer} is damaged: blob does not match its descriptor: expected digest ${image.diffIds[0]!}`));
      assert.equal((await tags(root)).size, 0);
    });

    it('a damaged layer.tar of an old-style save is caught by its diff ID', async () => {
      const archive = await makeTar([
        { name: 'l/layer.tar', data: Buffer.from('not the layer the config describes') },
        { name: `${image.config.digest.slice(7)}.json`, data: image.blobs.get(image.config.digest)! },
        { name: 'manifest.json', data: JSON.stringify([{ Config: `${image.config.digest.slice(7)}.json`, RepoTags: ['bad:1'], Layers: ['l/layer.tar', 'l/layer.tar'] }]) },
      ]);
      const root = freshRoot();
      const r = await load(root, archive);
      assert.equal(r.code, 1);
      assert.match(r.err, /member l\/layer.tar \(layer 0 of manifest.json\[0\]\) has sha256 .* but the config says its diff ID is/);
      assert.equal((await tags(root)).size, 0);
    });

    it('a config whose bytes do not match its <hex>.json name is refused', async () => {
      const archive = await makeTar([{ name: `${'a'.repeat(64)}.json`, data: '{}' }]);
      const r = await load(freshRoot(), archive);
      assert.equal(r.code, 1);
      assert.match(r.err, new RegExp(`member ${'a'.repeat(64)}.json is damaged`));
    });

    it('a blob that manifest.json or index.json names but the archive lacks is named in the error', async () => {
      const missingLayer = `blobs/sha256/${image.layers[1]!.digest.slice(7)}`;
      const entries = [
        { name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' },
        { name: 'index.json', data: JSON.stringify({ schemaVersion: 2, manifests: [{ ...image.manifest, annotations: { 'io.containerd.image.name': 'docker.io/library/broken:1' } }] }) },
        ...[...image.blobs].map(([d, data]) => ({ name: `blobs/sha256/${d.slice(7)}`, data })).filter((e) => e.name !== missingLayer),
      ];
      const root = freshRoot();
      const r = await load(root, await makeTar(entries));
      assert.equal(r.code, 1);
      assert.match(r.err, new RegExp(`index.json manifests\\[0\\] layers\\[1\\] points at ${image.layers[1]!.digest}, but the archive has no member ${missingLayer}`));
      assert.equal((await tags(root)).size, 0);
      const r2 = await load(root, await makeTar([{ name: 'manifest.json', data: JSON.stringify([{ Config: '../../etc/passwd', RepoTags: ['x:1'], Layers: [] }]) }]));
      assert.equal(r2.code, 1);
      assert.match(r2.err, /manifest.json\[0\].Config names "..\/..\/etc\/passwd", which the archive does not contain/);
    });

    it('blob names that are not digests are refused', async () => {
      const r = await load(freshRoot(), await makeTar([{ name: 'blobs/md5/abc', data: 'x' }]));
      assert.equal(r.code, 1);
      assert.match(r.err, /member blobs\/md5\/abc is not a blob hull can verify: invalid digest "md5:abc"/);
    });

    it('an empty input, a non-archive and a tar without image metadata are clear errors', async () => {
      assert.match((await load(freshRoot(), Buffer.alloc(0))).err, /the archive is empty/);
      assert.match((await load(freshRoot(), Buffer.from('hello, this is not a tar archive'.repeat(40)))).err, /cannot read the archive: .*tar header at offset 0/);
      assert.match((await load(freshRoot(), await makeTar([{ name: 'README', data: 'hi' }]))).err, /not an image archive: it has neither manifest.json/);
    });
  });

  describe('command line', () => {
    it('refuses to write an archive to a terminal', async () => {
      const r = await hull(['save', '--root', rootA, 'hulltest:v1'], { tty: true });
      assert.equal(r.code, 1);
      assert.match(r.err, /cowardly refusing to save to a terminal/);
      assert.equal(r.bytes.length, 0);
    });

    it('an unknown image fails before any file is written', async () => {
      const out = join(dir, 'never.tar');
      const r = await hull(['save', '--root', rootA, '-o', out, 'hulltest:v1', 'nosuch:1']);
      assert.equal(r.code, 1);
      assert.match(r.err, /no such image: nosuch:1/);
      assert.equal(existsSync(out), false);
      assert.deepEqual((await readdir(dir)).filter((n) => n.includes('never')), []);
    });

    it('checks its arguments', async () => {
      assert.equal((await hull(['save', '--root', rootA])).code, 2);
      assert.equal((await hull(['save', '--root', rootA, '--format', 'zip', 'hulltest:v1'])).code, 2);
      assert.equal((await hull(['load', '--root', rootA, 'extra'])).code, 2);
      const r = await hull(['load', '--root', rootA, '-i', join(dir, 'missing.tar')]);
      assert.equal(r.code, 1);
      assert.match(r.err, /cannot read .*missing.tar/);
    });

    it('load -i reads a file; -q prints nothing', async () => {
      const file = join(dir, 'in.tar');
      await writeFile(file, await saveBytes('hulltest:v2'));
      const r = await hull(['load', '--root', freshRoot(), '-q', '-i', file]);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, '');
    });
  });
});
