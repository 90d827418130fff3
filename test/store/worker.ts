/**
 * A child process that works on a store, for the crash and concurrency tests:
 *   worker churn ROOT SEED              loops forever (put, tag, untag, snapshot, hold, prune)
 *                                       until the test kills it
 *   worker concurrent ROOT ID LOG       tags 10 images sharing layers with the other workers,
 *                                       logging each snapshot it creates to LOG, then exits
 * `node --test` runs every .js file under test/, this one too: without arguments it does nothing.
 */
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { sha256Of } from '../../src/image/index.js';
import { Store } from '../../src/store/index.js';
import { putImage, tinyImage } from '../helpers/image.js';
import { mulberry32 } from '../helpers/random.js';


/** A blob streamed in 64 KiB chunks with a pause between them, so a kill can land mid-write. */
async function* slowBytes(size: number, fill: number): AsyncGenerator<Buffer> {
  for (let done = 0; done < size; done += 65536) {
    yield Buffer.alloc(Math.min(65536, size - done), fill);
    await tick();
  }
}

async function fillSnapshot(dir: string, id: string): Promise<void> {
  for (const name of ['a', 'b', 'c']) {
    await writeFile(join(dir, name), `${id} ${name}\n`.repeat(2000));
    await tick();
  }
  // Written last: a snapshot directory without it would be a half-made snapshot.
  await writeFile(join(dir, 'done'), id);
}

async function churn(root: string, seed: number): Promise<void> {
  const rnd = mulberry32(seed);
  const store = await Store.open(root);
  process.stdout.write('ready\n');
  for (let i = 0; ; i++) {
    const size = Math.floor(rnd() * 2_000_000);
    const fill = Math.floor(rnd() * 256);
    const bytes = Buffer.alloc(size, fill);
    await store.putBlob(slowBytes(size, fill), { digest: sha256Of(bytes), size });
    const image = await tinyImage([[{ name: 'f', content: `${seed}-${i}` }], [{ name: 'shared', content: String(i % 3) }]], 'linux/amd64', `${seed}-${i}`);
    await putImage(store, image);
    await store.tag(`localhost:5000/churn/app:t${Math.floor(rnd() * 6)}`, image.manifest);
    for (const id of image.diffIds) await store.ensureSnapshot(id, (dir) => fillSnapshot(dir, id));
    const r = rnd();
    if (r < 0.2) await store.untag(`localhost:5000/churn/app:t${Math.floor(rnd() * 6)}`);
    else if (r < 0.3) await store.hold(`cache-${i % 4}`, { blobs: [image.manifest.digest], snapshots: image.diffIds });
    else if (r < 0.45) await store.prune({ all: rnd() < 0.3 });
  }
}

async function concurrent(root: string, id: number, log: string): Promise<void> {
  const store = await Store.open(root);
  const shared = Buffer.alloc(3_000_000, 42);
  for (let j = 0; j < 10; j++) {
    await store.putBlob(shared);
    const image = await tinyImage([[{ name: 'base', content: 'same for every worker' }], [{ name: 'mine', content: `worker ${id} image ${j}` }], [{ name: 'step', content: `step ${j}` }]]);
    await putImage(store, image);
    await store.tag(`localhost:5000/w${id}:t${j}`, image.manifest);
    await store.tag(`localhost:5000/all:t${j}`, image.manifest);
    for (const diffId of image.diffIds) {
      await store.ensureSnapshot(diffId, async (dir) => {
        await appendFile(log, `${diffId}\n`);
        await fillSnapshot(dir, diffId);
      });
    }
  }
  await store.close();
}

const [mode, root, a, b] = process.argv.slice(2);
if (mode === 'churn' && root && a) await churn(root, Number(a));
else if (mode === 'concurrent' && root && a && b) await concurrent(root, Number(a), b);
