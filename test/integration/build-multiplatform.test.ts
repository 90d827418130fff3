// Multi-platform builds on one x86 machine: linux/amd64, linux/arm/v7 and linux/arm64 from one
// Dockerfile, RUN of the arm platforms through qemu-user (binfmt_misc, registered by hull when
// missing), one index pushed to a real registry and read back with skopeo; a cross-compiling
// stage (FROM --platform=$BUILDPLATFORM) that runs natively. Needs root, qemu-user-static and
// the arm busybox binaries test/setup.sh downloads.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX_ARM64, BUSYBOX_ARMHF, publishMultiPlatformBusybox } from '../helpers/bases.js';
import { imageFile } from '../helpers/built-image.js';
import { runCli } from '../helpers/cli.js';
import { fillTree } from '../helpers/context-tree.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/scratch.js';
import { skopeo } from '../helpers/skopeo.js';

const isRoot = process.getuid?.() === 0;
const skip =
  (!isRoot && 'needs root') ||
  (!existsSync('/usr/bin/qemu-aarch64-static') && 'qemu-user-static is not installed (test/setup.sh)') ||
  (!(existsSync(BUSYBOX_ARMHF) && existsSync(BUSYBOX_ARM64)) && 'the arm busybox binaries are missing (test/setup.sh)') ||
  false;

interface RawIndex {
  mediaType: string;
  manifests: { mediaType: string; digest: string; platform: { architecture: string; os: string; variant?: string } }[];
}

describe('multi-platform builds', { skip }, () => {
  const dirs = scratchDirs('hull-multi-');
  let registry: TestRegistry;
  let base: string;

  before(async () => {
    registry = await startRegistry();
    base = await publishMultiPlatformBusybox(registry, join(dirs.root(), 'base-store'), dirs.root());
  });
  after(() => registry?.stop());

  it('builds amd64, arm/v7 and arm64 in one command, RUN through qemu, and pushes one index', async () => {
    const ctx = await fillTree(await dirs.fresh('ctx'), {
      Dockerfile: `ARG BASE
FROM \${BASE}
ARG TARGETPLATFORM TARGETARCH TARGETVARIANT
RUN uname -m > /arch && echo "$TARGETPLATFORM $TARGETARCH $TARGETVARIANT" > /target
`,
    });
    const root = await dirs.fresh('store');
    const ref = `${registry.host}/multi/app:1`;
    const res = await runCli(['build', '--root', root, '--progress', 'plain', '--build-arg', `BASE=${base}`, '--platform', 'linux/amd64,linux/arm/v7,linux/arm64', '-t', ref, '--push', ctx]);
    assert.equal(res.code, 0, res.err);
    assert.match(res.err, /\[linux\/arm64 stage-0 3\/3\] RUN uname -m/);

    const index = JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${ref}`)) as RawIndex;
    assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
    const platforms = index.manifests.map((m) => [m.platform.os, m.platform.architecture, m.platform.variant ?? ''].join('/'));
    assert.deepEqual(platforms, ['linux/amd64/', 'linux/arm/v7', 'linux/arm64/']);
    const expected: Record<string, { arch: string; target: string; config: [string, string | undefined] }> = {
      'linux/amd64/': { arch: 'x86_64', target: 'linux/amd64 amd64 ', config: ['amd64', undefined] },
      'linux/arm/v7': { arch: 'armv7l', target: 'linux/arm/v7 arm v7', config: ['arm', 'v7'] },
      'linux/arm64/': { arch: 'aarch64', target: 'linux/arm64 arm64 ', config: ['arm64', undefined] },
    };
    for (const [i, m] of index.manifests.entries()) {
      const want = expected[platforms[i]!]!;
      assert.equal(await imageFile(root, m.digest, 'arch'), `${want.arch}\n`, platforms[i]);
      assert.equal(await imageFile(root, m.digest, 'target'), `${want.target}\n`, platforms[i]);
      const config = JSON.parse(await skopeo('inspect', '--config', '--tls-verify=false', `docker://${registry.host}/multi/app@${m.digest}`)) as { architecture: string; variant?: string };
      assert.deepEqual([config.architecture, config.variant], want.config, platforms[i]);
    }
    const inspected = await runCli(['inspect', '--root', root, ref]);
    assert.equal(inspected.code, 0, inspected.err);
    assert.deepEqual((JSON.parse(inspected.out) as { Platforms: string[] }[])[0]!.Platforms, ['linux/amd64', 'linux/arm/v7', 'linux/arm64']);
  });

  it('a FROM --platform=$BUILDPLATFORM stage runs natively and its output lands in every target image', async () => {
    const ctx = await fillTree(await dirs.fresh('ctx'), {
      Dockerfile: `ARG BASE
FROM --platform=$BUILDPLATFORM \${BASE} AS build
ARG TARGETARCH BUILDPLATFORM
RUN echo "built on $(uname -m) ($BUILDPLATFORM) for $TARGETARCH" > /out
FROM \${BASE}
COPY --from=build /out /out
`,
    });
    const root = await dirs.fresh('store');
    const res = await runCli(['build', '--root', root, '--progress', 'plain', '--build-arg', `BASE=${base}`, '--platform', 'linux/arm64,linux/arm/v7', '-t', 'local/cross:1', ctx]);
    assert.equal(res.code, 0, res.err);
    assert.doesNotMatch(res.err, /\[linux\/arm64 build 2\/3\][^\n]*\n(#\d+ [^\n]*\n)*#\d+ running linux\/arm64 through/, 'the build stage is not emulated');
    const inspect = await runCli(['inspect', '--root', root, 'local/cross:1']);
    assert.equal(inspect.code, 0, inspect.err);
    const inspected = JSON.parse(inspect.out) as { Index: RawIndex }[];
    const outs = await Promise.all(inspected[0]!.Index.manifests.map((m) => imageFile(root, m.digest, 'out')));
    assert.deepEqual(outs, ['built on x86_64 (linux/amd64) for arm64\n', 'built on x86_64 (linux/amd64) for arm\n']);
  });

  it('a base without the platform asked for is an error at its FROM line that lists what it has', async () => {
    const ctx = await fillTree(await dirs.fresh('ctx'), { Dockerfile: `FROM ${base}\nRUN true\n` });
    const res = await runCli(['build', '--root', await dirs.fresh('store'), '--progress', 'plain', '--platform', 'linux/s390x', ctx]);
    assert.equal(res.code, 1);
    assert.match(res.err, /Dockerfile:1:1: FROM .*no image for platform linux\/s390x: it offers linux\/amd64, linux\/arm\/v7, linux\/arm64/);
  });

  it('--format docker writes Docker manifests and a manifest list', async () => {
    const ctx = await fillTree(await dirs.fresh('ctx'), { Dockerfile: `ARG BASE\nFROM \${BASE}\nENV X=1\n` });
    const ref = `${registry.host}/multi/docker-format:1`;
    const res = await runCli(['build', '--root', await dirs.fresh('store'), '--progress', 'plain', '--build-arg', `BASE=${base}`, '--platform', 'linux/amd64,linux/arm64', '--format', 'docker', '-t', ref, '--push', ctx]);
    assert.equal(res.code, 0, res.err);
    const list = JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${ref}`)) as RawIndex;
    assert.equal(list.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
    assert.ok(list.manifests.every((m) => m.mediaType === 'application/vnd.docker.distribution.manifest.v2+json'));
  });
});
