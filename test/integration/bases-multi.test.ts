// The multi-platform busybox base: three `hull import --platform` images under one OCI index,
// pushed with `hull push` and read back from the registry by skopeo. Needs root and test/setup.sh.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX_ARM64, BUSYBOX_ARMHF, publishMultiPlatformBusybox } from '../helpers/bases.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/scratch.js';
import { hasTool, skopeo } from '../helpers/skopeo.js';

const skip =
  (process.getuid?.() !== 0 && 'needs root') ||
  (!hasTool('skopeo') && 'skopeo not installed') ||
  (![BUSYBOX_ARMHF, BUSYBOX_ARM64].every((f) => existsSync(f)) && `${BUSYBOX_ARMHF} or ${BUSYBOX_ARM64} missing: run test/setup.sh`) ||
  false;

describe('publishMultiPlatformBusybox', { skip }, () => {
  const dirs = scratchDirs('hull-bases-multi-');
  let registry: TestRegistry;

  before(async () => {
    registry = await startRegistry();
  });
  after(async () => {
    await registry?.stop();
  });

  it('pushes one index listing linux/amd64, linux/arm/v7 and linux/arm64', async () => {
    const ref = await publishMultiPlatformBusybox(registry, join(dirs.root(), 'store'), dirs.root());
    assert.equal(ref, `${registry.host}/base/busybox-multi:1`);
    const index = JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${ref}`)) as {
      mediaType: string;
      manifests: { digest: string; platform: { os: string; architecture: string; variant?: string } }[];
    };
    assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(
      index.manifests.map((m) => m.platform),
      [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm', variant: 'v7' },
        { os: 'linux', architecture: 'arm64' },
      ],
    );
    for (const m of index.manifests) {
      const config = JSON.parse(await skopeo('inspect', '--config', '--tls-verify=false', `docker://${registry.host}/base/busybox-multi@${m.digest}`)) as { architecture: string; variant?: string };
      assert.equal(config.architecture, m.platform.architecture);
      assert.equal(config.variant, m.platform.variant);
    }
  });
});
