import assert from 'node:assert/strict';
import { readdir, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadStatCache, saveStatCache } from '../../src/cache/stat-store.js';
import { hashEntry } from '../../src/context/hash.js';
import { statEntry } from '../../src/context/walk.js';
import { Store } from '../../src/store/store.js';
import { makeTree, removeTree } from '../helpers/context-tree.js';

describe('stat cache in the store', () => {
  let root: string;
  let context: string;
  let store: Store;
  before(async () => {
    root = await makeTree({});
    context = await makeTree({ 'f.txt': 'one' });
    const old = new Date(Date.now() - 10_000);
    await utimes(join(context, 'f.txt'), old, old);
    store = await Store.open(join(root, 'store'));
  });
  after(async () => {
    await removeTree(root);
    await removeTree(context);
  });

  it('is written back only when a record changed', async () => {
    const dir = join(store.paths.root, 'cache', 'stat');
    const empty = await loadStatCache(store, context);
    await saveStatCache(store, context, empty);
    assert.deepEqual(await readdir(dir).catch(() => []), [], 'nothing to save: nothing written');

    await hashEntry(context, await statEntry(context, 'f.txt'), empty);
    await saveStatCache(store, context, empty);
    const [file] = await readdir(dir);
    assert.ok(file);
    const written = await stat(join(dir, file), { bigint: true });

    const loaded = await loadStatCache(store, context);
    assert.equal((await hashEntry(context, await statEntry(context, 'f.txt'), loaded)).cached, true);
    await saveStatCache(store, context, loaded);
    const now = await stat(join(dir, file), { bigint: true });
    assert.deepEqual([now.ino, now.mtimeNs], [written.ino, written.mtimeNs], 'an unchanged cache is not rewritten');
  });
});
