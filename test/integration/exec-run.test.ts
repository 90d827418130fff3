// RUN steps against real parts: overlayfs, runc (or whichever runtime the probe picks), root.
// The base is a busybox rootfs from Debian's busybox-static, imported into a temp store.
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { appendFile, lstat, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ExecError } from '../../src/errors.js';
import { pendingCleanups } from '../../src/exec/cleanup.js';
import { runStep, selectRuntime, type RunStepOptions } from '../../src/exec/index.js';
import { readTar, writeLayer } from '../../src/layer/index.js';
import type { Store } from '../../src/store/index.js';
import { busyboxRootfs, busyboxSnapshot } from '../helpers/busybox-snapshot.js';

let dir: string;
let store: Store;
let snapshot: string;
let scratch: string;
const env = ['PATH=/bin', 'HOME=/root'];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hull-exec-'));
  const rootfs = join(dir, 'rootfs');
  await busyboxRootfs(rootfs);
  await appendFile(join(rootfs, 'etc', 'passwd'), 'app:x:1234:2345::/home/app:/bin/sh\n');
  await writeFile(join(rootfs, 'etc', 'group'), 'root:x:0:\napp:x:2345:\nextra:x:3456:app\n');
  ({ store, snapshot } = await busyboxSnapshot(join(dir, 'store'), rootfs));
  scratch = store.paths.tmp;
});
after(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function step(args: string[], more: Partial<RunStepOptions> = {}): Promise<Awaited<ReturnType<typeof runStep>>> {
  return runStep({ lowers: [snapshot], scratch, args, env, cwd: '/', user: { uid: 0, gid: 0 }, network: 'host', ...more });
}

async function mountsUnder(path: string): Promise<string[]> {
  return (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.includes(path));
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

test('the runtime probe picks a working runtime here', async () => {
  const logs: string[] = [];
  const runtime = await selectRuntime(undefined, (l) => logs.push(l));
  console.log(`# runtime: ${runtime.name} (${runtime.binary})${logs.length ? ` — ${logs.join(' | ')}` : ''}`);
  assert.ok(['crun', 'runc', 'chroot'].includes(runtime.name));
});

test('a step writes /hello and deletes /bin/cat: the upper dir is the diff, mount stubs excluded', async () => {
  let streamed = '';
  const r = await step(['sh', '-c', 'echo hi > /hello && rm /bin/cat && echo done'], { onOutput: (c) => (streamed += c) });
  try {
    assert.equal(r.exitCode, 0);
    assert.equal(streamed, 'done\n');
    assert.deepEqual(r.outputTail, ['done']);
    assert.equal(await readFile(join(r.upperDir, 'hello'), 'utf8'), 'hi\n');
    const wh = await lstat(join(r.upperDir, 'bin', 'cat'));
    assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'bin/cat is an overlay whiteout');
    for (const stub of ['etc/resolv.conf', 'etc/hosts', 'etc/hostname', 'proc', 'sys', 'dev']) {
      assert.equal(await exists(join(r.upperDir, stub)), false, `${stub} must not be in the upper dir`);
    }
    assert.deepEqual(await mountsUnder(r.upperDir.replace(/\/upper$/, '')), [], 'overlay unmounted once the step ran');

    const tarPath = join(dir, 'layer.tar');
    await writeLayer(r.upperDir, createWriteStream(tarPath), { whiteouts: 'overlay', compression: 'none' });
    const names: string[] = [];
    for await (const entry of readTar([await readFile(tarPath)])) {
      names.push(entry.header.name);
      for await (const _ of entry.body);
    }
    assert.ok(names.some((n) => n.replace(/^\.\//, '') === 'bin/.wh.cat'), names.join(' '));
    assert.ok(names.some((n) => n.replace(/^\.\//, '') === 'hello'));
    assert.ok(!names.some((n) => /resolv\.conf|etc\/hosts|hostname|proc/.test(n)), names.join(' '));
  } finally {
    await r.cleanup();
  }
  assert.deepEqual(await readdir(scratch), [], 'no temp dir left');
  assert.equal(pendingCleanups(), 0);
});

test('the injected resolv.conf, hosts and hostname are visible inside', async () => {
  let out = '';
  const r = await step(['sh', '-c', 'cat /etc/hostname /etc/hosts /etc/resolv.conf; hostname'], { hostname: 'builder', onOutput: (c) => (out += c) });
  await r.cleanup();
  assert.match(out, /^builder\n/);
  assert.match(out, /127\.0\.0\.1\tlocalhost builder/);
  assert.match(out, /nameserver /);
  assert.match(out, /builder\n$/);
});

test('a failing step throws ExecError with the exit code and output tail, and cleans up', async () => {
  const err = await step(['sh', '-c', 'for i in $(seq 1 30); do echo line $i; done; echo oops; exit 3']).then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ExecError);
  assert.equal(err.exitCode, 3);
  assert.equal(err.outputTail.length, 20);
  assert.deepEqual(err.outputTail.slice(-2), ['line 30', 'oops']);
  assert.deepEqual(await readdir(scratch), []);
  assert.deepEqual(await mountsUnder(scratch), []);
  assert.equal(pendingCleanups(), 0);
});

test('a missing executable fails cleanly', async () => {
  await assert.rejects(step(['/no/such/binary']), ExecError);
  assert.deepEqual(await readdir(scratch), []);
  assert.deepEqual(await mountsUnder(scratch), []);
});

test("network 'none' leaves only lo", async () => {
  let out = '';
  const r = await step(['cat', '/proc/net/dev'], { network: 'none', onOutput: (c) => (out += c) });
  await r.cleanup();
  const ifaces = out.split('\n').slice(2).filter((l) => l.includes(':')).map((l) => l.split(':')[0]!.trim());
  assert.deepEqual(ifaces, ['lo']);
});

test('USER names resolve through the image: uid, primary gid and supplementary groups', async () => {
  let out = '';
  const r = await step(['cat', '/proc/self/status'], { user: 'app', onOutput: (c) => (out += c) });
  await r.cleanup();
  assert.match(out, /^Uid:\s+1234\s/m);
  assert.match(out, /^Gid:\s+2345\s/m);
  assert.match(out, /^Groups:\s+3456\s*$/m);
  out = '';
  const r2 = await step(['cat', '/proc/self/status'], { user: 'app:extra', onOutput: (c) => (out += c) });
  await r2.cleanup();
  assert.match(out, /^Gid:\s+3456\s/m);
  assert.match(out, /^Groups:\s*$/m);
  await assert.rejects(step(['id'], { user: 'ghost' }), /unable to find user ghost/);
  assert.deepEqual(await readdir(scratch), []);
});

test('the unshare+chroot fallback runs a step too', async () => {
  let out = '';
  const r = await step(['sh', '-c', 'echo via-chroot; touch /made; cat /proc/net/dev | grep -c :'], { runtime: 'chroot', network: 'none', onOutput: (c) => (out += c) });
  try {
    assert.equal(r.runtime, 'chroot');
    assert.match(out, /^via-chroot\n/);
    assert.equal(await exists(join(r.upperDir, 'made')), true);
    for (const stub of ['etc/resolv.conf', 'etc/hosts', 'etc/hostname', 'proc', 'sys', 'dev']) {
      assert.equal(await exists(join(r.upperDir, stub)), false, `${stub} must not be in the upper dir`);
    }
  } finally {
    await r.cleanup();
  }
  assert.deepEqual(await mountsUnder(scratch), []);
});
