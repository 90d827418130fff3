/**
 * Images for registry tests: made with hull's own store (importRootfs of a tiny root
 * filesystem) and pushed to a test registry with skopeo, an independent client.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Descriptor } from '../../src/image/manifest.js';
import { createIndex } from '../../src/image/manifest.js';
import { MediaType } from '../../src/image/mediatypes.js';
import { normalizeReference } from '../../src/image/reference.js';
import { parsePlatform, toOciPlatform } from '../../src/image/platform.js';
import { importRootfs } from '../../src/store/import.js';
import { Store } from '../../src/store/store.js';
import type { TestRegistry } from './registry.js';
import { skopeo } from './skopeo.js';

/** A one-layer image in a fresh store at `root`, tagged `local/NAME:1`; returns its manifest. */
export async function makeImage(root: string, name: string, platform = 'linux/amd64', content = name): Promise<Descriptor> {
  const rootfs = join(root, '..', `rootfs-${name}`);
  await mkdir(join(rootfs, 'etc'), { recursive: true });
  await writeFile(join(rootfs, 'etc', 'hello'), `${content}\n`);
  const store = await Store.open(root);
  try {
    const { manifest } = await importRootfs(store, rootfs, `local/${name}:1`, { platform: parsePlatform(platform), sourceDateEpoch: 1_700_000_000 });
    return manifest;
  } finally {
    await store.close();
  }
}

/** An OCI index over one image per platform, tagged `local/NAME:1`; returns the index and the manifests. */
export async function makeIndex(root: string, name: string, platforms: readonly string[]): Promise<{ index: Descriptor; manifests: Descriptor[] }> {
  const manifests: Descriptor[] = [];
  for (const p of platforms) {
    const m = await makeImage(root, `${name}-${p.replace(/\//g, '-')}`, p, `${name} for ${p}`);
    manifests.push({ ...m, platform: toOciPlatform(parsePlatform(p)) });
  }
  const store = await Store.open(root);
  try {
    const index = await store.putJson(createIndex(manifests), MediaType.ociIndex);
    await store.tag(`local/${name}:1`, index);
    return { index, manifests };
  } finally {
    await store.close();
  }
}

/** `skopeo copy` from hull's store (an OCI layout) to the registry, with its credentials and CA. */
export async function pushWithSkopeo(root: string, source: string, registry: TestRegistry, target: string, all = false): Promise<void> {
  const user = Object.entries(registry.users)[0];
  const creds = registry.auth !== 'none' && user ? ['--dest-creds', `${user[0]}:${user[1]}`] : [];
  const tls = registry.certsD ? ['--dest-cert-dir', join(registry.certsD, registry.host)] : ['--dest-tls-verify=false'];
  await skopeo('copy', ...(all ? ['--all'] : []), ...creds, ...tls, `oci:${join(root, 'oci')}:${normalizeReference(source)}`, `docker://${registry.host}/${target}`);
}
