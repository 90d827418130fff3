import assert from 'node:assert/strict';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createIndex, parsePlatform, serialize, sha256Of, toOciPlatform } from '../../src/image/index.js';
import { Store } from '../../src/store/index.js';
import { exited } from '../helpers/spawn.js';
import { putImage, tempDir, tinyImage, type TinyImage } from '../helpers/image.js';

/** A token naming a process that has exited: what a killed hull leaves behind. */
async function deadOwner(): Promise<string> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['-e', '']);
  await exited(child);
  const { currentOwner } = await import('../../src/store/owner.js');
  const me = currentOwner();
  return `${me.hostKey}-${child.pid!}-1`;
}

describe('store prune', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let store: Store;
  let kept: TinyImage;
  let dropped: TinyImage;
  beforeEach(async () => {
    ({ dir: root, cleanup } = await tempDir());
    const writer = await Store.open(root);
    kept = await tinyImage([[{ name: 'k', content: 'keep' }], [{ name: 'shared', content: 's' }]]);
    dropped = await tinyImage([[{ name: 'd', content: 'drop' }], [{ name: 'shared', content: 's' }]], 'linux/arm/v7');
    await putImage(writer, kept);
    await putImage(writer, dropped);
    await writer.tag('kept', kept.manifest);
    for (const id of [...kept.diffIds, ...dropped.diffIds]) await writer.ensureSnapshot(id, (dir) => writeFile(join(dir, 'x'), id));
    // The writer is done: its lease ends, as when a hull command exits.
    await writer.close();
    store = await Store.open(root);
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  const blobs = async (): Promise<string[]> => (await readdir(join(root, 'oci', 'blobs', 'sha256'))).sort();
  const hex = (ds: Iterable<string>): string[] => [...ds].map((d) => d.slice(7)).sort();
  const snapshots = async (): Promise<string[]> => (await readdir(join(root, 'snapshots'))).sort();

  it('removes blobs and snapshots no tag needs, and says what it reclaimed', async () => {
    const report = await store.prune();
    assert.deepEqual(await blobs(), hex(kept.blobs.keys()));
    const gone = [dropped.manifest.digest, dropped.config.digest, dropped.layers[0]!.digest];
    assert.deepEqual(hex(report.blobs.map((b) => b.digest)), hex(gone));
    assert.deepEqual(await snapshots(), hex(kept.diffIds));
    assert.deepEqual(report.snapshots.map((s) => s.diffId), [dropped.diffIds[0]]);
    const blobBytes = gone.reduce((n, d) => n + dropped.blobs.get(d as never)!.length, 0);
    assert.equal(report.reclaimedBytes, blobBytes + dropped.diffIds[0]!.length);
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
    assert.deepEqual(await store.prune(), { blobs: [], snapshots: [], temp: [], holds: [], reclaimedBytes: 0 }, 'a second prune finds nothing');
  });

  it('follows indexes to every platform they list', async () => {
    const index = serialize(createIndex([
      { ...kept.manifest, platform: toOciPlatform(parsePlatform('linux/amd64')) },
      { ...dropped.manifest, platform: toOciPlatform(parsePlatform('linux/arm/v7')) },
      { mediaType: kept.manifest.mediaType, digest: sha256Of('never pulled'), size: 3, platform: toOciPlatform(parsePlatform('linux/s390x')) },
    ]));
    await store.putBlob(index.bytes);
    await store.untag('kept');
    await store.tag('multi', index.descriptor);
    const report = await store.prune();
    assert.deepEqual(report.blobs, []);
    assert.deepEqual(report.snapshots, []);
  });

  it('keeps held content unless --all', async () => {
    await store.hold('cache:step-1', { blobs: [dropped.manifest.digest], snapshots: [dropped.diffIds[0]!] });
    assert.deepEqual((await store.holds()).map((h) => h.name), ['cache:step-1']);
    let report = await store.prune();
    assert.deepEqual(report.blobs, [], 'a held manifest keeps its config and layers');
    assert.deepEqual(report.snapshots, []);
    report = await store.prune({ all: true });
    assert.deepEqual(report.holds, ['cache:step-1']);
    // This store leased what it held, so --all waits for it to close before removing it.
    assert.deepEqual(report.blobs, []);
    await store.close();
    const other = await Store.open(root);
    report = await other.prune({ all: true });
    assert.equal(report.blobs.length, 3);
    assert.deepEqual(await other.holds(), []);
    await other.close();
  });

  it('releases holds', async () => {
    await store.hold('h', { blobs: [dropped.manifest.digest] });
    assert.equal(await store.release('h'), true);
    assert.equal(await store.release('h'), false);
  });

  it('never removes what a running process has leased', async () => {
    const writer = await Store.open(root);
    const fresh = await writer.putBlob(Buffer.from('in flight, not yet tagged'));
    assert.ok(await writer.hasBlob(dropped.config.digest), 'checking a blob leases it');
    const report = await store.prune();
    assert.ok(!report.blobs.some((b) => b.digest === fresh.digest || b.digest === dropped.config.digest));
    assert.ok(await store.hasBlob(fresh.digest));
    await writer.close();
  });

  it('honours leases of processes it cannot see for a day, and those of dead ones not at all', async () => {
    const leases = join(root, 'locks', 'leases');
    const foreign = join(leases, 'ffffffff-1-1.aa');
    await writeFile(foreign, `${dropped.config.digest}\n`);
    await writeFile(join(leases, `${await deadOwner()}.bb`), `${dropped.manifest.digest}\n`);
    let report = await store.prune();
    assert.deepEqual(hex(report.blobs.map((b) => b.digest)), hex([dropped.manifest.digest, dropped.layers[0]!.digest]));
    assert.deepEqual(await readdir(leases), ['ffffffff-1-1.aa'], 'the dead lease is gone');
    const old = new Date(Date.now() - 25 * 3600 * 1000);
    await utimes(foreign, old, old);
    report = await store.prune();
    assert.deepEqual(report.blobs.map((b) => b.digest), [dropped.config.digest]);
    assert.deepEqual(await readdir(leases), []);
  });

  it('removes temp leftovers of dead processes only, and puts back what a killed prune moved aside', async () => {
    const dead = await deadOwner();
    const live = (await import('../../src/store/owner.js')).currentOwner().token;
    const tmp = join(root, 'tmp');
    await writeFile(join(tmp, `${dead}.aaaa.blob`), 'half a blob');
    await mkdir(join(tmp, `${dead}.bbbb.snapshot`));
    await writeFile(join(tmp, `${dead}.bbbb.snapshot`, 'f'), 'half a snapshot');
    await writeFile(join(tmp, `${live}.cccc.blob`), 'being written right now');
    // A prune killed after moving a tagged image's layer aside (it can only have moved an
    // unneeded one, but the cleanup must restore whatever it finds).
    const layerHex = kept.layers[0]!.digest.slice(7);
    const { rename } = await import('node:fs/promises');
    await rename(join(root, 'oci', 'blobs', 'sha256', layerHex), join(tmp, `${dead}.dddd.gc-blob.sha256.${layerHex}`));
    const snapHex = kept.diffIds[0]!.slice(7);
    await rename(join(root, 'snapshots', snapHex), join(tmp, `${dead}.eeee.gc-snap.${snapHex}`));

    const cleaned = await store.cleanTemp();
    assert.deepEqual(cleaned.removed.sort(), [`${dead}.aaaa.blob`, `${dead}.bbbb.snapshot`]);
    assert.deepEqual(cleaned.restored.sort(), [`${dead}.dddd.gc-blob.sha256.${layerHex}`, `${dead}.eeee.gc-snap.${snapHex}`]);
    assert.deepEqual(await readdir(tmp), [`${live}.cccc.blob`]);
    assert.ok(await store.hasBlob(kept.layers[0]!.digest));
    assert.ok(await store.hasSnapshot(kept.diffIds[0]!));
  });

  it('is cleaned at open', async () => {
    const dead = await deadOwner();
    await writeFile(join(root, 'tmp', `${dead}.ffff.write`), 'x');
    const again = await Store.open(root);
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
    await again.close();
  });
});


