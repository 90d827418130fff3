// A RUN step on the copy snapshotter, with the real runtime, against the same step on overlayfs:
// the upper dirs must make the same layer, and nothing may be left behind.
import assert from 'node:assert/strict';
import { lstat, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ExecError } from '../../src/errors.js';
import { pendingCleanups } from '../../src/exec/cleanup.js';
import { runStep, type RunStepOptions, type StepResult } from '../../src/exec/index.js';
import type { Store } from '../../src/store/index.js';
import { busyboxRootfs, busyboxSnapshot } from '../helpers/busybox-snapshot.js';
import { layerRows } from '../helpers/upper-listing.js';

let dir: string;
let store: Store;
let snapshot: string;
let scratch: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hull-exec-copy-'));
  const rootfs = join(dir, 'rootfs');
  await busyboxRootfs(rootfs);
  ({ store, snapshot } = await busyboxSnapshot(join(dir, 'store'), rootfs));
  scratch = store.paths.tmp;
});
after(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function step(args: string[], more: Partial<RunStepOptions> = {}): Promise<StepResult> {
  return runStep({ lowers: [snapshot], scratch, args, env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 }, network: 'host', ...more });
}

// Fixed times (busybox touch -d) so that both runs write the same layer.
const SCRIPT = [
  'echo hi > /hello',
  'touch -d "2024-01-02 03:04:05" /hello',
  'rm /bin/cat',
  'rm -r /tmp',
  'mkdir /tmp',
  'mkdir -p /srv/app',
  'echo cfg > /srv/app/cfg',
  'touch -d "2024-01-02 03:04:05" /srv/app/cfg',
  'echo done',
].join(' && ');

test('a RUN step on the copy snapshotter leaves the upper dir overlayfs leaves', async () => {
  let out = '';
  const copy = await step(['sh', '-c', SCRIPT], { snapshotter: 'copy', onOutput: (c) => (out += c) });
  const overlay = await step(['sh', '-c', SCRIPT], { snapshotter: 'overlay' });
  try {
    assert.equal(copy.snapshotter, 'copy');
    assert.equal(overlay.snapshotter, 'overlay');
    assert.equal(out, 'done\n');
    assert.equal(await readFile(join(copy.upperDir, 'hello'), 'utf8'), 'hi\n');
    const wh = await lstat(join(copy.upperDir, 'bin', 'cat'));
    assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'bin/cat is an overlay whiteout');
    for (const stub of ['etc/resolv.conf', 'etc/hosts', 'etc/hostname', 'proc', 'sys', 'dev']) {
      await assert.rejects(lstat(join(copy.upperDir, stub)), `${stub} must not be in the upper dir`);
    }
    const rows = await layerRows(copy.upperDir);
    assert.deepEqual(rows, await layerRows(overlay.upperDir));
    assert.ok(rows.some((r) => r.name === 'tmp/.wh..wh..opq'), 'the recreated /tmp is opaque');
  } finally {
    await copy.cleanup();
    await overlay.cleanup();
  }
  assert.deepEqual(await readdir(scratch), [], 'no temp dir left');
  assert.equal(pendingCleanups(), 0);
});

test('a failing step on the copy snapshotter cleans up', async () => {
  await assert.rejects(step(['sh', '-c', 'echo oops; exit 4'], { snapshotter: 'copy' }), (err: unknown) => err instanceof ExecError && err.exitCode === 4);
  assert.deepEqual(await readdir(scratch), []);
  assert.equal(pendingCleanups(), 0);
});
