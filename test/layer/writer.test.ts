import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, linkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { LayerError } from '../../src/errors.js';
import { tarDirectory } from '../../src/layer/index.js';
import { fileChunks, readWholeSync } from '../../src/layer/file-contents.js';
import { buffer } from 'node:stream/consumers';
import { hasTool, listWithTarStream, packToFile, run, sha256File, tempDir } from './helpers.js';

const SDE = 1_600_000_000;

/** A small tree with every kind of entry an unprivileged user can make. */
function populate(root: string, order: 'forward' | 'reverse' = 'forward'): void {
  const files: Array<[string, string, number?]> = [
    ['b/c/file.txt', 'hello\n'],
    ['a.txt', 'a'.repeat(10_000)],
    ['b.d', 'sorts before b/'],
    ['empty', ''],
    ['z/exec', '#!/bin/sh\n', 0o755],
  ];
  // Creating in another order gives other inode numbers and directory orders: it must not show.
  for (const [path, content, mode] of order === 'forward' ? files : [...files].reverse()) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content, { mode: mode ?? 0o644 });
  }
  symlinkSync('b/c/file.txt', join(root, 'link'));
  symlinkSync('/nonexistent/target', join(root, 'dangling'));
  linkSync(join(root, 'b/c/file.txt'), join(root, 'z/hard'));
  spawnSync('mkfifo', [join(root, 'fifo')]);
}

function touchAll(root: string, when: number, paths: string[]): void {
  for (const p of paths) utimesSync(join(root, p), when, when);
}

describe('writeLayer', () => {
  it('gives the same bytes and digests for the same tree, packed twice', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    populate(join(dir, 'src'));
    const one = await packToFile(join(dir, 'src'), join(dir, '1.tgz'));
    const two = await packToFile(join(dir, 'src'), join(dir, '2.tgz'));
    assert.deepEqual(one, two);
    assert.deepEqual(readFileSync(join(dir, '1.tgz')), readFileSync(join(dir, '2.tgz')));
  });

  it('packs files hardlinked from outside the tree (an incremental copy) as the same layer as copies', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const files: Array<[string, string]> = [
      ['b/c/file.txt', 'hello\n'],
      ['a.txt', 'a'.repeat(300_000)],
      ['z/exec', '#!/bin/sh\n'],
    ];
    for (const tree of ['copied', 'outside', 'linked']) {
      for (const [path, content] of files) {
        mkdirSync(dirname(join(dir, tree, path)), { recursive: true });
        if (tree === 'linked') linkSync(join(dir, 'outside', path), join(dir, tree, path));
        else writeFileSync(join(dir, tree, path), content);
        utimesSync(join(dir, tree, path), SDE - 5, SDE - 5);
      }
    }
    const options = { sourceDateEpoch: SDE };
    const copied = await packToFile(join(dir, 'copied'), join(dir, 'copied.tgz'), options);
    const linked = await packToFile(join(dir, 'linked'), join(dir, 'linked.tgz'), options);
    assert.equal(linked.diffID, copied.diffID);
    const rows = await listWithTarStream(gunzipSync(readFileSync(join(dir, 'linked.tgz'))));
    assert.deepEqual(rows.filter((r) => r.type === 'file').map((r) => [r.name, r.size]), [['a.txt', 300_000], ['b/c/file.txt', 6], ['z/exec', 10]]);
  });

  it('ignores creation order and clamps mtimes to SOURCE_DATE_EPOCH', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    mkdirSync(a);
    mkdirSync(b);
    populate(a, 'forward');
    populate(b, 'reverse');
    // Different on-disk mtimes, all after the epoch: they must not show.
    touchAll(b, SDE + 5000, ['a.txt', 'b/c/file.txt', 'z', 'b']);
    const la = await packToFile(a, join(dir, 'a.tgz'), { sourceDateEpoch: SDE });
    const lb = await packToFile(b, join(dir, 'b.tgz'), { sourceDateEpoch: SDE });
    assert.equal(la.diffID, lb.diffID);
    assert.equal(la.digest, lb.digest);
    // Without the clamp they differ.
    const ua = await packToFile(a, join(dir, 'ua.tgz'));
    const ub = await packToFile(b, join(dir, 'ub.tgz'));
    assert.notEqual(ua.diffID, ub.diffID);
  });

  it('keeps mtimes older than SOURCE_DATE_EPOCH, and forces them all with `mtime`', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const src = join(dir, 'src');
    populate(src);
    touchAll(src, SDE - 100, ['a.txt']);
    touchAll(src, SDE + 100, ['empty']);
    const tarBytes = await buffer(tarDirectory(src, { sourceDateEpoch: SDE }));
    const rows = await listWithTarStream(tarBytes);
    assert.equal(rows.find((r) => r.name === 'a.txt')!.mtime, SDE - 100);
    assert.equal(rows.find((r) => r.name === 'empty')!.mtime, SDE);
    const forced = await listWithTarStream(await buffer(tarDirectory(src, { mtime: 42, sourceDateEpoch: SDE })));
    assert.ok(forced.every((r) => r.mtime === 42));
  });

  it('orders entries depth first with siblings in byte order, and normalises headers', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const src = join(dir, 'src');
    populate(src);
    const rows = await listWithTarStream(await buffer(tarDirectory(src)));
    assert.deepEqual(rows.map((r) => r.name), [
      'a.txt', 'b/', 'b/c/', 'b/c/file.txt', 'b.d', 'dangling', 'empty', 'fifo', 'link', 'z/', 'z/exec', 'z/hard',
    ]);
    const uid = process.getuid!();
    for (const r of rows) {
      assert.equal(r.uname, '', 'no user names');
      assert.equal(r.uid, uid);
    }
    const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
    assert.equal(byName['z/exec']!.mode & 0o777, 0o755);
    assert.equal(byName['link']!.type, 'symlink');
    assert.equal(byName['link']!.linkname, 'b/c/file.txt');
    assert.equal(byName['dangling']!.linkname, '/nonexistent/target');
    assert.equal(byName['z/hard']!.type, 'link');
    assert.equal(byName['z/hard']!.linkname, 'b/c/file.txt');
    assert.equal(byName['fifo']!.type, 'fifo');
    assert.equal(byName['a.txt']!.size, 10_000);
  });

  it('never follows symlinks, even to directories', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    mkdirSync(join(dir, 'outside'));
    writeFileSync(join(dir, 'outside/secret'), 'no');
    mkdirSync(join(dir, 'src'));
    symlinkSync('../outside', join(dir, 'src/out'));
    const rows = await listWithTarStream(await buffer(tarDirectory(join(dir, 'src'))));
    assert.deepEqual(rows.map((r) => [r.name, r.type]), [['out', 'symlink']]);
  });

  it('stores long names and link targets through PAX, readable by GNU tar', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const src = join(dir, 'src');
    const deep = join(src, 'd'.repeat(200), 'e'.repeat(200));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, 'ünïcødé-file'), 'x');
    symlinkSync('t'.repeat(300), join(src, 'longlink'));
    const data = await buffer(tarDirectory(src));
    const listing = run('tar', ['-tf', '-'], data).toString().split('\n').filter(Boolean);
    assert.deepEqual(listing, [`${'d'.repeat(200)}/`, `${'d'.repeat(200)}/${'e'.repeat(200)}/`, `${'d'.repeat(200)}/${'e'.repeat(200)}/ünïcødé-file`, 'longlink']);
    const verbose = run('tar', ['-tvf', '-'], data).toString();
    assert.ok(verbose.includes(`longlink -> ${'t'.repeat(300)}`));
  });

  it('keeps user.* xattrs but never overlay ones', { skip: !hasTool('setfattr') && 'attr not installed' }, async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const src = join(dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'f'), 'x');
    const set = spawnSync('setfattr', ['-n', 'user.hull', '-v', '0x00ff10', join(src, 'f')]);
    if (set.status !== 0) return t.skip('no user xattrs on this filesystem');
    run('setfattr', ['-n', 'user.overlay.origin', '-v', 'x', join(src, 'f')]);
    const data = await buffer(tarDirectory(src));
    assert.ok(data.includes(Buffer.concat([Buffer.from('SCHILY.xattr.user.hull='), Buffer.from([0, 0xff, 0x10]), Buffer.from('\n')])));
    assert.ok(!data.includes(Buffer.from('overlay')));
    run('setfattr', ['-n', 'user.a=b', '-v', 'x', join(src, 'f')]);
    const warnings: string[] = [];
    const withEq = await buffer(tarDirectory(src, { onWarning: (w) => warnings.push(w) }));
    assert.ok(!withEq.includes(Buffer.from('user.a')));
    assert.match(warnings.join(), /'f': skipping xattr "user.a=b"/);
    const none = await buffer(tarDirectory(src, { xattrs: false }));
    assert.ok(!none.includes(Buffer.from('SCHILY')));
  });

  it('reports diffID and digest equal to sha256sum of the bytes, for every compression', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const src = join(dir, 'src');
    populate(src);
    const compressions = hasTool('zstd') ? (['gzip', 'zstd', 'none'] as const) : (['gzip', 'none'] as const);
    const diffIDs = new Set<string>();
    for (const compression of compressions) {
      const file = join(dir, `layer.${compression}`);
      const r = await packToFile(src, file, { compression });
      const raw = readFileSync(file);
      assert.equal(r.size, raw.length);
      assert.equal(`sha256:${run('sha256sum', [file]).toString().split(' ')[0]}`, r.digest, compression);
      const plain = compression === 'gzip' ? run('gzip', ['-dc', file]) : compression === 'zstd' ? run('zstd', ['-dc', file]) : raw;
      assert.equal(`sha256:${run('sha256sum', [], plain).toString().split(' ')[0]}`, r.diffID, compression);
      assert.equal(r.uncompressedSize, plain.length);
      assert.equal(r.compression, compression);
      diffIDs.add(r.diffID);
    }
    assert.equal(diffIDs.size, 1, 'the diffID does not depend on compression');
    assert.equal(sha256File(join(dir, 'layer.none')), [...diffIDs][0]);
  });

  it('skips sockets with a warning and refuses names reserved for whiteouts', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const src = join(dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'f'), 'x');
    const server = createServer();
    await new Promise<void>((r) => server.listen(join(src, 'sock'), r));
    t.after(() => server.close());
    const warnings: string[] = [];
    const rows = await listWithTarStream(await buffer(tarDirectory(src, { onWarning: (w) => warnings.push(w) })));
    assert.deepEqual(rows.map((r) => r.name), ['f']);
    assert.match(warnings.join('\n'), /socket 'sock'/);
    writeFileSync(join(src, '.wh.f'), '');
    await assert.rejects(buffer(tarDirectory(src)), (e: unknown) => e instanceof LayerError && /reserved for whiteouts/.test(e.message));
  });

  it('says to install attr when getfattr is missing', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const path = process.env.PATH;
    process.env.PATH = dir;
    try {
      await assert.rejects(buffer(tarDirectory(dir)), (e: unknown) => e instanceof LayerError && /getfattr not found: install the Debian package 'attr'/.test(e.message));
    } finally {
      process.env.PATH = path;
    }
  });

  it('refuses files that changed size between lstat and read', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const f = join(dir, 'f');
    writeFileSync(f, 'x'.repeat(3 * 1024 * 1024));
    const drain = async (it: AsyncIterable<Buffer>) => {
      for await (const _ of it) void _;
    };
    assert.throws(() => readWholeSync(f, 100, 'f'), /'f' grew \(beyond 100 bytes\) while being packed/);
    assert.throws(() => readWholeSync(f, 4 * 1024 * 1024, 'f'), /'f' shrank/);
    await assert.rejects(drain(fileChunks(f, 2 * 1024 * 1024, 'f')), /'f' grew/);
    await assert.rejects(drain(fileChunks(f, 4 * 1024 * 1024, 'f')), /'f' shrank/);
  });

  it('writes a valid empty layer for an empty directory', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    mkdirSync(join(dir, 'src'));
    const r = await packToFile(join(dir, 'src'), join(dir, 'l.tgz'));
    assert.equal(r.uncompressedSize, 1024);
    assert.deepEqual(gunzipSync(readFileSync(join(dir, 'l.tgz'))), Buffer.alloc(1024));
  });
});
