import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { sha256Of } from '../../src/image/index.js';
import { Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/image.js';

describe('store snapshots', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let store: Store;
  before(async () => {
    ({ dir: root, cleanup } = await tempDir());
    store = await Store.open(root);
  });
  after(async () => {
    await store.close();
    await cleanup();
  });

  it('names a snapshot by the hex of its diff ID', () => {
    const id = sha256Of('layer');
    assert.equal(store.snapshotPath(id), join(root, 'snapshots', id.slice(7)));
  });

  it('creates a snapshot once, from a fresh directory, and reuses it', async () => {
    const id = sha256Of('one');
    let calls = 0;
    const path = await store.ensureSnapshot(id, async (dir) => {
      calls++;
      assert.deepEqual(await readdir(dir), [], 'the directory starts empty');
      assert.ok(dir.startsWith(join(root, 'tmp')), 'it is made in tmp/ and renamed into place');
      await mkdir(join(dir, 'etc'));
      await writeFile(join(dir, 'etc', 'hostname'), 'x');
    });
    assert.equal(path, store.snapshotPath(id));
    assert.equal(await readFile(join(path, 'etc', 'hostname'), 'utf8'), 'x');
    assert.equal((await stat(path)).mode & 0o777, 0o755);
    assert.equal(await store.ensureSnapshot(id, async () => void calls++), path);
    assert.equal(calls, 1);
    assert.ok(await store.hasSnapshot(id));
  });

  it('creates a snapshot once when many ask at the same time', async () => {
    const id = sha256Of('parallel');
    let calls = 0;
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        store.ensureSnapshot(id, async (dir) => {
          calls++;
          await sleep(30);
          await writeFile(join(dir, 'f'), 'y');
        }),
      ),
    );
    assert.equal(calls, 1);
    assert.ok(results.every((r) => r === store.snapshotPath(id)));
  });

  it('leaves nothing when creation fails', async () => {
    const id = sha256Of('fails');
    await assert.rejects(
      store.ensureSnapshot(id, async (dir) => {
        await writeFile(join(dir, 'half'), 'h');
        throw new Error('extraction failed');
      }),
      /extraction failed/,
    );
    assert.equal(await store.hasSnapshot(id), false);
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
    const path = await store.ensureSnapshot(id, async (dir) => writeFile(join(dir, 'whole'), 'w'));
    assert.deepEqual(await readdir(path), ['whole'], 'a later attempt starts clean');
  });
});
