import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openContext, type BuildContext } from '../../src/context/context.js';
import { SourceError } from '../../src/context/errors.js';
import { resolveSource, resolveSources } from '../../src/context/sources.js';
import { makeTree, removeTree } from '../helpers/context-tree.js';

describe('resolveSource', () => {
  let root: string;
  let outside: string;
  let ctx: BuildContext;
  before(async () => {
    outside = await makeTree({ 'secret.txt': 'host file', 'dir/inner.txt': 'host' }, 'hull-outside-');
    root = await makeTree({
      '.dockerignore': 'ignored.txt\nbuild\n!build/keep.txt\nsecret-dir\n',
      'a.txt': 'a',
      'b.txt': 'b',
      'c.md': 'c',
      'ignored.txt': 'no',
      'src/x.go': 'x',
      'src/y.go': 'y',
      'src/sub/z.go': 'z',
      'pkg/one/f.txt': '1',
      'pkg/two/f.txt': '2',
      'build/out.bin': 'bin',
      'build/keep.txt': 'keep',
      'secret-dir/s.txt': 's',
      'star*name': 'literal star',
      'link-file': { link: 'a.txt' },
      'link-dir': { link: 'src' },
      'link-abs-out': { link: join(outside, 'secret.txt') },
      'link-rel-out': { link: '../' },
      'link-dir-out': { link: join(outside, 'dir') },
      'link-dangling': { link: 'nope' },
      'link-ignored': { link: 'ignored.txt' },
      'link-loop': { link: 'link-loop' },
    });
    ctx = await openContext(root);
  });
  after(async () => {
    await removeTree(root);
    await removeTree(outside);
  });

  const paths = async (src: string) => (await resolveSource(ctx, src)).map((r) => `${r.path}:${r.entry.type}`);

  it('resolves plain paths, leading / as the context root, and . as the root directory', async () => {
    assert.deepEqual(await paths('a.txt'), ['a.txt:file']);
    assert.deepEqual(await paths('/src/x.go'), ['src/x.go:file']);
    assert.deepEqual(await paths('./src/../a.txt'), ['a.txt:file']);
    assert.deepEqual(await paths('src/'), ['src:directory']);
    assert.deepEqual(await paths('.'), ['.:directory']);
    assert.deepEqual(await paths('/'), ['.:directory']);
  });

  it('expands wildcards per component with filepath.Match rules (no recursive **)', async () => {
    assert.deepEqual(await paths('*.txt'), ['a.txt:file', 'b.txt:file']);
    assert.deepEqual(await paths('src/*.go'), ['src/x.go:file', 'src/y.go:file']);
    assert.deepEqual(await paths('pkg/*/f.txt'), ['pkg/one/f.txt:file', 'pkg/two/f.txt:file']);
    assert.deepEqual(await paths('[ab].txt'), ['a.txt:file', 'b.txt:file']);
    assert.deepEqual(await paths('?.md'), ['c.md:file']);
    assert.deepEqual(await paths('src/**.go'), ['src/x.go:file', 'src/y.go:file'], '** is * in filepath.Match');
    assert.deepEqual(await paths('star[*]name'), ['star*name:file'], 'a class makes * literal');
    assert.deepEqual(await paths('st?r\\*name'), ['star*name:file'], 'in a wildcard source, \\ escapes');
    // without any wildcard the source is taken literally, backslash and all (containsWildcards)
    await assert.rejects(resolveSource(ctx, 'star\\*name'), /file not found/);
  });

  it('climbing out with .. is refused, naming the source', async () => {
    for (const src of ['../x', 'src/../../x', '/../etc/passwd', '..']) {
      await assert.rejects(resolveSource(ctx, src), (err: unknown) => {
        assert.ok(err instanceof SourceError);
        assert.equal(err.source, src);
        assert.match(err.message, /^COPY failed: forbidden path outside the build context: /);
        return true;
      });
    }
  });

  it('a missing, ignored or unmatched source is "file not found", naming the Dockerfile source', async () => {
    for (const src of ['nope.txt', 'ignored.txt', '*.nothing', 'secret-dir', 'secret-dir/s.txt', 'build/out.bin', 'a.txt/x']) {
      await assert.rejects(resolveSource(ctx, src, { instruction: 'ADD' }), {
        name: 'SourceError',
        message: `ADD failed: file not found in build context or excluded by .dockerignore: stat ${src}: file does not exist`,
      });
    }
    assert.deepEqual(await paths('*.txt'), ['a.txt:file', 'b.txt:file'], 'ignored.txt is not matched by a wildcard');
  });

  it('an excluded directory whose child an exception keeps is present', async () => {
    assert.deepEqual(await paths('build'), ['build:directory']);
    assert.deepEqual(await paths('build/keep.txt'), ['build/keep.txt:file']);
  });

  it('a final symlink inside the context is followed and keeps its own name', async () => {
    const [file] = await resolveSource(ctx, 'link-file');
    assert.equal(file?.path, 'a.txt');
    assert.equal(file?.name, 'link-file');
    assert.equal(file?.entry.type, 'file');
    const [dir] = await resolveSource(ctx, 'link-dir');
    assert.equal(dir?.path, 'src');
    assert.equal(dir?.entry.type, 'directory');
    assert.deepEqual(await paths('link-dir/*.go'), ['src/x.go:file', 'src/y.go:file'], 'through a link that stays inside');
  });

  it('a final symlink that leaves the context (or dangles, or targets an ignored file) is copied as a link', async () => {
    for (const src of ['link-abs-out', 'link-rel-out', 'link-dir-out', 'link-dangling', 'link-ignored']) {
      const [r] = await resolveSource(ctx, src);
      assert.equal(r?.entry.type, 'symlink', src);
      assert.equal(r?.path, src);
    }
    const [r] = await resolveSource(ctx, 'link-abs-out');
    assert.equal(r?.entry.linkTarget, join(outside, 'secret.txt'));
  });

  it('resolving through a symlink that leaves the context is an error naming the source', async () => {
    for (const src of ['link-dir-out/inner.txt', 'link-rel-out/secret.txt', 'link-dir-out/*.txt']) {
      await assert.rejects(resolveSource(ctx, src), (err: unknown) => {
        assert.ok(err instanceof SourceError);
        assert.equal(err.source, src);
        assert.match(err.message, /goes through the symlink link-(dir|rel)-out, which does not resolve inside the build context/);
        return true;
      });
    }
  });

  it('a symlink loop is an error, not a hang', async () => {
    for (const src of ['link-loop', 'link-loop/x']) {
      await assert.rejects(resolveSource(ctx, src), { name: 'SourceError', message: `COPY failed: too many levels of symbolic links resolving ${src} (at link-loop)` });
    }
  });

  it('resolves a list of sources in order', async () => {
    const all = await resolveSources(ctx, ['c.md', 'src/*.go']);
    assert.deepEqual(all.map((r) => r.path), ['c.md', 'src/x.go', 'src/y.go']);
    await writeFile(join(root, 'late.txt'), 'new');
    assert.deepEqual((await resolveSources(ctx, ['late.txt'])).map((r) => r.name), ['late.txt']);
  });
});

describe('resolveSource in an image filesystem (COPY --from)', () => {
  let root: string;
  before(async () => {
    root = await makeTree({
      'bin/busybox': 'binary',
      'bin/sh': { link: '/bin/busybox' },
      'usr/bin/tool': { link: '../../../../bin/busybox' },
      'lib': { link: '/usr/lib' },
      'usr/lib/libc.so': 'libc',
    });
  });
  after(() => removeTree(root));

  it('resolves absolute link targets from the image root and stops .. at it, as inside the container', async () => {
    const ctx: BuildContext = { root, ignore: (await openContext(root)).ignore, ignoreFile: null, rootfs: true };
    const one = async (src: string): Promise<string> => {
      const [r] = await resolveSource(ctx, src);
      return `${r!.path}:${r!.name}:${r!.entry.type}`;
    };
    assert.equal(await one('/bin/sh'), 'bin/busybox:sh:file');
    assert.equal(await one('/usr/bin/tool'), 'bin/busybox:tool:file');
    assert.equal(await one('/lib/libc.so'), 'usr/lib/libc.so:libc.so:file');
  });
});
