import assert from 'node:assert/strict';
import { chmod, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sourcesDigest } from '../../src/cache/content.js';
import { openContext } from '../../src/context/context.js';
import { resolveSources } from '../../src/context/sources.js';
import { digestEntries, hashFile, type DigestInput } from '../../src/context/hash.js';
import { MemoryStatCache } from '../../src/context/stat-cache.js';
import { statEntry, walkContext } from '../../src/context/walk.js';
import { makeTree, removeTree } from '../helpers/context-tree.js';

describe('sourcesDigest', () => {
  let root: string;
  before(async () => {
    root = await makeTree({ 'src/a.txt': 'a', 'src/sub/b.txt': 'b', 'src/skip.log': 'ignored', 'other.txt': 'o', '.dockerignore': '**/*.log\n' });
  });
  after(() => removeTree(root));

  async function digest(sources: string[], cache?: MemoryStatCache): Promise<string> {
    const ctx = await openContext(root);
    return (await sourcesDigest(root, await resolveSources(ctx, sources), ctx.ignore, cache)).digest;
  }

  it('covers exactly the selected files: a change elsewhere or in an ignored file changes nothing', async () => {
    const first = await digest(['src']);
    await writeFile(join(root, 'other.txt'), 'changed');
    await writeFile(join(root, 'src/skip.log'), 'changed');
    assert.equal(await digest(['src']), first);
  });

  it('changes with content, mode, added files and the name a source takes', async () => {
    const first = await digest(['src']);
    await writeFile(join(root, 'src/sub/b.txt'), 'b2');
    const content = await digest(['src']);
    assert.notEqual(content, first);
    await chmod(join(root, 'src/a.txt'), 0o600);
    const mode = await digest(['src']);
    assert.notEqual(mode, content);
    await writeFile(join(root, 'src/new.txt'), 'n');
    assert.notEqual(await digest(['src']), mode);
    assert.notEqual(await digest(['src/a.txt']), await digest(['src/sub/b.txt']));
  });

  it('reuses the stat cache for unchanged files and re-reads a rewritten one', async () => {
    const cache = new MemoryStatCache();
    const old = new Date(Date.now() - 10_000);
    for (const f of ['src/a.txt', 'src/sub/b.txt']) await utimes(join(root, f), old, old);
    const first = await digest(['src'], cache);
    assert.ok(cache.size >= 2);
    await writeFile(join(root, 'src/a.txt'), 'rewritten');
    assert.notEqual(await digest(['src'], cache), first);
  });

  it('hashes many files at once, yet entries and digest follow the walk, not which read ends first', async () => {
    const spec: Record<string, string> = {};
    // big files first, so later small ones finish before them
    for (let i = 0; i < 60; i++) spec[`many/${String(i).padStart(2, '0')}`] = String(i).repeat(i < 3 ? 700_000 : 1 + i);
    const dir = await makeTree(spec);
    try {
      const ctx = await openContext(dir);
      const got = await sourcesDigest(dir, await resolveSources(ctx, ['many']), ctx.ignore, new MemoryStatCache());
      const want: DigestInput[] = [{ path: 'many', type: 'directory', mode: (await statEntry(dir, 'many')).mode }];
      for await (const e of walkContext(dir, { under: 'many' })) want.push({ path: e.path, type: e.type, mode: e.mode, hash: await hashFile(join(dir, e.path)) });
      assert.deepEqual(got.entries, want);
      assert.equal(got.digest, digestEntries([{ path: 'many\0as\0many', type: 'directory', mode: 0 }, ...want]));
    } finally {
      await removeTree(dir);
    }
  });
});
