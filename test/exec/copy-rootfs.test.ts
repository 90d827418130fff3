// The copy snapshotter against the real thing: the same lowers and the same changes through the
// copy snapshotter and through an overlayfs mount must give the same merged tree and the same
// layer. Needs root (owners, devices, overlay mounts); overlayfs must work here.
import assert from 'node:assert/strict';
import { chmod, chown, link, lutimes, mkdir, readdir, readFile, rename, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ExecError } from '../../src/errors.js';
import { pendingCleanups } from '../../src/exec/cleanup.js';
import { mountRootfs, probeSnapshotter, type MountedRootfs } from '../../src/exec/index.js';
import { TreeRecord } from '../../src/exec/tree-diff.js';
import { describeTree, isRoot, run } from '../layer/helpers.js';
import { scratchDirs } from '../helpers/scratch.js';
import { layerRows } from '../helpers/upper-listing.js';

const scratch = scratchDirs('hull-copy-rootfs-');
const T = 1_700_000_000;
const CAP = '0x0100000200200000000000000000000000000000';

async function put(path: string, content: string, mode = 0o644, mtime = T): Promise<void> {
  await writeFile(path, content, { mode });
  await chmod(path, mode);
  await utimes(path, mtime, mtime);
}

/** Two lowers, bottom and top, returned top first as overlayfs takes them. */
async function makeLowers(root: string): Promise<string[]> {
  const bottom = join(root, 'bottom');
  const top = join(root, 'top');
  for (const d of ['etc', 'bin', 'data', 'gone/sub', 'opq', 'keep', 'olddir/inner', 'swap', 'recreated', 'dev']) await mkdir(join(bottom, d), { recursive: true });
  await put(join(bottom, 'etc/config'), 'v1');
  await put(join(bottom, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
  run('setfattr', ['-n', 'user.origin', '-v', 'bottom', join(bottom, 'etc/passwd')]);
  await put(join(bottom, 'bin/tool'), 'tool binary', 0o755);
  run('setfattr', ['-n', 'security.capability', '-v', CAP, join(bottom, 'bin/tool')]);
  await symlink('tool', join(bottom, 'bin/link'));
  await put(join(bottom, 'data/a'), 'shared');
  await link(join(bottom, 'data/a'), join(bottom, 'data/b'));
  await put(join(bottom, 'gone/sub/x'), 'x');
  await put(join(bottom, 'drop'), 'drop');
  await put(join(bottom, 'opq/old1'), 'old');
  await put(join(bottom, 'opq/old2'), 'old');
  for (const k of ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7']) await put(join(bottom, 'keep', k), `${k} content`);
  await put(join(bottom, 'olddir/inner/f'), 'f');
  await put(join(bottom, 'swap/child'), 'child');
  await put(join(bottom, 'recreated/was'), 'was');
  run('mknod', [join(bottom, 'dev/null'), 'c', '1', '3']);
  run('mknod', [join(bottom, 'dev/pipe'), 'p']);
  await chown(join(bottom, 'data/a'), 42, 43);
  await chmod(join(bottom, 'opq'), 0o750);

  for (const d of ['etc', 'opq', 'newdir']) await mkdir(join(top, d), { recursive: true });
  run('mknod', [join(top, 'gone'), 'c', '0', '0']);
  run('mknod', [join(top, 'drop'), 'c', '0', '0']);
  run('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(top, 'opq')]);
  await put(join(top, 'opq/new1'), 'new');
  await put(join(top, 'etc/config'), 'v2');
  await put(join(top, 'newdir/f'), 'top file', 0o600);
  // The top layer's directory metadata wins over the bottom one's.
  await chmod(join(top, 'etc'), 0o751);
  await chown(join(top, 'etc'), 7, 8);
  for (const d of ['etc', 'opq', 'newdir']) await utimes(join(top, d), T + 5, T + 5);
  for (const d of ['etc', 'bin', 'data', 'gone', 'opq', 'keep', 'swap', 'recreated']) await utimes(join(bottom, d), T - 5, T - 5);
  return [top, bottom];
}

/** One of each change a step can make, applied the same way to either snapshotter's rootfs. */
async function applyChanges(root: string): Promise<void> {
  const p = (rel: string): string => join(root, rel);
  await put(p('new.txt'), 'brand new');
  // Same size, mtime set back: only ctime and the content tell.
  await writeFile(p('etc/config'), 'v3');
  await utimes(p('etc/config'), T, T);
  await chmod(p('bin/tool'), 0o700);
  await chown(p('keep/k1'), 1000, 1001);
  await unlink(p('keep/k2'));
  await link(p('keep/k3'), p('keep/k3.link'));
  run('setfattr', ['-n', 'user.note', '-v', 'added', p('keep/k4')]);
  // Deleted and written again, identical, with the same mtime: a new inode all the same.
  await unlink(p('keep/k5'));
  await put(p('keep/k5'), 'k5 content');
  await rm(p('olddir'), { recursive: true });
  await rm(p('swap'), { recursive: true });
  await put(p('swap'), 'now a file');
  await unlink(p('bin/link'));
  await symlink('elsewhere', p('bin/link'));
  await lutimes(p('bin/link'), T, T);
  await mkdir(p('empty'));
  await rm(p('recreated'), { recursive: true });
  await mkdir(p('recreated'));
  await put(p('recreated/fresh'), 'fresh');
  await mkdir(p('deep/er/est'), { recursive: true });
  await put(p('deep/er/est/leaf'), 'leaf');
  await unlink(p('dev/pipe'));
  await rename(p('keep/k6'), p('keep/k6.moved'));
  await unlink(p('keep/k7'));
  await mkdir(p('keep/k7'));
  await put(p('keep/k7/inside'), 'inside');
}

async function mount(lowers: string[], snapshotter: 'overlay' | 'copy'): Promise<MountedRootfs> {
  return mountRootfs(join(await scratch.fresh(snapshotter), 'rootfs'), lowers, { snapshotter });
}

describe('the copy snapshotter', { skip: !isRoot && 'needs root' }, () => {
  it('flattens the lowers as overlayfs shows them: whiteouts, opaque dirs, hardlinks, devices, xattrs', async () => {
    const lowers = await makeLowers(await scratch.fresh('lowers'));
    const copy = await mount(lowers, 'copy');
    const overlay = await mount(lowers, 'overlay');
    try {
      assert.equal(copy.snapshotter, 'copy');
      assert.equal(overlay.snapshotter, 'overlay');
      const tree = describeTree(copy.merged, { xattrs: true });
      assert.deepEqual(tree, describeTree(overlay.merged, { xattrs: true }));
      assert.equal(tree['gone'], undefined);
      assert.equal(tree['drop'], undefined);
      assert.deepEqual(await readdir(join(copy.merged, 'opq')), ['new1']);
      assert.equal(tree['opq']!.mode, 0o755, 'the opaque dir takes the top layer’s metadata');
      assert.equal(await readFile(join(copy.merged, 'etc/config'), 'utf8'), 'v2');
      assert.deepEqual([tree['etc']!.mode, tree['etc']!.uid, tree['etc']!.gid, tree['etc']!.mtime], [0o751, 7, 8, T + 5]);
      assert.equal(tree['data/b']!.sameAs, 'data/a');
      assert.deepEqual([tree['data/a']!.uid, tree['data/a']!.gid], [42, 43]);
      assert.equal(tree['bin/link']!.link, 'tool');
      assert.equal(tree['bin/tool']!.xattrs?.['security.capability'], CAP);
      assert.equal(tree['dev/null']!.type, 'char');
      assert.equal(tree['dev/pipe']!.type, 'fifo');
      assert.equal(tree['etc/config']!.mtime, T);
    } finally {
      await copy.remove();
      await overlay.remove();
    }
  });

  it('leaves the upper dir overlayfs leaves for the same changes', async () => {
    const lowers = await makeLowers(await scratch.fresh('lowers'));
    const copy = await mount(lowers, 'copy');
    const overlay = await mount(lowers, 'overlay');
    try {
      await applyChanges(copy.merged);
      await applyChanges(overlay.merged);
      await copy.unmount();
      await copy.unmount();
      await overlay.unmount();
      assert.deepEqual(await readdir(copy.merged), [], 'the copy is gone once the diff is written');
      const rows = await layerRows(copy.upper);
      assert.deepEqual(rows, await layerRows(overlay.upper));
      const names = rows.map((r) => r.name);
      for (const expected of ['new.txt', 'etc/config', 'bin/tool', 'keep/k1', 'keep/.wh.k2', 'keep/k3', 'keep/k3.link', 'keep/k4', 'keep/k5', '.wh.olddir', 'swap', 'bin/link', 'empty/', 'recreated/', 'recreated/.wh..wh..opq', 'deep/er/est/leaf', 'dev/.wh.pipe', 'keep/.wh.k6', 'keep/k6.moved', 'keep/k7/', 'keep/k7/.wh..wh..opq', 'keep/k7/inside']) {
        assert.ok(names.includes(expected), `${expected} missing from ${names.join(' ')}`);
      }
      for (const unchanged of ['etc/passwd', 'data/a', 'opq/new1', 'newdir/f', 'dev/null']) assert.ok(!names.includes(unchanged), `${unchanged} did not change`);
      assert.equal(rows.find((r) => r.name === 'keep/k3.link')!.type, 'link');
      assert.deepEqual(rows.find((r) => r.name === 'bin/tool')!.xattrs, [`security.capability=${CAP.slice(2)}`]);
      const whiteout = lstatSync(join(copy.upper, 'keep/k2'));
      assert.ok(whiteout.isCharacterDevice() && whiteout.rdev === 0);
    } finally {
      await copy.remove();
      await copy.remove();
      await overlay.remove();
    }
    assert.equal(pendingCleanups(), 0);
  });

  it('finds a same-size rewrite with its mtime set back through ctime, long after the record', async () => {
    const root = await scratch.fresh('record');
    const original = join(root, 'original');
    const tree = join(root, 'tree');
    for (const d of [original, tree]) {
      await mkdir(d);
      await put(join(d, 'f'), 'before');
      await put(join(d, 'g'), 'untouched');
    }
    await new Promise((r) => setTimeout(r, 50));
    const record = await TreeRecord.take(tree, new Map([['f', original], ['g', original]]), root);
    await new Promise((r) => setTimeout(r, 50));
    await writeFile(join(tree, 'f'), 'after!');
    await utimes(join(tree, 'f'), T, T);
    const diff = await record.diff(tree);
    assert.deepEqual(diff.changes.map((c) => c.rel), ['f']);
    assert.deepEqual(diff.deleted, []);
  });

  it('auto falls back to copy where overlay cannot be used; HULL_SNAPSHOTTER overrides auto', async () => {
    const odd = join(await scratch.fresh('odd'), 'a:b');
    await mkdir(odd);
    await put(join(odd, 'f'), 'f');
    const fallback = await mountRootfs(join(await scratch.fresh('auto'), 'rootfs'), [odd]);
    try {
      assert.equal(fallback.snapshotter, 'copy');
      assert.equal(await readFile(join(fallback.merged, 'f'), 'utf8'), 'f');
    } finally {
      await fallback.remove();
    }
    await assert.rejects(mountRootfs(join(await scratch.fresh('forced'), 'rootfs'), [odd], { snapshotter: 'overlay' }), (err: unknown) => err instanceof ExecError && /overlay unavailable/.test(err.message));

    const probed = await scratch.fresh('probe');
    assert.equal(await probeSnapshotter(probed), 'overlay');
    assert.deepEqual(await readdir(probed), [], 'the probe mount is gone');
    process.env['HULL_SNAPSHOTTER'] = 'copy';
    try {
      assert.equal(await probeSnapshotter(probed), 'copy');
      const byEnv = await mountRootfs(join(probed, 'rootfs'), []);
      assert.equal(byEnv.snapshotter, 'copy');
      await byEnv.remove();
    } finally {
      delete process.env['HULL_SNAPSHOTTER'];
    }
  });

  it('probes copy when the scratch dir itself is on overlayfs, as inside a container', async () => {
    const outer = await mount([], 'overlay');
    try {
      assert.equal(await probeSnapshotter(join(outer.merged, 'tmp')), 'copy');
      const inner = await mountRootfs(join(outer.merged, 'tmp', 'rootfs'), []);
      assert.equal(inner.snapshotter, 'copy');
      await inner.remove();
    } finally {
      await outer.remove();
    }
  });
});
