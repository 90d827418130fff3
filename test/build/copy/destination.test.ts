import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, readlink, symlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { LayerError } from '../../../src/errors.js';
import { scratchDirs } from '../../helpers/scratch.js';
import { contextTree, copy, listTree } from './helpers.js';

/**
 * The target is a real directory on the host: symlinks an image holds must resolve inside it,
 * never on the host. Each test keeps a host "sentinel" the image's links point at and checks
 * that nothing reached it.
 */
const scratch = scratchDirs('hull-copy-dest-');

async function sentinel(): Promise<{ dir: string; file: string }> {
  const dir = await scratch.fresh('host');
  const file = join(dir, 'host-file');
  await writeFile(file, 'host');
  return { dir, file };
}

async function untouched(host: { dir: string; file: string }): Promise<void> {
  assert.deepEqual(await readdir(host.dir), ['host-file']);
  assert.equal(await readFile(host.file, 'utf8'), 'host');
}

describe('copyFiles: the destination stays inside the target', () => {
  it('resolves an absolute symlink on the way with the target as /', async () => {
    const host = await sentinel();
    const ctx = await contextTree({ 'f.txt': 'image', 'tree/x': 'image' });
    const root = await scratch.fresh('t');
    await mkdir(join(root, 'usr'));
    await symlink(host.dir, join(root, 'usr/local')); // /usr/local -> <host path>, as an image may hold
    await copy(ctx, ['f.txt'], root, '/usr/local/bin/');
    await copy(ctx, ['tree'], root, '/usr/local/share/');
    await untouched(host);
    const inside = join(root, host.dir);
    assert.equal(await readFile(join(inside, 'bin/f.txt'), 'utf8'), 'image');
    assert.equal(await readFile(join(inside, 'share/x'), 'utf8'), 'image');
  });

  it('clamps a relative symlink climbing above the root at the root, as the kernel does in the image', async () => {
    const host = await sentinel();
    const ctx = await contextTree({ 'f.txt': 'image' });
    const root = await scratch.fresh('t');
    // from <scratch>/t-N, ../host-M is the sentinel on the host; in the image it is /host-M
    await symlink(`../${basename(host.dir)}`, join(root, 'app'));
    await copy(ctx, ['f.txt'], root, '/app/');
    await untouched(host);
    assert.equal(await readFile(join(root, basename(host.dir), 'f.txt'), 'utf8'), 'image');
  });

  it('replaces a final symlink to a host file instead of writing through it', async () => {
    const host = await sentinel();
    const ctx = await contextTree({ 'f.txt': 'image' });
    const root = await scratch.fresh('t');
    await mkdir(join(root, 'etc'));
    await symlink(host.file, join(root, 'etc/conf'));
    await symlink(`../../../../../../..${host.file}`, join(root, 'etc/rel'));
    await copy(ctx, ['f.txt'], root, '/etc/conf');
    await copy(ctx, ['f.txt'], root, '/etc/rel');
    await untouched(host);
    assert.deepEqual(await listTree(join(root, 'etc')), ['conf', 'rel']);
  });

  it('follows a final symlink to a host directory inside the target only', async () => {
    const host = await sentinel();
    const ctx = await contextTree({ 'f.txt': 'image' });
    const root = await scratch.fresh('t');
    await symlink(host.dir, join(root, 'data'));
    await copy(ctx, ['f.txt'], root, '/data');
    await untouched(host);
    // the link's target does not exist in the image: the file takes the link's place
    assert.deepEqual(await listTree(root), ['data']);
    await mkdir(join(root, host.dir), { recursive: true });
    await symlink(host.dir, join(root, 'data2'));
    await copy(ctx, ['f.txt'], root, '/data2');
    await untouched(host);
    assert.equal(await readFile(join(root, host.dir, 'f.txt'), 'utf8'), 'image');
  });

  it('never enters a symlink below the destination: a directory copy onto one fails', async () => {
    const host = await sentinel();
    const ctx = await contextTree({ 'src/sub/x': 'image' });
    const root = await scratch.fresh('t');
    await mkdir(join(root, 'app'));
    await symlink(host.dir, join(root, 'app/sub'));
    await assert.rejects(copy(ctx, ['src'], root, '/app/'), (e: unknown) => e instanceof LayerError && /cannot copy a directory to \/app\/sub: a symlink is there/.test(e.message));
    await untouched(host);
    assert.equal(await readlink(join(root, 'app/sub')), host.dir);
  });

  it('creates a dangling destination symlink\'s target inside the target for a directory copy', async () => {
    const host = await sentinel();
    const ctx = await contextTree({ 'src/x': 'image' });
    const root = await scratch.fresh('t');
    await symlink(join(host.dir, 'new'), join(root, 'out'));
    await copy(ctx, ['src'], root, '/out');
    await untouched(host);
    assert.equal(await readFile(join(root, host.dir, 'new/x'), 'utf8'), 'image');
  });

  it('writes --parents paths as real directories, never through target links', async () => {
    const host = await sentinel();
    const ctx = await contextTree({ 'a/b.txt': 'image' });
    const root = await scratch.fresh('t');
    await mkdir(join(root, 'd'));
    await symlink(host.dir, join(root, 'd/a'));
    await assert.rejects(copy(ctx, ['a/b.txt'], root, '/d/', { parents: true }), LayerError);
    await untouched(host);
  });
});
