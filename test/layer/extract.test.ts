import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { LayerError } from '../../src/errors.js';
import { encodeHeader, extractLayer, type TarHeader } from '../../src/layer/index.js';
import { endOfArchive, padding } from '../../src/layer/tar/header.js';
import { describeTree, extractFile, hasTool, packToFile, run, tempDir, xattrsOf } from './helpers.js';

function h(name: string, over: Partial<TarHeader> = {}): TarHeader {
  const type = over.type ?? (name.endsWith('/') ? 'directory' : 'file');
  return { name, type, mode: type === 'directory' ? 0o755 : 0o644, uid: 0, gid: 0, size: 0, mtime: 1_600_000_000, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map(), ...over };
}

function tarOf(entries: Array<TarHeader | [TarHeader, string]>): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const [header, data] = Array.isArray(e) ? [e[0], Buffer.from(e[1])] : [e, Buffer.alloc(0)];
    parts.push(encodeHeader({ ...header, size: data.length }), data, padding(data.length));
  }
  parts.push(endOfArchive());
  return Buffer.concat(parts);
}

const extractBuffer = (data: Buffer, target: string, options = {}) => extractLayer(Readable.from([data]), target, options);

/** A lower layer to apply whiteouts against. */
function lowerTree(root: string): void {
  mkdirSync(join(root, 'etc/conf.d'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root');
  writeFileSync(join(root, 'etc/conf.d/a'), 'a');
  writeFileSync(join(root, 'etc/conf.d/b'), 'b');
  mkdirSync(join(root, 'var/cache/deep'), { recursive: true });
  writeFileSync(join(root, 'var/cache/deep/x'), 'x');
  writeFileSync(join(root, 'keep'), 'k');
}

describe('extractLayer', () => {
  it('round-trips a tree: contents, modes, symlinks, hardlinks, fifos, mtimes (directories too)', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const src = join(dir, 'src');
    mkdirSync(join(src, 'a/b'), { recursive: true });
    writeFileSync(join(src, 'a/b/file'), 'data'.repeat(100_000));
    writeFileSync(join(src, 'setuid'), 'x');
    chmodSync(join(src, 'setuid'), 0o4755);
    writeFileSync(join(src, 'ro'), 'read only');
    chmodSync(join(src, 'ro'), 0o444);
    mkdirSync(join(src, 'sticky'));
    chmodSync(join(src, 'sticky'), 0o1777);
    mkdirSync(join(src, 'locked/inner'), { recursive: true });
    writeFileSync(join(src, 'locked/inner/f'), 'f');
    symlinkSync('a/b/file', join(src, 'rel-link'));
    symlinkSync('/etc/passwd', join(src, 'abs-link'));
    linkSync(join(src, 'a/b/file'), join(src, 'hard'));
    spawnSync('mkfifo', [join(src, 'pipe')]);
    chmodSync(join(src, 'locked/inner'), 0o555);
    chmodSync(join(src, 'locked'), 0o500);
    for (const [p, s] of [['a', 1000], ['a/b', 2000], ['locked', 3000], ['ro', 4000]] as const) utimesSync(join(src, p), s, s);
    const layer = join(dir, 'l.tgz');
    const packed = await packToFile(src, layer);
    const out = join(dir, 'out');
    const r = await extractFile(layer, out);
    assert.equal(r.diffID, packed.diffID);
    assert.equal(r.format, 'gzip');
    assert.deepEqual(describeTree(out), describeTree(src));
    chmodSync(join(src, 'locked'), 0o755);
    chmodSync(join(out, 'locked'), 0o755);
  });

  it('reads plain tar and zstd layers the same way', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const src = join(dir, 'src');
    mkdirSync(join(src, 'd'), { recursive: true });
    writeFileSync(join(src, 'd/f'), 'zz'.repeat(5000));
    for (const compression of hasTool('zstd') ? (['none', 'zstd'] as const) : (['none'] as const)) {
      const layer = join(dir, `l.${compression}`);
      const packed = await packToFile(src, layer, { compression });
      const out = join(dir, `out-${compression}`);
      const r = await extractFile(layer, out);
      assert.equal(r.format, compression === 'none' ? 'tar' : 'zstd');
      assert.equal(r.diffID, packed.diffID);
      assert.deepEqual(describeTree(out), describeTree(src));
    }
  });

  it('restores user.* xattrs (one setfattr for the layer)', { skip: !hasTool('setfattr') && 'attr not installed' }, async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const src = join(dir, 'src');
    mkdirSync(join(src, 'd'), { recursive: true });
    writeFileSync(join(src, 'd/f'), 'x');
    writeFileSync(join(src, 'weird\nname\\x'), 'y');
    if (spawnSync('setfattr', ['-n', 'user.bin', '-v', '0x00ff0a3d', join(src, 'd/f')]).status !== 0) return t.skip('no user xattrs here');
    run('setfattr', ['-n', 'user.dir', '-v', 'dir', join(src, 'd')]);
    run('setfattr', ['-n', 'user.é', '-v', 'w', join(src, 'weird\nname\\x')]);
    const layer = join(dir, 'l.tgz');
    await packToFile(src, layer);
    const out = join(dir, 'out');
    await extractFile(layer, out);
    assert.deepEqual(describeTree(out, { xattrs: true }), describeTree(src, { xattrs: true }));
    assert.equal(xattrsOf(join(out, 'd/f'))['user.bin'], '0x00ff0a3d');
  });

  it('merges into an existing tree, replacing files and keeping directories', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const out = join(dir, 'out');
    lowerTree(out);
    await extractBuffer(tarOf([h('etc/'), [h('etc/passwd'), 'new'], h('keep/'), [h('var/cache/new'), 'n']]), out);
    assert.equal(readFileSync(join(out, 'etc/passwd'), 'utf8'), 'new');
    assert.equal(readFileSync(join(out, 'etc/conf.d/a'), 'utf8'), 'a', 'directory contents stay');
    assert.ok(lstatSync(join(out, 'keep')).isDirectory(), 'a directory entry replaces a file');
    assert.equal(readFileSync(join(out, 'var/cache/new'), 'utf8'), 'n');
  });

  it('oci mode keeps whiteout files as they are', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const out = join(dir, 'out');
    await extractBuffer(tarOf([h('etc/'), h('etc/.wh.passwd'), h('var/'), h('var/.wh..wh..opq')]), out, { whiteouts: 'oci' });
    assert.ok(existsSync(join(out, 'etc/.wh.passwd')));
    assert.ok(existsSync(join(out, 'var/.wh..wh..opq')));
  });

  it('apply mode deletes what whiteouts name and empties opaque directories of lower files only', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const out = join(dir, 'out');
    lowerTree(out);
    const layer = tarOf([
      h('etc/'),
      [h('etc/conf.d/c'), 'new c'], // before the opaque marker: still this layer's, kept
      h('etc/conf.d/.wh..wh..opq'),
      h('etc/.wh.passwd'),
      h('.wh.var'),
      h('.wh.nothing-there'),
      h('.wh..wh.plnk/'),
      [h('added'), 'added'],
      h('.wh.added'), // whiteouts hide lower layers only, not this layer's own files
    ]);
    const r = await extractBuffer(layer, out, { whiteouts: 'apply' });
    assert.deepEqual(Object.keys(describeTree(out)).sort(), ['added', 'etc', 'etc/conf.d', 'etc/conf.d/c', 'keep']);
    assert.equal(r.entries, 9);
  });

  it('apply mode keeps this layer\'s nested entries under an opaque directory but drops lower ones', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const out = join(dir, 'out');
    lowerTree(out);
    await extractBuffer(tarOf([[h('var/cache/deep/y'), 'y'], h('var/.wh..wh..opq')]), out, { whiteouts: 'apply' });
    assert.deepEqual(Object.keys(describeTree(out)).filter((p) => p.startsWith('var')).sort(), ['var', 'var/cache', 'var/cache/deep', 'var/cache/deep/y']);
  });

  it('overlay mode (rootless) marks opaque directories with user.overlay.opaque', { skip: !hasTool('setfattr') && 'attr not installed' }, async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const out = join(dir, 'out');
    const probe = join(dir, 'probe');
    writeFileSync(probe, '');
    if (spawnSync('setfattr', ['-n', 'user.x', '-v', '1', probe]).status !== 0) return t.skip('no user xattrs here');
    await extractBuffer(tarOf([h('d/'), h('d/.wh..wh..opq'), [h('d/f'), 'f']]), out, { whiteouts: 'overlay', rootless: true });
    assert.equal(xattrsOf(join(out, 'd'))['user.overlay.opaque'], '0x79');
    assert.ok(!existsSync(join(out, 'd/.wh..wh..opq')));
  });

  it('rootless: skips devices with a warning, drops xattrs it may not set, and never chowns', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const out = join(dir, 'out');
    const warnings: string[] = [];
    const cap = new Map([['security.capability', Buffer.from('0100000200200000000000000000000000000000', 'hex')]]);
    const r = await extractBuffer(
      tarOf([h('dev/'), h('dev/null', { type: 'char', devmajor: 1, devminor: 3, mode: 0o666 }), [h('bin', { uid: 1234, gid: 5678, xattrs: cap }), 'b']]),
      out,
      { rootless: true, onWarning: (w: string) => warnings.push(w) },
    );
    assert.ok(!existsSync(join(out, 'dev/null')));
    assert.match(warnings.join('\n'), /skipping device 'dev\/null' \(1:3\)/);
    assert.match(warnings.join('\n'), /dropping security.capability \(needs root\)/);
    assert.deepEqual(r.warnings, warnings);
    assert.equal(lstatSync(join(out, 'bin')).uid, process.getuid!());
  });

  it('refuses xattrs in the overlay namespace coming from an archive', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const warnings: string[] = [];
    const evil = new Map([['trusted.overlay.redirect', Buffer.from('/etc')]]);
    await extractBuffer(tarOf([h('d/', { xattrs: evil })]), join(dir, 'out'), { onWarning: (w: string) => warnings.push(w) });
    assert.match(warnings.join('\n'), /dropping trusted.overlay.redirect/);
  });

  it('reports truncated gzip and garbage as LayerError', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const src = join(dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'f'), 'x'.repeat(100_000));
    const layer = join(dir, 'l.tgz');
    await packToFile(src, layer);
    const gz = readFileSync(layer);
    await assert.rejects(extractBuffer(gz.subarray(0, gz.length - 20), join(dir, 'o1')), (e: unknown) => e instanceof LayerError);
    const corrupt = Buffer.from(gz);
    corrupt.writeUInt32LE((corrupt.readUInt32LE(corrupt.length - 8) ^ 1) >>> 0, corrupt.length - 8); // CRC
    await assert.rejects(extractBuffer(corrupt, join(dir, 'o2')), (e: unknown) => e instanceof LayerError && /cannot read layer/.test((e as Error).message));
    await assert.rejects(extractBuffer(Buffer.alloc(2000, 0x41), join(dir, 'o3')), (e: unknown) => e instanceof LayerError && /checksum/.test((e as Error).message));
  });
});
