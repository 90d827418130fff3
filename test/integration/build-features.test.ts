// More of `hull build` end to end: RUN options (--network=none, --mount bind/tmpfs, heredoc
// scripts), COPY --from an image, ADD from git (dumb HTTP) and of bzip2/xz archives, FROM by
// digest, -f outside the context, --target, json progress. Real registry, runc, umoci; needs root.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BuildEvent } from '../../src/build/events.js';
import { publishBusybox } from '../helpers/bases.js';
import { startBlobHost, type BlobHost } from '../helpers/blob-host.js';
import { imageConfig, unpackImage } from '../helpers/built-image.js';
import { runCli } from '../helpers/cli.js';
import { fillTree } from '../helpers/context-tree.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/scratch.js';
import { hasTool, skopeo } from '../helpers/skopeo.js';

const isRoot = process.getuid?.() === 0;
const skip = (!isRoot && 'needs root') || (!hasTool('umoci') && 'umoci not installed') || false;

describe('hull build features', { skip }, () => {
  const dirs = scratchDirs('hull-build-features-');
  let registry: TestRegistry;
  let web: BlobHost;
  let base: string;

  before(async () => {
    registry = await startRegistry();
    base = await publishBusybox(registry, join(dirs.root(), 'base-store'), dirs.root());
    // A git repository served over git's dumb HTTP protocol (static files).
    const served = join(dirs.root(), 'served');
    const work = join(served, 'work');
    await fillTree(work, { 'sub/from-git.txt': 'from git\n', 'top.txt': 'top\n' });
    const git = (cwd: string, ...args: string[]): string =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' });
    git(work, 'init', '-q', '-b', 'main');
    git(work, 'add', '.');
    git(work, 'commit', '-q', '-m', 'one');
    git(served, 'clone', '-q', '--bare', work, 'repo.git');
    git(join(served, 'repo.git'), 'update-server-info');
    web = await startBlobHost();
    web.root = served;
  });
  after(async () => {
    await registry?.stop();
    await web?.stop();
  });

  it('RUN --network=none, --mount=type=bind (context and stage), --mount=type=tmpfs and a heredoc script', async () => {
    const ctx = await fillTree(await dirs.fresh('ctx'), {
      'data/x.txt': 'bound\n',
      Dockerfile: `ARG BASE
FROM \${BASE} AS tools
RUN echo tool > /tool.txt

FROM \${BASE}
RUN --network=none tail -n +3 /proc/net/dev | wc -l > /netifs
RUN tail -n +3 /proc/net/dev | wc -l > /host-netifs
RUN --mount=type=bind,source=data,target=/mnt/data cat /mnt/data/x.txt > /from-bind.txt
RUN --mount=type=bind,from=tools,source=/tool.txt,target=/mnt/tool.txt cp /mnt/tool.txt /from-stage.txt
RUN --mount=type=tmpfs,target=/scratchpad touch /scratchpad/gone && ls /scratchpad > /tmpfs-list
USER app
WORKDIR /home/app/work
RUN <<EOF
#!/bin/sh
echo "script ran as $(id -u):$(id -g) in $(pwd)" > /tmp/heredoc.txt
EOF
`,
    });
    const root = await dirs.fresh('store');
    const res = await runCli(['build', '--root', root, '--progress', 'plain', '--build-arg', `BASE=${base}`, '-t', 'local/run-options:1', ctx]);
    assert.equal(res.code, 0, res.err);
    const rootfs = unpackImage(root, 'docker.io/local/run-options:1', await dirs.fresh('unpacked'));
    const read = (p: string): Promise<string> => readFile(join(rootfs, p), 'utf8');
    assert.equal((await read('netifs')).trim(), '1', 'only lo in a RUN with --network=none');
    assert.ok(Number((await read('host-netifs')).trim()) >= 1);
    assert.equal(await read('from-bind.txt'), 'bound\n');
    assert.equal(await read('from-stage.txt'), 'tool\n');
    assert.equal(await read('tmpfs-list'), 'gone\n');
    await assert.rejects(stat(join(rootfs, 'mnt/data/x.txt')), 'a bind mount is not part of the layer');
    await assert.rejects(stat(join(rootfs, 'scratchpad/gone')), 'a tmpfs is not part of the layer');
    assert.equal(await read('tmp/heredoc.txt'), 'script ran as 1000:1000 in /home/app/work\n');
    const work = await stat(join(rootfs, 'home/app/work'));
    assert.deepEqual([work.uid, work.gid], [1000, 1000], 'WORKDIR is created owned by USER');
  });

  it('COPY --from an image, ADD from git and of bzip2/xz archives, FROM by digest, -f outside the context', async () => {
    const inspected = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${base}`)) as { Digest: string };
    const pinned = `${base.replace(/:[^:/]+$/, '')}@${inspected.Digest}`;
    const ctx = await fillTree(await dirs.fresh('ctx'), { 'tree/inner/a.txt': 'archived\n' });
    execFileSync('tar', ['-C', join(ctx, 'tree'), '-cjf', join(ctx, 'a.tar.bz2'), '.']);
    execFileSync('tar', ['-C', join(ctx, 'tree'), '-cJf', join(ctx, 'a.tar.xz'), '.']);
    const elsewhere = await dirs.fresh('dockerfiles');
    await writeFile(
      join(elsewhere, 'build.Dockerfile'),
      `FROM ${pinned}
COPY --from=${base} /etc/passwd /copied-passwd
ADD ${web.url}/repo.git#main:sub /git/
ADD a.tar.bz2 /bz/
ADD a.tar.xz /xz/
`,
    );
    const root = await dirs.fresh('store');
    const res = await runCli(['build', '--root', root, '--progress', 'plain', '-f', join(elsewhere, 'build.Dockerfile'), '-t', 'local/sources:1', ctx]);
    assert.equal(res.code, 0, res.err);
    const rootfs = unpackImage(root, 'docker.io/local/sources:1', await dirs.fresh('unpacked'));
    const read = (p: string): Promise<string> => readFile(join(rootfs, p), 'utf8');
    assert.match(await read('copied-passwd'), /^root:x:0:0/);
    assert.equal(await read('git/from-git.txt'), 'from git\n');
    await assert.rejects(stat(join(rootfs, 'git/top.txt')), 'only the subdirectory is copied');
    await assert.rejects(stat(join(rootfs, 'git/.git')), 'no .git without --keep-git-dir');
    assert.equal(await read('bz/inner/a.txt'), 'archived\n');
    assert.equal(await read('xz/inner/a.txt'), 'archived\n');
  });

  it('--target builds only what that stage needs, and json progress is one event per line', async () => {
    const ctx = await dirs.fresh('ctx');
    await mkdir(ctx, { recursive: true });
    await writeFile(
      join(ctx, 'Dockerfile'),
      `ARG BASE
FROM \${BASE} AS first
RUN echo first > /first
FROM first AS second
RUN echo second > /second
FROM \${BASE} AS other
RUN exit 1
`,
    );
    const root = await dirs.fresh('store');
    const res = await runCli(['build', '--root', root, '--progress', 'json', '--build-arg', `BASE=${base}`, '--target', 'second', '-t', 'local/target:1', ctx]);
    assert.equal(res.code, 0, res.err);
    const events = res.err
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as BuildEvent);
    const names = events.flatMap((e) => (e.kind === 'start' ? [e.name] : []));
    assert.ok(names.includes('[second 2/2] RUN echo second > /second'), names.join('\n'));
    assert.ok(!names.some((n) => n.startsWith('[other')), 'the stage --target does not need is skipped');
    assert.ok(events.every((e) => e.kind !== 'end' || e.error === undefined));
    const config = await imageConfig(root, 'local/target:1');
    assert.equal(config.history!.filter((h) => h.created_by?.startsWith('RUN')).length, 2);
  });
});
