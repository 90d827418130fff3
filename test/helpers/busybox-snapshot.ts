/**
 * A busybox base for exec tests: Debian's static /bin/busybox imported into a fresh store and its
 * layer extracted as a snapshot with overlay whiteouts (usable as an overlay lowerdir).
 */
import { chmod, copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extractLayer } from '../../src/layer/index.js';
import { importRootfs } from '../../src/store/import.js';
import { Store } from '../../src/store/index.js';

export const BUSYBOX_APPLETS = ['sh', 'echo', 'ls', 'cat', 'rm', 'id', 'true', 'false', 'hostname', 'touch', 'mkdir'];

export async function busyboxRootfs(target: string, passwd = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n'): Promise<void> {
  await mkdir(join(target, 'bin'), { recursive: true });
  await mkdir(join(target, 'etc'));
  await mkdir(join(target, 'tmp'));
  await chmod(join(target, 'tmp'), 0o1777);
  await copyFile('/bin/busybox', join(target, 'bin', 'busybox'));
  await chmod(join(target, 'bin', 'busybox'), 0o755);
  for (const applet of BUSYBOX_APPLETS) await symlink('busybox', join(target, 'bin', applet));
  await writeFile(join(target, 'etc', 'passwd'), passwd);
}

/** Imports `rootfs` into the store at `root` and returns the store and the layer's snapshot dir. */
export async function busyboxSnapshot(root: string, rootfs: string): Promise<{ store: Store; snapshot: string }> {
  const store = await Store.open(root);
  const { layer } = await importRootfs(store, rootfs, 'test/busybox:latest');
  const snapshot = await store.ensureSnapshot(layer.diffID, async (dir) => {
    await extractLayer(await store.getBlob(layer.digest), dir, { whiteouts: 'overlay' });
  });
  return { store, snapshot };
}
