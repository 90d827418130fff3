/**
 * Several hull processes on one root at once: every tag lands, every blob is stored once,
 * every snapshot is made once, and nothing is left in tmp/ or locks/.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256Of } from '../../src/image/index.js';
import { Store } from '../../src/store/index.js';
import { tempDir, tinyImage } from '../helpers/image.js';
import { exited, spawnScript, stderrOf } from '../helpers/spawn.js';

const WORKERS = 5;

describe('concurrent processes on one store', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await tempDir('hull-concurrent-'));
  });
  after(() => cleanup());

  it(`keeps every tag and one copy of each blob with ${WORKERS} writers`, { timeout: 120_000 }, async () => {
    const root = join(dir, 'root');
    const log = join(dir, 'snapshots.log');
    const children = Array.from({ length: WORKERS }, (_, id) => spawnScript(import.meta.url, './worker', ['concurrent', root, String(id), log]));
    const errors = children.map(stderrOf);
    const results = await Promise.all(children.map(exited));
    results.forEach((r, i) => assert.equal(r.code, 0, `worker ${i} failed: ${errors[i]!()}`));

    const store = await Store.open(root);
    const tags = (await store.listTags()).map((t) => t.reference);
    const expected = [
      ...Array.from({ length: WORKERS }, (_, id) => Array.from({ length: 10 }, (_, j) => `localhost:5000/w${id}:t${j}`)).flat(),
      ...Array.from({ length: 10 }, (_, j) => `localhost:5000/all:t${j}`),
    ].sort();
    assert.deepEqual(tags, expected);

    // The blobs are exactly the union of what the workers wrote: nothing twice, nothing half.
    const want = new Set<string>([sha256Of(Buffer.alloc(3_000_000, 42))]);
    for (let id = 0; id < WORKERS; id++) {
      for (let j = 0; j < 10; j++) {
        const image = await tinyImage([[{ name: 'base', content: 'same for every worker' }], [{ name: 'mine', content: `worker ${id} image ${j}` }], [{ name: 'step', content: `step ${j}` }]]);
        for (const d of image.blobs.keys()) want.add(d);
        assert.ok(tags.includes(`localhost:5000/w${id}:t${j}`));
        assert.deepEqual(await store.resolve(`localhost:5000/w${id}:t${j}`), image.manifest);
      }
    }
    const have = (await readdir(join(root, 'oci', 'blobs', 'sha256'))).map((h) => `sha256:${h}`);
    assert.deepEqual(have.sort(), [...want].sort());

    const created = (await readFile(log, 'utf8')).trim().split('\n');
    const counts = new Map<string, number>();
    for (const id of created) counts.set(id, (counts.get(id) ?? 0) + 1);
    assert.deepEqual([...counts.values()].filter((n) => n > 1), [], 'a snapshot was extracted twice');
    assert.equal((await readdir(join(root, 'snapshots'))).length, counts.size);

    assert.deepEqual(await readdir(join(root, 'tmp')), []);
    assert.deepEqual((await readdir(join(root, 'locks'))).filter((n) => n !== 'leases'), []);
    assert.deepEqual(await readdir(join(root, 'locks', 'leases')), [], 'closed stores drop their leases');
    await store.close();
  });
});
