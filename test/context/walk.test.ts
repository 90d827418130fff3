import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openContext } from '../../src/context/context.js';
import { PatternMatcher } from '../../src/context/dockerignore.js';
import { sortByUtf8, walkContext, type ContextEntry } from '../../src/context/walk.js';
import { makeTree, removeTree } from '../helpers/context-tree.js';

async function list(root: string, patterns: string[] = [], under?: string): Promise<ContextEntry[]> {
  const out: ContextEntry[] = [];
  for await (const e of walkContext(root, { ignore: new PatternMatcher(patterns), under })) out.push(e);
  return out;
}
const paths = (entries: ContextEntry[]) => entries.map((e) => e.path);

describe('walkContext', () => {
  let root: string;
  let outside: string;
  before(async () => {
    outside = await makeTree({ 'secret.txt': 'host file' }, 'hull-outside-');
    root = await makeTree({
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': 'node_modules\n*.tmp\n',
      'a.txt': 'a',
      'b.tmp': 'tmp',
      'src/main.ts': 'x',
      'src/sub/b.tmp': 'nested tmp',
      'node_modules/pkg/index.js': 'js',
      'docs/guide/a.md': 'md',
      'docs/guide/b.txt': 'txt',
      'docs/other/c.txt': 'txt',
      'empty': { dir: true },
      'link-in': { link: 'src/main.ts' },
      'link-out': { link: join(outside, 'secret.txt') },
      'link-dir-out': { link: outside },
    });
  });
  after(async () => {
    await removeTree(root);
    await removeTree(outside);
  });

  it('lists everything in sorted depth-first order without ignore rules', async () => {
    const all = paths(await list(root));
    assert.deepEqual(all, [
      '.dockerignore', 'Dockerfile', 'a.txt', 'b.tmp',
      'docs', 'docs/guide', 'docs/guide/a.md', 'docs/guide/b.txt', 'docs/other', 'docs/other/c.txt',
      'empty', 'link-dir-out', 'link-in', 'link-out',
      'node_modules', 'node_modules/pkg', 'node_modules/pkg/index.js',
      'src', 'src/main.ts', 'src/sub', 'src/sub/b.tmp',
    ]);
  });

  it('reports symlinks as symlinks and never follows them out', async () => {
    const byPath = new Map((await list(root)).map((e) => [e.path, e]));
    assert.equal(byPath.get('link-out')?.type, 'symlink');
    assert.equal(byPath.get('link-out')?.linkTarget, join(outside, 'secret.txt'));
    assert.equal(byPath.get('link-dir-out')?.type, 'symlink');
    assert.ok(![...byPath.keys()].some((p) => p.includes('secret')));
    const file = byPath.get('a.txt');
    assert.equal(file?.type, 'file');
    assert.equal(file?.size, 1);
    assert.equal(typeof file?.mtimeNs, 'bigint');
    assert.equal(file?.uid, process.getuid?.());
  });

  it('honours .dockerignore: root-only *.tmp, ignored dirs skipped, Dockerfile listed unless ignored (BEHAVIOURS 18)', async () => {
    const ctx = await openContext(root);
    const got: string[] = [];
    for await (const e of walkContext(ctx.root, { ignore: ctx.ignore })) got.push(e.path);
    assert.ok(!got.includes('b.tmp'));
    assert.ok(got.includes('src/sub/b.tmp'), '*.tmp matches only at the root');
    assert.ok(!got.some((p) => p.startsWith('node_modules')));
    assert.ok(got.includes('Dockerfile') && got.includes('.dockerignore'));
    const hidden = paths(await list(root, ['Dockerfile', '.dockerignore']));
    assert.ok(!hidden.includes('Dockerfile') && !hidden.includes('.dockerignore'));
  });

  it('prefers <Dockerfile>.dockerignore beside the Dockerfile, as BuildKit does', async () => {
    const dir = await makeTree({ 'ctx/.dockerignore': 'a\n', 'ctx/a': '', 'ctx/b': '', 'df/app.Dockerfile': '', 'df/app.Dockerfile.dockerignore': 'b\n' });
    try {
      const own = await openContext(join(dir, 'ctx'), join(dir, 'df/app.Dockerfile'));
      assert.equal(own.ignoreFile, join(dir, 'df/app.Dockerfile.dockerignore'));
      assert.equal(own.ignore.matchesOrParentMatches('b'), true);
      assert.equal(own.ignore.matchesOrParentMatches('a'), false);
      const plain = await openContext(join(dir, 'ctx'), join(dir, 'df/other.Dockerfile'));
      assert.equal(plain.ignore.matchesOrParentMatches('a'), true);
      const none = await openContext(join(dir, 'df'));
      assert.equal(none.ignoreFile, null);
    } finally {
      await removeTree(dir);
    }
  });

  it('walks into an excluded directory only when an exception needs it, listing the parents it keeps', async () => {
    assert.deepEqual(paths(await list(root, ['docs', '!docs/**/*.md'])).filter((p) => p.startsWith('docs')), ['docs', 'docs/guide', 'docs/guide/a.md']);
    assert.deepEqual(paths(await list(root, ['docs', '!docs/guide/b.txt'])).filter((p) => p.startsWith('docs')), ['docs', 'docs/guide', 'docs/guide/b.txt']);
    // a later plain pattern wins over the exception; the excluded parent is still listed for its kept child
    assert.deepEqual(paths(await list(root, ['docs', '!docs/guide', 'docs/guide/a.md'])).filter((p) => p.startsWith('docs')), ['docs', 'docs/guide', 'docs/guide/b.txt']);
  });

  it('decides descent into an excluded directory by whether an exception can reach below it', () => {
    const pm = new PatternMatcher(['node_modules', '!src/keep']);
    assert.equal(pm.mayIncludeBelow('node_modules'), false);
    assert.equal(pm.mayIncludeBelow('src'), true);
  });

  it('never looks inside a pruned directory', async () => {
    class Spy extends PatternMatcher {
      readonly seen: string[] = [];
      override evaluate(path: string, parent: readonly boolean[]) {
        this.seen.push(path);
        return super.evaluate(path, parent);
      }
    }
    const pruned = new Spy(['node_modules', 'docs', '!docs/other']);
    for await (const e of walkContext(root, { ignore: pruned })) void e;
    assert.ok(pruned.seen.includes('node_modules'));
    assert.ok(!pruned.seen.some((p) => p.startsWith('node_modules/')));
    assert.ok(pruned.seen.includes('docs/other/c.txt'), 'entered docs for the exception');
  });

  it('walks below a directory with the state of its ancestors', async () => {
    assert.deepEqual(paths(await list(root, ['**/*.txt'], 'docs')), ['docs/guide', 'docs/guide/a.md', 'docs/other']);
    await assert.rejects(list(root, [], 'link-dir-out'), /not a directory inside the context/);
  });

  it('orders names by their UTF-8 bytes: surrogate pairs after U+E000–U+FFFF, unlike UTF-16', async () => {
    const names = ['b', 'a.txt', 'a', 'Z', '\u00e9', '\u{1f600}', '\uffef', '\ue000x', '\u{10000}', '-'];
    const dir = await makeTree(Object.fromEntries(names.map((n) => [n, ''])));
    try {
      const want = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      assert.deepEqual(want.slice(-4), ['\ue000x', '\uffef', '\u{10000}', '\u{1f600}']);
      assert.deepEqual(paths(await list(dir)), want);
    } finally {
      await removeTree(dir);
    }
  });

  it('sortByUtf8 agrees with a byte comparison, with and without code units from U+D800 up', () => {
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const alphabets = [['a', 'b', '/', '.', 'A', '0'], ['a', '/', '\u00e9', '\u07ff', '\ud7ff', '\ue000', '\uffff', '\u{10000}', '\u{10ffff}']];
    for (const alphabet of alphabets) {
      const items = Array.from({ length: 500 }, () => ({ path: Array.from({ length: rand(6) }, () => alphabet[rand(alphabet.length)]).join('') }));
      const want = [...items].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
      assert.deepEqual(sortByUtf8(items, (i) => i.path).map((i) => i.path), want.map((i) => i.path));
    }
  });

  it('walks 20k files in order with bounded state', async () => {
    const big = await makeTree({});
    try {
      for (let d = 0; d < 200; d++) {
        const dir = join(big, `d${String(d).padStart(3, '0')}`);
        // synchronous: 20k tiny writes are far quicker without a promise each
        mkdirSync(dir);
        for (let f = 0; f < 100; f++) writeFileSync(join(dir, `f${String(f).padStart(3, '0')}.txt`), '');
      }
      let count = 0;
      let prev = '';
      const heapBefore = process.memoryUsage().heapUsed;
      let heapPeak = heapBefore;
      for await (const e of walkContext(big, { ignore: new PatternMatcher(['d1*/f05*', '!d150/f050.txt']) })) {
        assert.ok(Buffer.compare(Buffer.from(prev), Buffer.from(e.path)) < 0, `${prev} < ${e.path}`);
        prev = e.path;
        count++;
        if (count % 1000 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      }
      // 200 dirs + 20000 files − 100 dirs × 10 ignored files + 1 exception
      assert.equal(count, 200 + 20_000 - 1000 + 1);
      // sanity only: entries are not accumulated (20k entries would be several MB)
      assert.ok(heapPeak - heapBefore < 64 * 1024 * 1024);
    } finally {
      await removeTree(big);
    }
  });
});
