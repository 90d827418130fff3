/**
 * Base images for build tests, made without Docker Hub and by hull itself: a busybox image built
 * `FROM scratch` from Debian's static busybox (every applet linked), the same for linux/amd64,
 * arm/v7 and arm64 under one index, and a Debian image imported from the debootstrap tarball
 * test/setup.sh makes; all pushed to the test registry.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Descriptor } from '../../src/image/manifest.js';
import { createIndex } from '../../src/image/manifest.js';
import { MediaType } from '../../src/image/mediatypes.js';
import { parsePlatform, toOciPlatform } from '../../src/image/platform.js';
import { Store } from '../../src/store/store.js';
import { busyboxRootfs } from './busybox-snapshot.js';
import { runCli } from './cli.js';
import type { TestRegistry } from './registry.js';

export const DEBIAN_TAR = process.env.HULL_TEST_DEBIAN_TAR ?? '/var/cache/hull-test/debian-bookworm-minbase.tar';
/** Debian's static busybox for arm/v7 and arm64, extracted by test/setup.sh. */
export const BUSYBOX_ARMHF = '/var/cache/hull-test/busybox-armhf';
export const BUSYBOX_ARM64 = '/var/cache/hull-test/busybox-arm64';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n';
const GROUP = 'root:x:0:\nstaff:x:50:app\napp:x:1000:\nnogroup:x:65534:\n';

/**
 * A busybox root filesystem with users, groups and every applet linked, around `binary`. The
 * applet list comes from the host's /bin/busybox: Debian builds every architecture's busybox
 * from one source and configuration, and a foreign binary could not list its own without qemu.
 */
async function busyboxBaseRootfs(rootfs: string, binary: string): Promise<void> {
  await busyboxRootfs(rootfs, PASSWD);
  await copyFile(binary, join(rootfs, 'bin', 'busybox'));
  await chmod(join(rootfs, 'bin', 'busybox'), 0o755);
  await writeFile(join(rootfs, 'etc', 'group'), GROUP);
  await mkdir(join(rootfs, 'root'), { mode: 0o700 });
  const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a !== '' && a !== 'busybox');
  for (const applet of applets) {
    if (!existsSync(join(rootfs, 'bin', applet))) await symlink('busybox', join(rootfs, 'bin', applet));
  }
}

/** A context whose Dockerfile builds the busybox base from scratch. */
export async function busyboxBaseContext(dir: string): Promise<string> {
  await busyboxBaseRootfs(join(dir, 'rootfs'), '/bin/busybox');
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

/** Each platform of the multi-platform busybox base and its static busybox. */
const MULTI_PLATFORM_BUSYBOX: ReadonlyArray<readonly [platform: string, binary: string]> = [
  ['linux/amd64', '/bin/busybox'],
  ['linux/arm/v7', BUSYBOX_ARMHF],
  ['linux/arm64', BUSYBOX_ARM64],
];

/**
 * Imports a busybox root filesystem per platform with `hull import --platform`, puts one OCI
 * index over the three manifests in the store and pushes it with `hull push`; returns its reference.
 */
export async function publishMultiPlatformBusybox(registry: TestRegistry, root: string, workDir: string): Promise<string> {
  const ref = `${registry.host}/base/busybox-multi:1`;
  const imported: { platform: string; tag: string }[] = [];
  for (const [platform, binary] of MULTI_PLATFORM_BUSYBOX) {
    const name = platform.replaceAll('/', '-');
    const rootfs = join(workDir, `busybox-${name}`, 'rootfs');
    await busyboxBaseRootfs(rootfs, binary);
    const tag = `hull-test/busybox-multi:${name}`;
    const res = await runCli(['import', '--root', root, '--platform', platform, rootfs, tag]);
    if (res.code !== 0) throw new Error(`hull import --platform ${platform} failed:\n${res.err}`);
    imported.push({ platform, tag });
  }
  const store = await Store.open(root);
  try {
    const manifests: Descriptor[] = [];
    for (const { platform, tag } of imported) {
      const found = await store.resolve(tag);
      if (found === undefined) throw new Error(`${tag} is not in the store after hull import`);
      manifests.push({ mediaType: found.mediaType, digest: found.digest, size: found.size, platform: toOciPlatform(parsePlatform(platform)) });
    }
    await store.tag(ref, await store.putJson(createIndex(manifests), MediaType.ociIndex));
  } finally {
    await store.close();
  }
  const res = await runCli(['push', '--root', root, '--progress', 'plain', ref]);
  if (res.code !== 0) throw new Error(`hull push ${ref} failed:\n${res.err}`);
  return ref;
}
