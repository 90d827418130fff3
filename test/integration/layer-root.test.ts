// Layer round trips that need root: device nodes, ownership, security.capability and trusted.*
// xattrs, and real overlayfs upper dirs (whiteouts both ways, checked through the kernel's view).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { listChanges } from '../../src/layer/index.js';
import { createReadStream } from 'node:fs';
import { describeTree, extractFile, hasTool, isRoot, listWithTarStream, packToFile, run, tempDir, xattrsOf } from '../layer/helpers.js';

const CAP = '0x0100000200200000000000000000000000000000'; // cap_net_raw+ep

function canMountOverlay(dir: string): boolean {
  for (const d of ['l', 'u', 'w', 'm']) mkdirSync(join(dir, d), { recursive: true });
  const r = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${dir}/l,upperdir=${dir}/u,workdir=${dir}/w`, `${dir}/m`]);
  if (r.status !== 0) return false;
  spawnSync('umount', [`${dir}/m`]);
  return true;
}

function mountOverlay(lowers: string[], merged: string, upper?: string, work?: string): void {
  const opts = upper ? `lowerdir=${lowers.join(':')},upperdir=${upper},workdir=${work},redirect_dir=off,metacopy=off` : `lowerdir=${lowers.join(':')}`;
  run('mount', ['-t', 'overlay', 'overlay', '-o', opts, merged]);
}

describe('layers as root', { skip: !isRoot && 'needs root' }, () => {
  it('round-trips devices, owners, setuid after chown, security.capability and trusted.* xattrs', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const src = join(dir, 'src');
    mkdirSync(join(src, 'dev'), { recursive: true });
    run('mknod', [join(src, 'dev/null'), 'c', '1', '3']);
    run('mknod', [join(src, 'dev/loop0'), 'b', '7', '0']);
    run('mknod', [join(src, 'dev/big'), 'c', '300', '70000']);
    chmodSync(join(src, 'dev/null'), 0o666);
    writeFileSync(join(src, 'ping'), 'binary');
    chownSync(join(src, 'ping'), 1000, 2000);
    chmodSync(join(src, 'ping'), 0o4755);
    run('setfattr', ['-n', 'security.capability', '-v', CAP, join(src, 'ping')]);
    mkdirSync(join(src, 'home/user'), { recursive: true });
    chownSync(join(src, 'home/user'), 65534, 65534);
    run('setfattr', ['-n', 'trusted.hull', '-v', '0xdeadbeef', join(src, 'home/user')]);
    run('setfattr', ['-n', 'user.hull', '-v', 'u', join(src, 'home/user')]);
    run('ln', ['-s', 'ping', join(src, 'pinglink')]);
    run('chown', ['-h', '42:43', join(src, 'pinglink')]);
    const layer = join(dir, 'l.tgz');
    await packToFile(src, layer);
    const listing = run('tar', ['--numeric-owner', '-tvzf', layer]).toString();
    assert.match(listing, /^crw-rw-rw- 0\/0 +1,3 .* dev\/null$/m);
    assert.match(listing, /^brw-r--r-- 0\/0 +7,0 .* dev\/loop0$/m);
    assert.match(listing, /^-rwsr-xr-x 1000\/2000 .* ping$/m);
    const out = join(dir, 'out');
    await extractFile(layer, out);
    assert.deepEqual(describeTree(out, { xattrs: true }), describeTree(src, { xattrs: true }));
    assert.equal(xattrsOf(join(out, 'ping'))['security.capability'], CAP);
    assert.equal(lstatSync(join(out, 'ping')).mode & 0o7777, 0o4755);
  });

  it('turns an overlayfs upper dir into a layer and back (overlay and apply modes)', async (t) => {
    const { dir, cleanup } = await tempDir();
    const mounted: string[] = [];
    t.after(async () => {
      for (const m of mounted.reverse()) spawnSync('umount', [m]);
      await cleanup();
    });
    if (!canMountOverlay(join(dir, 'probe'))) return t.skip('cannot mount overlayfs here');
    const lower = join(dir, 'lower');
    mkdirSync(join(lower, 'etc/conf.d'), { recursive: true });
    mkdirSync(join(lower, 'var/lib/old'), { recursive: true });
    writeFileSync(join(lower, 'etc/passwd'), 'root:x:0:0');
    writeFileSync(join(lower, 'etc/hosts'), 'hosts');
    writeFileSync(join(lower, 'etc/conf.d/a'), 'a');
    writeFileSync(join(lower, 'var/lib/old/data'), 'old');
    writeFileSync(join(lower, 'gone'), 'gone');
    for (const d of ['upper', 'work', 'merged']) mkdirSync(join(dir, d));
    mountOverlay([lower], join(dir, 'merged'), join(dir, 'upper'), join(dir, 'work'));
    mounted.push(join(dir, 'merged'));
    const m = (p: string) => join(dir, 'merged', p);
    // A RUN step's worth of changes.
    rmSync(m('gone'));
    rmSync(m('etc/hosts')); // two whiteouts: overlayfs may hardlink them to one inode
    rmSync(m('var/lib'), { recursive: true });
    mkdirSync(m('var/lib'));
    writeFileSync(m('var/lib/new'), 'new'); // var/lib is now opaque
    writeFileSync(m('etc/passwd'), 'root:x:0:0\nuser:x:1000:1000');
    writeFileSync(m('etc/conf.d/b'), 'b');
    const expected = describeTree(join(dir, 'merged'), { mtimeOfDirs: false });
    spawnSync('umount', [mounted.pop()!]);

    const layer = join(dir, 'layer.tgz');
    const blob = await packToFile(join(dir, 'upper'), layer, { whiteouts: 'overlay' });
    const rows = await listWithTarStream(run('gzip', ['-dc', layer]));
    const names = rows.map((r) => r.name);
    for (const n of ['.wh.gone', 'etc/.wh.hosts', 'var/lib/', 'var/lib/.wh..wh..opq', 'var/lib/new', 'etc/passwd', 'etc/conf.d/b']) assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
    assert.ok(!names.includes('gone') && !names.includes('etc/hosts'));
    assert.ok(!run('gzip', ['-dc', layer]).includes(Buffer.from('overlay.')), 'no overlay xattrs in the layer');

    // The layer as a snapshot under the old lower: the kernel must show the same tree.
    const snap = join(dir, 'snap');
    const r = await extractFile(layer, snap, { whiteouts: 'overlay' });
    assert.equal(r.diffID, blob.diffID);
    assert.ok(lstatSync(join(snap, 'gone')).isCharacterDevice());
    assert.equal(xattrsOf(join(snap, 'var/lib'))['trusted.overlay.opaque'], '0x79');
    mkdirSync(join(dir, 'view'));
    mountOverlay([snap, lower], join(dir, 'view'));
    mounted.push(join(dir, 'view'));
    assert.deepEqual(describeTree(join(dir, 'view'), { mtimeOfDirs: false }), expected);
    spawnSync('umount', [mounted.pop()!]);

    // Flattening: the lower tree with the layer applied is the same tree again.
    const flat = join(dir, 'flat');
    cpSync(lower, flat, { recursive: true, preserveTimestamps: true });
    await extractFile(layer, flat, { whiteouts: 'apply' });
    assert.deepEqual(describeTree(flat, { mtimeOfDirs: false }), expected);

    const changes = await listChanges(createReadStream(layer), new Set(Object.keys(describeTree(lower)).map((p) => `/${p}`)));
    assert.deepEqual(changes.map((c) => `${c.kind} ${c.path}`), [
      'deleted /gone',
      'changed /etc',
      'changed /etc/conf.d',
      'added /etc/conf.d/b',
      'deleted /etc/hosts',
      'changed /etc/passwd',
      'changed /var',
      'changed /var/lib',
      'added /var/lib/new',
      'deleted /var/lib/old',
    ].sort((a, b) => Buffer.compare(Buffer.from(a.split(' ')[1]!), Buffer.from(b.split(' ')[1]!))));
    assert.equal(readFileSync(join(flat, 'var/lib/new'), 'utf8'), 'new');
  });

  it('extracts device nodes only as root, and whiteouts as 0/0 char devices', { skip: !hasTool('mknod') }, async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const src = join(dir, 'src');
    mkdirSync(src);
    for (let i = 0; i < 300; i++) run('mknod', [join(src, `n${i}`), 'c', '0', '0']);
    const layer = join(dir, 'l.tar');
    await packToFile(src, layer, { whiteouts: 'overlay', compression: 'none' });
    const started = Date.now();
    await extractFile(layer, join(dir, 'snap'), { whiteouts: 'overlay' });
    const ms = Date.now() - started;
    t.diagnostic(`300 whiteouts in ${ms} ms`);
    const st = lstatSync(join(dir, 'snap/n299'));
    assert.ok(st.isCharacterDevice() && st.rdev === 0);
  });
});
