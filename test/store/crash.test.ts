/**
 * A hull process killed at any moment must leave a store the next command uses as it is:
 * a child works on the store (puts, tags, snapshots, prunes) and is SIGKILLed at random
 * moments; after each kill the store is opened and checked, and used.
 */
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { digestOf, isManifestMediaType, sha256Of } from '../../src/image/index.js';
import { Store } from '../../src/store/index.js';
import { putImage, tempDir, tinyImage } from '../helpers/image.js';
import { exited, spawnScript, stderrOf, waitForLine } from '../helpers/spawn.js';

const KILLS = 24;

/** Every invariant a killed process must not break; returns the number of blobs checked. */
async function checkStore(root: string, round: number): Promise<number> {
  // A lock left by the killed child must not hold this up: the timeout turns a hang into a failure.
  const store = await Store.open(root, { timeoutMs: 5000 });
  try {
    assert.deepEqual(await readdir(join(root, 'tmp')), [], `round ${round}: temp leftovers survived open`);

    const dir = join(root, 'oci', 'blobs', 'sha256');
    const names = await readdir(dir);
    for (const name of names) {
      const { digest } = await digestOf(createReadStream(join(dir, name)));
      assert.equal(digest, `sha256:${name}`, `round ${round}: blob ${name} does not match its content`);
    }

    const index = JSON.parse(await readFile(join(root, 'oci', 'index.json'), 'utf8')) as { manifests: unknown[] };
    assert.ok(Array.isArray(index.manifests), `round ${round}: index.json has no manifests`);
    for (const { reference, descriptor } of await store.listTags()) {
      assert.ok(isManifestMediaType(descriptor.mediaType));
      const parsed = await store.readManifest(descriptor);
      assert.equal(parsed.kind, 'manifest');
      if (parsed.kind !== 'manifest') continue;
      for (const blob of [parsed.manifest.config, ...parsed.manifest.layers]) {
        assert.ok(await store.hasBlob(blob.digest), `round ${round}: ${reference} lost ${blob.digest}`);
      }
    }

    for (const snapshot of await readdir(join(root, 'snapshots'))) {
      const files = (await readdir(join(root, 'snapshots', snapshot))).sort();
      assert.deepEqual(files, ['a', 'b', 'c', 'done'], `round ${round}: snapshot ${snapshot} is half made`);
    }

    const image = await tinyImage([[{ name: 'after', content: String(round) }]]);
    await putImage(store, image);
    await store.tag(`check:${round}`, image.manifest);
    assert.deepEqual(await store.resolve(`check:${round}`), image.manifest);
    await store.ensureSnapshot(image.diffIds[0]!, async (d) => {
      for (const name of ['a', 'b', 'c', 'done']) await writeFile(join(d, name), name);
    });
    await store.untag(`check:${round}`);
    return names.length;
  } finally {
    await store.close();
  }
}

describe('a store survives processes killed at any moment', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir: root, cleanup } = await tempDir('hull-crash-'));
  });
  after(() => cleanup());

  it(`stays usable after ${KILLS} SIGKILLs`, { timeout: 240_000 }, async (t) => {
    let checked = 0;
    let midWrite = 0;
    let heldLock = 0;
    for (let round = 0; round < KILLS; round++) {
      const child = spawnScript(import.meta.url, './worker', ['churn', root, String(round + 1)]);
      const stderr = stderrOf(child);
      await waitForLine(child, 'ready').catch((err: Error) => assert.fail(`${err.message}\n${stderr()}`));
      await sleep(Math.floor(Math.random() * 600));
      assert.equal(child.exitCode, null, `the worker died on its own: ${stderr()}`);
      child.kill('SIGKILL');
      assert.equal((await exited(child)).signal, 'SIGKILL');
      if ((await readdir(join(root, 'tmp'))).length > 0) midWrite++;
      if ((await readdir(join(root, 'locks'))).some((n) => n.endsWith('.lock'))) heldLock++;
      checked += await checkStore(root, round);
    }
    assert.ok(checked > 0);
    t.diagnostic(`${midWrite} of ${KILLS} kills left temp files, ${heldLock} left a lock held`);

    const store = await Store.open(root);
    const report = await store.prune({ all: true });
    assert.ok(report.blobs.length > 0, 'the churn left untagged blobs to prune');
    await store.close();
    await checkStore(root, KILLS);
    assert.equal(sha256Of('').length, 71);
  });
});
