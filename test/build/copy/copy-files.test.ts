import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, chown, link, lstat, mkdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SourceError } from '../../../src/context/errors.js';
import { LayerError } from '../../../src/errors.js';
import { parseChmod } from '../../../src/parse/instructions/chmod.js';
import { scratchDirs } from '../../helpers/scratch.js';
import { contextTree, copy, listTree } from './helpers.js';

const scratch = scratchDirs('hull-copy-');
const OLD = new Date('2001-02-03T04:05:06.789Z');

function mode(st: { mode: number }): number {
  return st.mode & 0o7777;
}

describe('copyFiles: where things go', () => {
  it('copies a directory source\'s contents, not the directory (BEHAVIOURS 11)', async () => {
    const ctx = await contextTree({ 'src/a.txt': 'a', 'src/sub/b.txt': 'b', 'src/empty': { dir: true } });
    const root = await scratch.fresh('t');
    const result = await copy(ctx, ['src'], root, '/app/');
    assert.deepEqual(await listTree(root), ['app/', 'app/a.txt', 'app/empty/', 'app/sub/', 'app/sub/b.txt']);
    assert.deepEqual(result, { files: 2, bytes: 2 });
    // without a trailing slash the same: the contents land in /app
    const other = await scratch.fresh('t');
    await copy(ctx, ['src'], other, '/app');
    assert.deepEqual(await listTree(other), ['app/', 'app/a.txt', 'app/empty/', 'app/sub/', 'app/sub/b.txt']);
  });

  it('puts a file in dest/ or renames it to dest (BEHAVIOURS 12)', async () => {
    const ctx = await contextTree({ 'f.txt': 'hello' });
    const root = await scratch.fresh('t');
    await copy(ctx, ['f.txt'], root, '/dir/');
    await copy(ctx, ['f.txt'], root, '/renamed');
    await mkdir(join(root, 'existing'));
    await copy(ctx, ['f.txt'], root, '/existing');
    assert.deepEqual(await listTree(root), ['dir/', 'dir/f.txt', 'existing/', 'existing/f.txt', 'renamed']);
    assert.equal(await readFile(join(root, 'renamed'), 'utf8'), 'hello');
  });

  it('follows a destination symlink to a directory, replaces one to a file', async () => {
    const ctx = await contextTree({ 'f.txt': 'new' });
    const root = await scratch.fresh('t');
    await mkdir(join(root, 'opt'));
    await symlink('/opt', join(root, 'data'));
    await writeFile(join(root, 'old.conf'), 'old');
    await symlink('old.conf', join(root, 'conf'));
    await symlink('nowhere', join(root, 'dangling'));
    await copy(ctx, ['f.txt'], root, '/data');
    await copy(ctx, ['f.txt'], root, '/conf');
    await copy(ctx, ['f.txt'], root, '/dangling');
    assert.equal(await readFile(join(root, 'opt/f.txt'), 'utf8'), 'new');
    assert.ok((await lstat(join(root, 'conf'))).isFile());
    assert.equal(await readFile(join(root, 'old.conf'), 'utf8'), 'old', 'the link is replaced, not written through');
    assert.ok((await lstat(join(root, 'dangling'))).isFile());
  });

  it('replaces an existing file, refuses to replace a directory with a file', async () => {
    const ctx = await contextTree({ 'f.txt': 'new', 'd/f.txt': 'x' });
    const root = await scratch.fresh('t');
    await writeFile(join(root, 'f.txt'), 'old');
    await copy(ctx, ['f.txt'], root, '/');
    assert.equal(await readFile(join(root, 'f.txt'), 'utf8'), 'new');
    await mkdir(join(root, 'busy/f.txt'), { recursive: true });
    await writeFile(join(root, 'busy/f.txt/inside'), '');
    await assert.rejects(copy(ctx, ['f.txt'], root, '/busy/'), (e: unknown) => e instanceof LayerError && /cannot replace the directory \/busy\/f\.txt with a file/.test(e.message));
    // a directory where a copied directory's file would go, and a file where a directory goes
    await writeFile(join(root, 'x'), '');
    await mkdir(join(root, 'y'));
    await writeFile(join(root, 'y/d'), '');
    await assert.rejects(copy(ctx, ['d'], root, '/x/'), (e: unknown) => e instanceof LayerError && /COPY failed: cannot use \/x\/ as a directory/.test(e.message));
    await assert.rejects(copy(ctx, ['.'], root, '/y/'), (e: unknown) => e instanceof LayerError && /cannot copy a directory to \/y\/d: a file is there/.test(e.message));
  });

  it('needs a directory destination for several sources or wildcard matches (BEHAVIOURS 12)', async () => {
    const ctx = await contextTree({ 'a.txt': 'a', 'b.txt': 'b', 'c.md': 'c' });
    const root = await scratch.fresh('t');
    const message = 'COPY failed: When using COPY with more than one source file, the destination must be a directory and end with a /';
    await assert.rejects(copy(ctx, ['*.txt'], root, '/out'), (e: unknown) => e instanceof SourceError && e.message === message && e.source === '*.txt');
    await assert.rejects(copy(ctx, ['a.txt', 'c.md'], root, '/out'), SourceError);
    assert.deepEqual(await listTree(root), []);
    // one match is a single source: renamed
    await copy(ctx, ['*.md'], root, '/out');
    await copy(ctx, ['*.txt'], root, '/all/');
    assert.deepEqual(await listTree(root), ['all/', 'all/a.txt', 'all/b.txt', 'out']);
  });

  it('honours the context\'s .dockerignore when listing a directory (BEHAVIOURS 18)', async () => {
    const ctx = await contextTree({ '.dockerignore': '*.log\n!keep.log\n', 'a.log': '', 'keep.log': '', 'b.txt': '' });
    const root = await scratch.fresh('t');
    await copy(ctx, ['.'], root, '/');
    assert.deepEqual(await listTree(root), ['.dockerignore', 'b.txt', 'keep.log']);
  });
});

describe('copyFiles: metadata', () => {
  it('makes missing parents 0755 with the owner\'s ids, leaves existing ones alone (BEHAVIOURS 14)', async () => {
    const ctx = await contextTree({ 'src/f': 'x' });
    await chmod(join(ctx, 'src'), 0o700);
    const root = await scratch.fresh('t');
    await mkdir(join(root, 'usr'), { mode: 0o711 });
    await chmod(join(root, 'usr'), 0o711);
    await copy(ctx, ['src'], root, '/usr/new/deep/', { owner: { uid: 1000, gid: 1001 } });
    const usr = await stat(join(root, 'usr'));
    assert.deepEqual([mode(usr), usr.uid, usr.gid], [0o711, 0, 0]);
    for (const dir of ['usr/new', 'usr/new/deep']) {
      const st = await stat(join(root, dir));
      assert.deepEqual([mode(st), st.uid, st.gid], [0o755, 1000, 1001], dir);
    }
    const f = await stat(join(root, 'usr/new/deep/f'));
    assert.deepEqual([f.uid, f.gid], [1000, 1001]);
  });

  it('keeps the destination directory\'s own metadata; nested directories take the source\'s', async () => {
    const ctx = await contextTree({ 'src/sub/f': 'x' });
    await chmod(join(ctx, 'src'), 0o700);
    await chmod(join(ctx, 'src/sub'), 0o750);
    await utimes(join(ctx, 'src/sub'), OLD, OLD);
    const root = await scratch.fresh('t');
    await mkdir(join(root, 'app/sub'), { recursive: true });
    await chmod(join(root, 'app'), 0o777);
    await chown(join(root, 'app/sub'), 5, 5);
    await copy(ctx, ['src'], root, '/app/');
    assert.equal(mode(await stat(join(root, 'app'))), 0o777);
    const sub = await stat(join(root, 'app/sub'));
    assert.deepEqual([mode(sub), sub.uid, sub.mtime.getTime()], [0o750, 0, OLD.getTime()]);
  });

  it('keeps modes (set-id bits too) and mtimes of files and directories (BEHAVIOURS 15)', async () => {
    const ctx = await contextTree({ 'd/tool': '#!/bin/sh\n', 'd/data': 'x', 'd/sub/f': '' });
    await chmod(join(ctx, 'd/tool'), 0o4755);
    await chmod(join(ctx, 'd/data'), 0o600);
    await chmod(join(ctx, 'd/sub'), 0o1777);
    for (const p of ['d/tool', 'd/data', 'd/sub/f', 'd/sub']) await utimes(join(ctx, p), OLD, OLD);
    const root = await scratch.fresh('t');
    await copy(ctx, ['d'], root, '/');
    assert.equal(mode(await stat(join(root, 'tool'))), 0o4755);
    assert.equal(mode(await stat(join(root, 'data'))), 0o600);
    assert.equal(mode(await stat(join(root, 'sub'))), 0o1777);
    for (const p of ['tool', 'data', 'sub/f', 'sub']) assert.equal((await stat(join(root, p))).mtime.getTime(), OLD.getTime(), p);
  });

  it('copies symlinks as symlinks, with their owner and mtime (BEHAVIOURS 16)', async () => {
    const ctx = await contextTree({ 'd/target': 'x', 'd/rel': { link: 'target' }, 'd/abs': { link: '/etc/passwd' }, 'd/broken': { link: 'nope' } });
    spawnSync('touch', ['-h', '-d', OLD.toISOString(), join(ctx, 'd/rel')]);
    const root = await scratch.fresh('t');
    await copy(ctx, ['d'], root, '/x/', { owner: { uid: 7, gid: 8 } });
    assert.deepEqual(await listTree(root), ['x/', 'x/abs -> /etc/passwd', 'x/broken -> nope', 'x/rel -> target', 'x/target']);
    const rel = await lstat(join(root, 'x/rel'));
    assert.deepEqual([rel.uid, rel.gid, rel.mtime.getTime()], [7, 8, OLD.getTime()]);
  });

  it('keeps hardlinks within a source hardlinked', async () => {
    const ctx = await contextTree({ 'd/a': 'same', 'd/z': 'other' });
    await link(join(ctx, 'd/a'), join(ctx, 'd/b'));
    const root = await scratch.fresh('t');
    const result = await copy(ctx, ['d'], root, '/');
    const [a, b, z] = await Promise.all(['a', 'b', 'z'].map((n) => lstat(join(root, n))));
    assert.equal(a!.ino, b!.ino);
    assert.equal(a!.nlink, 2);
    assert.notEqual(a!.ino, z!.ino);
    assert.deepEqual(result, { files: 3, bytes: 9 });
  });

  it('recreates FIFOs and devices, skips sockets', async () => {
    const ctx = await contextTree({ 'd/f': '' });
    assert.equal(spawnSync('mkfifo', [join(ctx, 'd/pipe')]).status, 0);
    assert.equal(spawnSync('mknod', [join(ctx, 'd/null'), 'c', '1', '3']).status, 0);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(ctx, 'd/sock'), resolve));
    try {
      const root = await scratch.fresh('t');
      await copy(ctx, ['d'], root, '/');
      assert.deepEqual(await listTree(root), ['f', 'null', 'pipe']);
      assert.ok((await lstat(join(root, 'pipe'))).isFIFO());
      const dev = await lstat(join(root, 'null'));
      assert.ok(dev.isCharacterDevice());
      assert.equal(dev.rdev, (await lstat(join(ctx, 'd/null'))).rdev);
    } finally {
      server.close();
    }
  });

  it('sets fixed ids on everything, or keeps the source\'s with preserve (BEHAVIOURS 15)', async () => {
    const ctx = await contextTree({ 'd/f': 'x', 'd/sub/g': 'y', 'd/l': { link: 'f' } });
    for (const p of ['d/f', 'd/sub', 'd/sub/g']) await chown(join(ctx, p), 1234, 5678);
    spawnSync('chown', ['-h', '4321:8765', join(ctx, 'd/l')]);
    const fixed = await scratch.fresh('t');
    await copy(ctx, ['d'], fixed, '/made/', { owner: { uid: 10, gid: 20 } });
    for (const p of ['made', 'made/f', 'made/sub', 'made/sub/g', 'made/l']) {
      const st = await lstat(join(fixed, p));
      assert.deepEqual([st.uid, st.gid], [10, 20], p);
    }
    const kept = await scratch.fresh('t');
    await copy(ctx, ['d'], kept, '/made/', { owner: 'preserve' });
    const ids = async (p: string): Promise<number[]> => {
      const st = await lstat(join(kept, p));
      return [st.uid, st.gid];
    };
    assert.deepEqual(await ids('made'), [0, 0], 'a parent made on the way is the builder\'s');
    assert.deepEqual(await ids('made/f'), [1234, 5678]);
    assert.deepEqual(await ids('made/sub'), [1234, 5678]);
    assert.deepEqual(await ids('made/l'), [4321, 8765]);
  });
});

describe('copyFiles: --chmod', () => {
  it('applies an octal mode to copied files and directories, not to parents made on the way', async () => {
    const ctx = await contextTree({ 'd/f': '', 'd/sub/g': '' });
    const root = await scratch.fresh('t');
    await copy(ctx, ['d'], root, '/p/q/', { chmod: { kind: 'octal', mode: 0o640 } });
    assert.equal(mode(await stat(join(root, 'p'))), 0o755);
    assert.equal(mode(await stat(join(root, 'p/q'))), 0o755);
    assert.equal(mode(await stat(join(root, 'p/q/f'))), 0o640);
    assert.equal(mode(await lstat(join(root, 'p/q/sub'))), 0o640);
  });

  it('applies a symbolic mode to each source\'s own mode, X only for directories and executables', async () => {
    const ctx = await contextTree({ 'd/plain': '', 'd/script': '', 'd/sub/f': '' });
    await chmod(join(ctx, 'd/plain'), 0o640);
    await chmod(join(ctx, 'd/script'), 0o744);
    await chmod(join(ctx, 'd/sub'), 0o700);
    const spec = parseChmod('go+rX');
    assert.ok(spec);
    const again = await scratch.fresh('t');
    await copy(ctx, ['d'], again, '/', { chmod: spec });
    assert.equal(mode(await stat(join(again, 'plain'))).toString(8), '644');
    assert.equal(mode(await stat(join(again, 'script'))).toString(8), '755');
    assert.equal(mode(await stat(join(again, 'sub'))).toString(8), '755');
    assert.equal(mode(await stat(join(again, 'sub/f'))).toString(8), '644');
    const u = parseChmod('u+x');
    assert.ok(u);
    const one = await scratch.fresh('t');
    await copy(ctx, ['d/plain'], one, '/bin/tool', { chmod: u });
    assert.equal(mode(await stat(join(one, 'bin/tool'))).toString(8), '740');
    assert.equal(mode(await stat(join(one, 'bin'))).toString(8), '755');
  });
});

describe('copyFiles: --exclude', () => {
  it('matches patterns relative to the source directory, with ! exceptions', async () => {
    const ctx = await contextTree({
      'src/a.md': '',
      'src/a.go': '',
      'src/docs/x.md': '',
      'src/docs/keep.md': '',
      'src/docs/img/p.png': '',
      'src/node_modules/m/index.js': '',
    });
    const root = await scratch.fresh('t');
    await copy(ctx, ['src'], root, '/app/', { exclude: ['*.md', 'docs', '!docs/keep.md', 'node_modules'] });
    assert.deepEqual(await listTree(root), ['app/', 'app/a.go', 'app/docs/', 'app/docs/keep.md']);
  });

  it('filters a wildcard\'s matches too', async () => {
    const ctx = await contextTree({ 'home.txt': '', 'home.md': '', 'homer/a.txt': '', 'homer/b.go': '', 'house': '' });
    const root = await scratch.fresh('t');
    await copy(ctx, ['hom*'], root, '/mydir/', { exclude: ['*.txt'] });
    // inside the directory match homer, patterns are relative to homer itself
    assert.deepEqual(await listTree(root), ['mydir/', 'mydir/b.go', 'mydir/home.md']);
    const none = await scratch.fresh('t');
    await copy(ctx, ['hom*'], none, '/mydir/', { exclude: ['home*', '!home.md'] });
    assert.deepEqual(await listTree(none), ['mydir/', 'mydir/home.md']);
  });

  it('never excludes a source named outright', async () => {
    const ctx = await contextTree({ 'a.md': 'x' });
    const root = await scratch.fresh('t');
    await copy(ctx, ['a.md'], root, '/', { exclude: ['*.md'] });
    assert.deepEqual(await listTree(root), ['a.md']);
  });

  it('reports a bad pattern', async () => {
    const ctx = await contextTree({ 'a': '' });
    await assert.rejects(copy(ctx, ['a'], await scratch.fresh('t'), '/', { exclude: ['[z-a'] }), /COPY --exclude/);
  });
});

describe('copyFiles: --parents', () => {
  it('keeps the path below the context root', async () => {
    const ctx = await contextTree({ 'a/b/c.txt': 'c', 'a/b/d.txt': 'd', 'x/y.txt': 'y' });
    await chmod(join(ctx, 'a'), 0o750);
    await utimes(join(ctx, 'a'), OLD, OLD);
    const root = await scratch.fresh('t');
    await copy(ctx, ['a/b/c.txt', 'x'], root, '/dest/', { parents: true });
    assert.deepEqual(await listTree(root), ['dest/', 'dest/a/', 'dest/a/b/', 'dest/a/b/c.txt', 'dest/x/', 'dest/x/y.txt']);
    const a = await stat(join(root, 'dest/a'));
    assert.deepEqual([mode(a), a.mtime.getTime()], [0o750, OLD.getTime()], 'the kept directories are copies of the source\'s');
  });

  it('keeps the path below a /./ pivot', async () => {
    const ctx = await contextTree({ 'a/b/c.txt': 'c' });
    const root = await scratch.fresh('t');
    await copy(ctx, ['./a/./b/c.txt'], root, '/dest/', { parents: true });
    assert.deepEqual(await listTree(root), ['dest/', 'dest/b/', 'dest/b/c.txt']);
  });

  it('keeps each wildcard match\'s own path, and a dest without / is a directory', async () => {
    const ctx = await contextTree({ 'p/x.txt': '1', 'q/x.txt': '2', 'q/y.txt': '3' });
    const root = await scratch.fresh('t');
    await copy(ctx, ['*/x.txt'], root, '/dest', { parents: true });
    assert.deepEqual(await listTree(root), ['dest/', 'dest/p/', 'dest/p/x.txt', 'dest/q/', 'dest/q/x.txt']);
  });

  it('matches --exclude below the pivot', async () => {
    const ctx = await contextTree({ 'a/b/c.txt': '', 'a/b/c.md': '', 'a/skip/z.txt': '' });
    const root = await scratch.fresh('t');
    await copy(ctx, ['a/b/c.txt', 'a/b/c.md', 'a/skip'], root, '/d/', { parents: true, exclude: ['**/*.md', 'a/skip'] });
    assert.deepEqual(await listTree(root), ['d/', 'd/a/', 'd/a/b/', 'd/a/b/c.txt']);
  });

  it('refuses a path that climbs above its pivot', async () => {
    const ctx = await contextTree({ 'a/b.txt': '', 'b.txt': '' });
    await assert.rejects(copy(ctx, ['a/./../b.txt'], await scratch.fresh('t'), '/d/', { parents: true }), SourceError);
  });
});

describe('copyFiles: file data', () => {
  it('copies content exactly, large files included', async () => {
    const ctx = await contextTree({ 'small': 'tiny' });
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 0x5a);
    await writeFile(join(ctx, 'big'), big);
    const root = await scratch.fresh('t');
    const result = await copy(ctx, ['small', 'big'], root, '/');
    assert.deepEqual(result, { files: 2, bytes: big.length + 4 });
    assert.ok((await readFile(join(root, 'big'))).equals(big));
  });
});

describe('copyFiles: many entries at once', () => {
  /** `d/dNN/fNN` files of different sizes, enough that writes of several directories overlap. */
  function manyFiles(dirs: number, files: number): Record<string, string> {
    const spec: Record<string, string> = {};
    for (let d = 0; d < dirs; d++) for (let f = 0; f < files; f++) spec[`d/d${d}/f${f}`] = `${d}:${f}:`.repeat(1 + ((d * 31 + f * 17) % 400));
    return spec;
  }

  it('sets each directory\'s mode and mtime after all its contents, a read-only one too', async () => {
    const spec = manyFiles(6, 40);
    const ctx = await contextTree({ ...spec, 'd/d5/sub/last': 'z' });
    for (let d = 0; d < 6; d++) {
      await chmod(join(ctx, `d/d${d}`), d % 2 === 0 ? 0o555 : 0o750);
      await utimes(join(ctx, `d/d${d}`), OLD, OLD);
    }
    await utimes(join(ctx, 'd/d5/sub'), OLD, OLD);
    const root = await scratch.fresh('t');
    const result = await copy(ctx, ['d'], root, '/out/');
    assert.equal(result.files, 6 * 40 + 1);
    for (let d = 0; d < 6; d++) {
      const st = await stat(join(root, `out/d${d}`));
      assert.deepEqual([mode(st), st.mtime.getTime()], [d % 2 === 0 ? 0o555 : 0o750, OLD.getTime()], `d${d}`);
      for (let f = 0; f < 40; f++) assert.equal(await readFile(join(root, `out/d${d}/f${f}`), 'utf8'), spec[`d/d${d}/f${f}`]);
    }
    assert.equal((await stat(join(root, 'out/d5/sub'))).mtime.getTime(), OLD.getTime());
  });

  it('links every further name of a file to its first copy, however many writes run between them', async () => {
    const ctx = await contextTree(manyFiles(3, 30));
    for (let f = 0; f < 30; f++) {
      await link(join(ctx, `d/d0/f${f}`), join(ctx, `d/d2/h${f}`));
      await link(join(ctx, `d/d0/f${f}`), join(ctx, `d/d1/h${f}`));
    }
    const root = await scratch.fresh('t');
    const result = await copy(ctx, ['d'], root, '/');
    for (let f = 0; f < 30; f++) {
      const [first, a, b] = await Promise.all([`d0/f${f}`, `d1/h${f}`, `d2/h${f}`].map((p) => lstat(join(root, p))));
      assert.equal(a!.ino, first!.ino, `d1/h${f}`);
      assert.equal(b!.ino, first!.ino, `d2/h${f}`);
      assert.equal(first!.nlink, 3);
    }
    const copied = Object.values(manyFiles(3, 30)).reduce((n, s) => n + s.length, 0);
    assert.deepEqual(result, { files: 3 * 30 + 60, bytes: copied });
  });

  it('replaces files and links in the way, and refuses a directory in the way without writing on behind its back', async () => {
    const spec = manyFiles(2, 40);
    const ctx = await contextTree({ ...spec, 'd/d1/l': { link: 'f0' } });
    const root = await scratch.fresh('t');
    await mkdir(join(root, 'd0'), { recursive: true });
    await writeFile(join(root, 'd0/f3'), 'old');
    await symlink('/etc/passwd', join(root, 'd0/f4'));
    await symlink('nowhere', join(root, 'd0/f5'));
    await copy(ctx, ['d'], root, '/');
    assert.equal(await readFile(join(root, 'd0/f3'), 'utf8'), spec['d/d0/f3']);
    assert.ok((await lstat(join(root, 'd0/f4'))).isFile(), 'a link in the way is replaced, not written through');
    assert.ok((await lstat(join(root, 'd0/f5'))).isFile());
    const busy = await scratch.fresh('t');
    await mkdir(join(busy, 'd1/f20/inside'), { recursive: true });
    await assert.rejects(copy(ctx, ['d'], busy, '/'), (e: unknown) => e instanceof LayerError && /cannot replace the directory \/d1\/f20 with a file/.test(e.message));
    const after = await listTree(busy);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await listTree(busy), after, 'nothing is written once the copy has failed');
  });
});
