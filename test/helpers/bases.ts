/**
 * Base images for build tests, made without Docker Hub and by hull itself: a busybox image built
 * `FROM scratch` from Debian's static busybox (every applet linked), and a Debian image imported
 * from the debootstrap tarball test/setup.sh makes; both pushed to the test registry.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { busyboxRootfs } from './busybox-snapshot.js';
import { runCli } from './cli.js';
import type { TestRegistry } from './registry.js';

export const DEBIAN_TAR = process.env.HULL_TEST_DEBIAN_TAR ?? '/var/cache/hull-test/debian-bookworm-minbase.tar';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n';
const GROUP = 'root:x:0:\nstaff:x:50:app\napp:x:1000:\nnogroup:x:65534:\n';

/** A context whose Dockerfile builds the busybox base from scratch. */
export async function busyboxBaseContext(dir: string): Promise<string> {
  const rootfs = join(dir, 'rootfs');
  await busyboxRootfs(rootfs, PASSWD);
  await writeFile(join(rootfs, 'etc', 'group'), GROUP);
  await mkdir(join(rootfs, 'root'), { mode: 0o700 });
  const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a !== '' && a !== 'busybox');
  for (const applet of applets) {
    if (!existsSync(join(rootfs, 'bin', applet))) await symlink('busybox', join(rootfs, 'bin', applet));
  }
  await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY rootfs/ /\nCMD ["sh"]\n');
  return dir;
}

/** Builds the busybox base with hull and pushes it; returns its reference. */
export async function publishBusybox(registry: TestRegistry, root: string, workDir: string): Promise<string> {
  const ref = `${registry.host}/base/busybox:1`;
  const context = await busyboxBaseContext(join(workDir, 'busybox-base'));
  const res = await runCli(['build', '--root', root, '--progress', 'plain', '-t', ref, '--push', context]);
  if (res.code !== 0) throw new Error(`building the busybox base failed:\n${res.err}`);
  return ref;
}

/** Imports the debootstrap tarball with `hull import` and pushes it; returns its reference. */
export async function publishDebian(registry: TestRegistry, root: string): Promise<string> {
  const ref = `${registry.host}/base/debian:bookworm`;
  for (const args of [['import', '--root', root, DEBIAN_TAR, ref], ['push', '--root', root, '--progress', 'plain', ref]]) {
    const res = await runCli(args);
    if (res.code !== 0) throw new Error(`hull ${args[0]} failed:\n${res.err}`);
  }
  return ref;
}
