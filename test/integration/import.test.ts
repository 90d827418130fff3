// hull import against real tools: a busybox root filesystem from Debian's busybox-static, read
// back with skopeo and umoci, and an import killed with SIGKILL at random moments. Needs root
// (umoci unpack keeps owners) and the packages test/setup.sh installs.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sha256Of } from '../../src/image/digest.js';
import { runCli } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';
import { mulberry32 } from '../helpers/random.js';
import { exited } from '../helpers/spawn.js';

let dir: string;
const BUSYBOX = '/bin/busybox';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hull-import-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** A minimal busybox system: the static binary, its applet links, /etc/passwd and /tmp. */
async function busyboxRootfs(target: string): Promise<void> {
  await mkdir(join(target, 'bin'), { recursive: true });
  await mkdir(join(target, 'etc'));
  await mkdir(join(target, 'tmp'));
  await chmod(join(target, 'tmp'), 0o1777);
  await copyFile(BUSYBOX, join(target, 'bin', 'busybox'));
  await chmod(join(target, 'bin', 'busybox'), 0o755);
  for (const applet of ['sh', 'echo', 'ls', 'cat', 'uname']) await symlink('busybox', join(target, 'bin', applet));
  await writeFile(join(target, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
}

test('a busybox image from busybox-static is read back by skopeo and umoci', async () => {
  const rootfs = join(dir, 'busybox');
  const root = join(dir, 'store');
  await busyboxRootfs(rootfs);
  const imported = await runCli(['import', '--root', root, rootfs, 'localhost:5000/busybox:test']);
  assert.equal(imported.code, 0, imported.err);
  const inspect = JSON.parse((await runCli(['inspect', '--root', root, 'localhost:5000/busybox:test'])).out) as { Descriptor: { digest: string }; Id: string }[];

  const layout = `oci:${join(root, 'oci')}:localhost:5000/busybox:test`;
  const skopeo = JSON.parse(execFileSync('skopeo', ['inspect', layout], { encoding: 'utf8' })) as { Digest: string; Layers: string[]; Os: string };
  assert.equal(skopeo.Digest, inspect[0]!.Descriptor.digest);
  assert.equal(skopeo.Layers.length, 1);
  assert.equal(skopeo.Os, 'linux');

  execFileSync('skopeo', ['copy', '-q', layout, `oci:${join(dir, 'copy')}:busybox`]);
  const copied = JSON.parse(await readFile(join(dir, 'copy', 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  assert.equal(copied.manifests[0]!.digest, inspect[0]!.Descriptor.digest);

  const bundle = join(dir, 'bundle');
  execFileSync('umoci', ['unpack', '--image', `${join(root, 'oci')}:localhost:5000/busybox:test`, bundle], { stdio: 'pipe' });
  const out = execFileSync(join(bundle, 'rootfs', 'bin', 'sh'), ['-c', 'echo hello from busybox'], { encoding: 'utf8' });
  assert.equal(out, 'hello from busybox\n');
  assert.match(await readFile(join(bundle, 'rootfs', 'etc', 'passwd'), 'utf8'), /^root:x:0:0/);
});

test('an import killed with SIGKILL at random moments leaves a store the next import uses', async () => {
  const tree = join(dir, 'big');
  await mkdir(tree);
  for (let i = 0; i < 120; i++) await writeFile(join(tree, `f${i}`), randomBytes(200 * 1024));
  const env = { ...process.env, SOURCE_DATE_EPOCH: '1700000000' };
  const hull = join(repoRoot(), 'bin', 'hull');
  const root = join(dir, 'killed');
  const rng = mulberry32(20261123);
  let killed = 0;
  for (let i = 0; i < 12; i++) {
    const child = spawn(process.execPath, [hull, 'import', '--root', root, tree, 'test/big:1'], { env, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, Math.floor(rng() * 600)));
    if (child.kill('SIGKILL')) killed++;
    await exited(child);
  }
  assert.ok(killed >= 6, `only ${killed} of 12 imports were still running when killed`);

  const again = await runCli(['import', '--root', root, tree, 'test/big:1']);
  assert.equal(again.code, 0, again.err);
  // Every blob under blobs/ is whole: its bytes hash to its name.
  const blobs = join(root, 'oci', 'blobs', 'sha256');
  for (const name of await readdir(blobs)) assert.equal(sha256Of(await readFile(join(blobs, name))), `sha256:${name}`);

  const clean = join(dir, 'clean');
  process.env.SOURCE_DATE_EPOCH = '1700000000';
  try {
    const reference = await runCli(['import', '--root', clean, tree, 'test/big:1']);
    const after = await runCli(['import', '--root', root, tree, 'test/big:1']);
    assert.equal(after.out, reference.out, 'the same image ID as an import into a clean store');
  } finally {
    delete process.env.SOURCE_DATE_EPOCH;
  }
  const listed = JSON.parse((await runCli(['images', '--root', root, '--format', 'json'])).out) as { repository: string }[];
  assert.deepEqual(listed.map((r) => r.repository), ['test/big']);
});
