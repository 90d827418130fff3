// Incremental recompression: member-aligned gzip layers are one valid gzip stream of the exact
// tar, and a write that copies the unchanged members of the previous blob gives the very bytes a
// fresh write gives, while deflating only the members that changed.
import assert from 'node:assert/strict';
import { createCipheriv, createHash } from 'node:crypto';
import { appendFileSync, createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { MediaType } from '../../src/image/mediatypes.js';
import { DEFAULT_GZIP_LEVEL, type LayerBlob, type WriteLayerOptions } from '../../src/layer/index.js';
import type { MemberReuse } from '../../src/layer/member-gzip.js';
import type { MemberIndex } from '../../src/layer/member-index.js';
import { Store } from '../../src/store/store.js';
import { describeTree, hasTool, packToFile, run, sha256File, tempDir } from './helpers.js';

const FILES = 2_000;
const BIG = 'big/data.bin';
const BIG_SIZE = 5 * 1024 * 1024 + 123;
/** Every write in the reuse scenarios: a fixed mtime, so only the changes made count; level 1 for speed. */
const FIXED: WriteLayerOptions = { mtime: 1_600_000_000, level: 1 };

function randomBytes(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

function smallPath(i: number): string {
  return `d${i % 20}/f${i}.txt`;
}

/** Half text, half random: 2–14 KB. */
function smallContent(i: number, salt = ''): Buffer {
  const size = 2_000 + ((i * 7_727) % 12_000);
  const text = Buffer.from(`file ${i}${salt} `.repeat(Math.ceil(size / 2 / 10))).subarray(0, size >> 1);
  return Buffer.concat([text, randomBytes(`${i}${salt}`, size - text.length)]);
}

/** 2,000 small files in 20 directories (about 16 MB) and one 5 MiB file. */
function makeTree(root: string): void {
  for (let d = 0; d < 20; d++) mkdirSync(join(root, `d${d}`), { recursive: true });
  for (let i = 0; i < FILES; i++) writeFileSync(join(root, smallPath(i)), smallContent(i));
  mkdirSync(join(root, 'big'));
  writeFileSync(join(root, BIG), randomBytes('big', BIG_SIZE));
}

const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Where each tar entry starts (a PAX header and the header it describes are one entry). */
function entryStarts(tar: Buffer): Set<number> {
  const starts = new Set<number>();
  let at = 0;
  let pax = false;
  while (at + 512 <= tar.length && tar.readUInt8(at) !== 0) {
    if (!pax) starts.add(at);
    const size = parseInt(tar.toString('latin1', at + 124, at + 136).replace(/\0.*$/, '').trim() || '0', 8);
    pax = tar[at + 156] === 0x78; // 'x'
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return starts;
}

/** Checks a member-aligned blob against the tar it must hold, member by member. */
function checkMembers(blobFile: string, tarFile: string, blob: LayerBlob): MemberIndex {
  const gz = readFileSync(blobFile);
  const tar = readFileSync(tarFile);
  assert.ok(gunzipSync(gz).equals(tar), 'the blob inflates to the tar');
  assert.equal(sha256(tar), blob.diffID);
  assert.equal(sha256(gz), blob.digest);
  const index = blob.members!.index;
  const starts = entryStarts(tar);
  let tarAt = 0;
  let gzAt = 0;
  for (const m of index.members) {
    assert.equal(m.tarOffset, tarAt);
    assert.equal(m.gzOffset, gzAt);
    const bytes = tar.subarray(m.tarOffset, m.tarOffset + m.tarSize);
    assert.ok(gunzipSync(gz.subarray(m.gzOffset, m.gzOffset + m.gzSize)).equals(bytes), `member at ${m.tarOffset} is a gzip member of its bytes`);
    assert.equal(`sha256:${m.sha256}`, sha256(bytes));
    // Only a big file is cut inside an entry.
    if (!starts.has(m.tarOffset)) assert.equal(m.first, BIG, `member at ${m.tarOffset} starts inside ${m.first}`);
    tarAt += m.tarSize;
    gzAt += m.gzSize;
  }
  assert.equal(tarAt, tar.length);
  assert.equal(gzAt, gz.length);
  return index;
}

describe('member-aligned gzip', () => {
  it('is one gzip stream of the exact tar, cut at entry boundaries, that gzip and Node read', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const tree = join(dir, 'tree');
    makeTree(tree);
    const blob = await packToFile(tree, join(dir, 'a.gz'), { members: true });
    const tar = await packToFile(tree, join(dir, 'a.tar'), { compression: 'none' });
    assert.equal(blob.diffID, tar.diffID);
    assert.equal(blob.compression, 'gzip');
    assert.deepEqual({ reused: blob.members!.reused, compressed: blob.members!.compressed }, { reused: 0, compressed: blob.members!.index.members.length });
    const index = checkMembers(join(dir, 'a.gz'), join(dir, 'a.tar'), blob);
    // About 1 MiB per member of small files, and the 5 MiB file in 1 MiB pieces of its own.
    assert.ok(index.members.length >= 12 && index.members.length <= 40, `${index.members.length} members`);
    assert.equal(index.members.filter((m) => m.first === BIG && m.last === BIG).length, 6);
    assert.equal(index.members[0]!.first, 'big/');
    // the random 5 MiB file is stored, not deflated: each of its members is its bytes plus framing
    for (const m of index.members.filter((m) => m.first === BIG && m.last === BIG)) assert.ok(m.gzSize > m.tarSize - 1024 && m.gzSize < m.tarSize + 200, `${m.gzSize} for ${m.tarSize}`);
    assert.equal(index.encoder.level, DEFAULT_GZIP_LEVEL);
    assert.equal(index.encoder.zlib, process.versions.zlib);
    run('gzip', ['-t', join(dir, 'a.gz')]);
    const piped = run('sh', ['-c', `gzip -dc '${join(dir, 'a.gz')}' | sha256sum`]).toString().split(' ')[0];
    assert.equal(`sha256:${piped}`, blob.diffID);
  });

  it('does not depend on the thread count', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const tree = join(dir, 'tree');
    makeTree(tree);
    const one = await packToFile(tree, join(dir, '1.gz'), { ...FIXED, members: true, concurrency: 1 });
    const many = await packToFile(tree, join(dir, '3.gz'), { ...FIXED, members: true, concurrency: 3 });
    assert.equal(one.digest, many.digest);
  });

  it('refuses other compressions', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    await assert.rejects(packToFile(dir, '/dev/null', { compression: 'zstd', members: true }), RangeError);
  });
});

interface Scenario {
  name: string;
  change: (tree: string) => void;
  /** Members deflated again at most. */
  compressed: number;
}

const scenarios: Scenario[] = [
  { name: 'a small file changes, same size', change: (tree) => writeFileSync(join(tree, smallPath(700)), smallContent(700, 'x')), compressed: 1 },
  { name: 'a small file grows', change: (tree) => appendFileSync(join(tree, smallPath(1234)), randomBytes('more', 3_000)), compressed: 2 },
  {
    name: 'a few bytes in the middle of the big file change',
    change: (tree) => {
      const data = readFileSync(join(tree, BIG));
      data.write('changed', 2_500_000);
      writeFileSync(join(tree, BIG), data);
    },
    compressed: 1,
  },
  { name: 'the big file grows', change: (tree) => appendFileSync(join(tree, BIG), randomBytes('tail', 100_000)), compressed: 2 },
  {
    name: 'files are added and removed',
    change: (tree) => {
      writeFileSync(join(tree, 'd3/new-a.txt'), smallContent(5_001));
      writeFileSync(join(tree, 'd17/new-b.txt'), smallContent(5_002));
      rmSync(join(tree, smallPath(1_010)));
    },
    compressed: 6,
  },
  { name: 'a file is renamed', change: (tree) => renameSync(join(tree, smallPath(321)), join(tree, 'd15/renamed.txt')), compressed: 4 },
];

describe('reusing the members of the previous blob', () => {
  for (const s of scenarios) {
    it(`${s.name}: same bytes as a fresh write, only the changed members deflated`, async (t) => {
      const { dir, cleanup } = await tempDir();
      t.after(cleanup);
      const tree = join(dir, 'tree');
      makeTree(tree);
      const a = await packToFile(tree, join(dir, 'a.gz'), { ...FIXED, members: true });
      s.change(tree);
      const reuse: MemberReuse = { index: a.members!.index, blobPath: join(dir, 'a.gz') };
      const b = await packToFile(tree, join(dir, 'b.gz'), { ...FIXED, reuse });
      const fresh = await packToFile(tree, join(dir, 'fresh.gz'), { ...FIXED, members: true });
      assert.ok(readFileSync(join(dir, 'b.gz')).equals(readFileSync(join(dir, 'fresh.gz'))), 'reusing and fresh writes give the same bytes');
      assert.equal(b.digest, fresh.digest);
      assert.equal(b.diffID, fresh.diffID);
      assert.notEqual(b.diffID, a.diffID);
      assert.deepEqual(b.members!.index, fresh.members!.index);
      const total = b.members!.index.members.length;
      assert.equal(b.members!.reused + b.members!.compressed, total);
      t.diagnostic(`${b.members!.compressed} of ${total} members deflated, ${b.members!.reused} copied`);
      assert.ok(b.members!.compressed >= 1 && b.members!.compressed <= s.compressed, `${b.members!.compressed} of ${total} members deflated`);
      await packToFile(tree, join(dir, 'b.tar'), { ...FIXED, compression: 'none' });
      checkMembers(join(dir, 'b.gz'), join(dir, 'b.tar'), b);
    });
  }

  it('an index from another zlib or level reuses nothing and changes nothing', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const tree = join(dir, 'tree');
    makeTree(tree);
    const a = await packToFile(tree, join(dir, 'a.gz'), { ...FIXED, members: true });
    for (const encoder of [{ level: 1, zlib: '0.9-other' }, { level: 2, zlib: process.versions.zlib }]) {
      const reuse: MemberReuse = { index: { ...a.members!.index, encoder }, blobPath: join(dir, 'a.gz') };
      const b = await packToFile(tree, join(dir, 'b.gz'), { ...FIXED, reuse });
      assert.equal(b.members!.reused, 0);
      assert.equal(b.digest, a.digest);
    }
  });

  it('an index that does not match its blob costs a warning and a deflate, never a wrong blob', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const tree = join(dir, 'tree');
    makeTree(tree);
    const a = await packToFile(tree, join(dir, 'a.gz'), { ...FIXED, members: true });
    const members = a.members!.index.members;
    // Member 2 claims the compressed bytes of member 3: its trailer gives it away.
    const lying = members.map((m, i) => (i === 2 ? { ...m, gzOffset: members[3]!.gzOffset, gzSize: members[3]!.gzSize } : m));
    const warnings: string[] = [];
    const reuse: MemberReuse = { index: { encoder: a.members!.index.encoder, members: lying }, blobPath: join(dir, 'a.gz') };
    const b = await packToFile(tree, join(dir, 'b.gz'), { ...FIXED, reuse, onWarning: (w) => warnings.push(w) });
    assert.equal(b.digest, a.digest);
    assert.equal(b.members!.compressed, 1);
    assert.match(warnings.join('\n'), /does not match its index/);
    // A blob of another size than its index says is not read at all.
    writeFileSync(join(dir, 'short.gz'), readFileSync(join(dir, 'a.gz')).subarray(0, 1000));
    const c = await packToFile(tree, join(dir, 'c.gz'), { ...FIXED, reuse: { ...reuse, blobPath: join(dir, 'short.gz') }, onWarning: (w) => warnings.push(w) });
    assert.equal(c.digest, a.digest);
    assert.equal(c.members!.reused, 0);
    assert.match(warnings.join('\n'), /its index describes \d+ bytes, the blob has 1000/);
  });
});

describe('member-aligned layers read by Go tools', { skip: !hasTool('umoci') || !hasTool('skopeo') ? 'umoci or skopeo not installed' : false }, () => {
  it('umoci unpacks the tree and skopeo decompresses the layer to its diffID', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const tree = join(dir, 'tree');
    makeTree(tree);
    const blob = await packToFile(tree, join(dir, 'layer.gz'), { members: true });
    const store = await Store.open(join(dir, 'store'));
    t.after(() => store.close());
    await store.putBlob(createReadStream(join(dir, 'layer.gz')), { digest: blob.digest });
    const config = await store.putJson(
      { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [blob.diffID] }, history: [{ created_by: 'hull test' }] },
      MediaType.ociConfig,
    );
    const manifest = await store.putJson(
      { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [{ mediaType: MediaType.ociLayerGzip, digest: blob.digest, size: blob.size }] },
      MediaType.ociManifest,
    );
    const ref = 'hull.test/members:latest';
    await store.tag(ref, manifest);
    const image = `${join(dir, 'store', 'oci')}:${ref}`;

    run('umoci', ['unpack', ...(process.getuid?.() === 0 ? [] : ['--rootless']), '--image', image, join(dir, 'bundle')]);
    assert.deepEqual(describeTree(join(dir, 'bundle/rootfs'), { mtimeOfDirs: false }), describeTree(tree, { mtimeOfDirs: false }));

    run('skopeo', ['--insecure-policy', 'copy', '--dest-decompress', `oci:${image}`, `dir:${join(dir, 'copy')}`]);
    const layer = join(dir, 'copy', blob.diffID.slice('sha256:'.length));
    assert.ok(existsSync(layer), 'skopeo stored the decompressed layer under its diffID');
    assert.equal(sha256File(layer), blob.diffID);
  });
});
