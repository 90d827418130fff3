// `hull build` end to end, on real parts: a real registry (the base images are pushed to it and
// pulled back by the builds), overlayfs, an OCI runtime (runc/crun), and results read back by
// umoci and skopeo. Needs root and the packages test/setup.sh installs.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from '../../src/build/solver.js';
import type { BuildEvent } from '../../src/build/events.js';
import { pendingCleanups } from '../../src/exec/cleanup.js';
import { Store } from '../../src/store/store.js';
import { publishBusybox } from '../helpers/bases.js';
import { imageConfig, layerEntryNames, unpackImage } from '../helpers/built-image.js';
import { fillTree, type TreeNode } from '../helpers/context-tree.js';
import { runCli } from '../helpers/cli.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/scratch.js';
import { repoRoot } from '../helpers/paths.js';
import { hasTool, skopeo } from '../helpers/skopeo.js';
import { exited } from '../helpers/spawn.js';

const isRoot = process.getuid?.() === 0;
const skip = (!isRoot && 'needs root') || (!hasTool('umoci') && 'umoci not installed') || false;

describe('hull build', { skip }, () => {
  const dirs = scratchDirs('hull-build-');
  let registry: TestRegistry;
  let base: string;
  let http: Server;
  let httpUrl: string;

  before(async () => {
    registry = await startRegistry();
    base = await publishBusybox(registry, join(dirs.root(), 'base-store'), dirs.root());
    http = createServer((req, res) => {
      if (req.url === '/remote.txt') {
        res.writeHead(200, { 'last-modified': 'Wed, 21 Oct 2015 07:28:00 GMT', 'content-type': 'text/plain' });
        res.end('from the web\n');
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  after(async () => {
    await registry?.stop();
    http?.close();
  });

  async function context(files: Record<string, TreeNode>): Promise<string> {
    return fillTree(await dirs.fresh('ctx'), files);
  }

  async function unpack(root: string, ref: string): Promise<string> {
    return unpackImage(root, ref, await dirs.fresh('unpacked'));
  }

  async function hullBuild(root: string, ctx: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
    return runCli(['build', '--root', root, '--progress', 'plain', '--build-arg', `BASE=${base}`, ...args, ctx]);
  }

  it('builds every instruction and flag into the image umoci unpacks and the config describes', async () => {
    const gz = await dirs.fresh('archive');
    await mkdir(join(gz, 'tree', 'sub'), { recursive: true });
    await writeFile(join(gz, 'tree', 'sub', 'inside.txt'), 'from the archive\n');
    execFileSync('tar', ['-C', join(gz, 'tree'), '-czf', join(gz, 'data.tar.gz'), '.']);
    const ctx = await context({
      'app/hello.txt': { content: 'hello\n', mode: 0o640 },
      'app/bin/run.sh': { content: '#!/bin/sh\necho run\n', mode: 0o755 },
      'app/skip.log': 'ignored\n',
      'app/link': { link: 'hello.txt' },
      'plain.txt': { content: 'plain\n', mode: 0o644 },
      'docs/guide.md': '# guide\n',
      'docs/keep.txt': 'kept\n',
      'src/lib/a.txt': 'parents\n',
      '.dockerignore': 'app/*.log\n',
      Dockerfile: `ARG BASE
FROM \${BASE} AS builder
RUN mkdir -p /out && echo built > /out/artifact && chmod 0750 /out/artifact && chown 1000:50 /out/artifact

FROM \${BASE} AS unused
RUN exit 1

FROM \${BASE}
ARG REMOTE
LABEL org.example.title="everything" version=1
MAINTAINER hull tests
ENV APP_HOME=/srv/app GREETING="hello world"
ARG BUILD_NOTE=default-note
WORKDIR $APP_HOME
COPY app/ ./
COPY --chown=app:staff --chmod=0640 app/hello.txt /srv/owned.txt
COPY --chmod=u+x,g+x plain.txt /srv/plain-x.txt
COPY --from=builder /out/artifact /srv/artifact
COPY --exclude=*.md docs/ /srv/docs/
COPY --parents src/./lib/a.txt /srv/p/
COPY --link plain.txt /srv/linked/
COPY <<EOF /srv/heredoc.txt
greeting=\${GREETING}
EOF
ADD data.tar.gz /srv/unpacked/
ADD $REMOTE /srv/remote.txt
RUN echo "$BUILD_NOTE" > /srv/note && rm /bin/vi
USER app
RUN id -u > /tmp/uid && id -g >> /tmp/uid
USER root
WORKDIR /work/deep
EXPOSE 8080 9000/udp
VOLUME /data
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s CMD ["true"]
SHELL ["/bin/sh", "-ec"]
ONBUILD RUN echo triggered > /onbuild.txt
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /srv/note"]
`,
    });
    execFileSync('cp', [join(gz, 'data.tar.gz'), ctx]);
    const root = await dirs.fresh('store');
    const res = await hullBuild(root, ctx, '-t', 'local/everything:1', '-t', 'local/everything:latest', '--label', 'extra=yes', '--build-arg', `REMOTE=${httpUrl}/remote.txt`, '--build-arg', 'BUILD_NOTE=from-cli');
    assert.equal(res.code, 0, res.err);
    assert.doesNotMatch(res.err, /\[unused/, 'a stage the target does not need is not built');

    const rootfs = await unpack(root, 'docker.io/local/everything:1');
    const at = (p: string): string => join(rootfs, p);
    // COPY app/ ./ copies the contents, keeps modes, honours .dockerignore, keeps the symlink
    assert.equal(await readFile(at('srv/app/hello.txt'), 'utf8'), 'hello\n');
    assert.equal((await stat(at('srv/app/hello.txt'))).mode & 0o7777, 0o640);
    assert.equal((await stat(at('srv/app/bin/run.sh'))).mode & 0o7777, 0o755);
    await assert.rejects(lstat(at('srv/app/skip.log')), 'ignored by .dockerignore');
    assert.equal(await readlink(at('srv/app/link')), 'hello.txt');
    const hello = await stat(at('srv/app/hello.txt'));
    assert.deepEqual([hello.uid, hello.gid], [0, 0], 'context files are owned by root');
    // --chown with names from the image, --chmod octal and symbolic
    const owned = await stat(at('srv/owned.txt'));
    assert.deepEqual([owned.uid, owned.gid, owned.mode & 0o7777], [1000, 50, 0o640]);
    assert.equal((await stat(at('srv/plain-x.txt'))).mode & 0o7777, 0o754);
    // --from keeps the stage's owner and mode
    const artifact = await stat(at('srv/artifact'));
    assert.deepEqual([artifact.uid, artifact.gid, artifact.mode & 0o7777], [1000, 50, 0o750]);
    assert.equal(await readFile(at('srv/artifact'), 'utf8'), 'built\n');
    assert.deepEqual((await readdir(at('srv/docs'))).sort(), ['keep.txt'], '--exclude');
    assert.equal(await readFile(at('srv/p/lib/a.txt'), 'utf8'), 'parents\n', '--parents with a ./ pivot');
    assert.equal(await readFile(at('srv/linked/plain.txt'), 'utf8'), 'plain\n', '--link');
    assert.equal(await readFile(at('srv/heredoc.txt'), 'utf8'), 'greeting=hello world\n');
    assert.equal(await readFile(at('srv/unpacked/sub/inside.txt'), 'utf8'), 'from the archive\n', 'ADD extracts a local tar.gz');
    assert.equal(await readFile(at('srv/remote.txt'), 'utf8'), 'from the web\n');
    const remote = await stat(at('srv/remote.txt'));
    assert.equal(remote.mtime.toISOString(), '2015-10-21T07:28:00.000Z', 'mtime from Last-Modified');
    assert.equal(await readFile(at('srv/note'), 'utf8'), 'from-cli\n', 'build args reach RUN');
    await assert.rejects(lstat(at('bin/vi')), 'the deleted file is gone');
    assert.equal(await readFile(at('tmp/uid'), 'utf8'), '1000\n1000\n', 'USER app runs as 1000 with its primary group');
    assert.ok((await stat(at('work/deep'))).isDirectory(), 'WORKDIR creates its directory');
    await assert.rejects(lstat(at('etc/resolv.conf')), 'the injected resolv.conf never reaches a layer');

    const config = await imageConfig(root, 'local/everything:1');
    const c = config.config!;
    assert.equal(config.author, 'hull tests');
    assert.deepEqual(c.Labels, { 'org.example.title': 'everything', version: '1', extra: 'yes' });
    assert.ok(c.Env!.includes('APP_HOME=/srv/app') && c.Env!.includes('GREETING=hello world') && c.Env!.some((e) => e.startsWith('PATH=')));
    assert.ok(!c.Env!.some((e) => e.startsWith('BUILD_NOTE')), 'ARG values are not persisted');
    assert.equal(c.WorkingDir, '/work/deep');
    assert.equal(c.User, 'root');
    assert.deepEqual(c.ExposedPorts, { '8080/tcp': {}, '9000/udp': {} });
    assert.deepEqual(c.Volumes, { '/data': {} });
    assert.equal(c.StopSignal, 'SIGTERM');
    assert.deepEqual(c.Healthcheck, { Test: ['CMD', 'true'], Interval: 30_000_000_000 });
    assert.deepEqual(c.Shell, ['/bin/sh', '-ec']);
    assert.deepEqual(c.OnBuild, ['RUN echo triggered > /onbuild.txt']);
    assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c']);
    assert.deepEqual(c.Cmd, ['cat /srv/note']);
    // one history entry per instruction of the stage (after the base's), empty_layer for metadata
    const history = config.history!;
    assert.equal(history.filter((h) => !h.empty_layer).length, config.rootfs.diff_ids.length, 'one layer per non-empty history entry');
    const own = history.slice(history.findIndex((h) => h.created_by?.startsWith('ARG REMOTE=') === true));
    assert.deepEqual(
      own.map((h) => `${h.created_by?.split(' ')[0]}${h.empty_layer ? '' : '+'}`).join(' '),
      'ARG LABEL MAINTAINER ENV ARG WORKDIR+ COPY+ COPY+ COPY+ COPY+ COPY+ COPY+ COPY+ COPY+ ADD+ ADD+ RUN+ USER RUN+ USER WORKDIR+ EXPOSE VOLUME STOPSIGNAL HEALTHCHECK SHELL ENTRYPOINT CMD',
    );
    assert.match(history.find((h) => h.created_by?.startsWith('RUN |2'))!.created_by!, /^RUN \|2 REMOTE=http.* BUILD_NOTE=from-cli \/bin\/sh -c echo/);

    // the RUN that deleted /bin/vi made a whiteout; nothing hull injected reached a layer
    const names = await layerEntryNames(root, 'local/everything:1');
    assert.ok(names.includes('bin/.wh.vi'), 'whiteout for the deleted file');
    assert.ok(!names.some((n) => /^etc\/(resolv\.conf|hosts|hostname)$/.test(n)), 'no injected files in any layer');

    // ONBUILD triggers run when the image is a base
    const child = await context({ Dockerfile: 'FROM local/everything:1\nRUN cat /onbuild.txt\n' });
    const built = await runCli(['build', '--root', root, '--progress', 'plain', '-t', 'local/child:1', child]);
    assert.equal(built.code, 0, built.err);
    assert.equal(await readFile(join(await unpack(root, 'docker.io/local/child:1'), 'onbuild.txt'), 'utf8'), 'triggered\n');
    const childConfig = await imageConfig(root, 'local/child:1');
    assert.equal(childConfig.config!.OnBuild, undefined, 'triggers are not inherited further');
  });

  it('runs independent stages at the same time', async () => {
    const ctx = await context({
      Dockerfile: `ARG BASE
FROM \${BASE} AS a
RUN sleep 1.5 && echo a > /a
FROM \${BASE} AS b
RUN sleep 1.5 && echo b > /b
FROM \${BASE}
COPY --from=a /a /a
COPY --from=b /b /b
`,
    });
    const root = await dirs.fresh('store');
    const store = await Store.open(root);
    const events: BuildEvent[] = [];
    try {
      await build({ store, contextDir: ctx, buildArgs: { BASE: base }, onEvent: (e) => events.push(e) });
    } finally {
      await store.close();
    }
    const span = (prefix: string): [number, number] => {
      const start = events.find((e) => e.kind === 'start' && e.name.startsWith(prefix));
      assert.ok(start && start.kind === 'start', prefix);
      const end = events.find((e) => e.kind === 'end' && e.vertex === start.vertex)!;
      return [start.time, end.time];
    };
    const [a0, a1] = span('[a 2/2] RUN');
    const [b0, b1] = span('[b 2/2] RUN');
    assert.ok(a0 < b1 && b0 < a1, `the two RUN steps overlap: a ${a0}-${a1}, b ${b0}-${b1}`);
  });

  it('pushes with --push, and --output writes oci and docker archives skopeo reads', async () => {
    const ctx = await context({ Dockerfile: 'ARG BASE\nFROM ${BASE}\nRUN echo pushed > /pushed\n' });
    const root = await dirs.fresh('store');
    const out = await dirs.fresh('out');
    const ref = `${registry.host}/built/app:1`;
    const iid = join(out, 'iid');
    const res = await hullBuild(root, ctx, '-t', ref, '--push', '--iidfile', iid, '--output', `type=oci,dest=${join(out, 'oci.tar')}`, '--output', `type=docker,dest=${join(out, 'docker.tar')}`);
    assert.equal(res.code, 0, res.err);
    const inspected = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${ref}`)) as { Layers: string[] };
    assert.equal(inspected.Layers.length, 2);
    const id = await readFile(iid, 'utf8');
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const fromOci = JSON.parse(await skopeo('inspect', '--config', `oci-archive:${join(out, 'oci.tar')}`)) as { architecture: string };
    assert.equal(fromOci.architecture, 'amd64');
    const fromDocker = JSON.parse(await skopeo('inspect', `docker-archive:${join(out, 'docker.tar')}`)) as { Layers: string[] };
    assert.equal(fromDocker.Layers.length, 2);
  });

  it('-q prints only the image ID', async () => {
    const ctx = await context({ Dockerfile: 'ARG BASE\nFROM ${BASE}\nENV X=1\n' });
    const res = await hullBuild(await dirs.fresh('store'), ctx, '-q');
    assert.equal(res.code, 0, res.err);
    assert.match(res.out, /^sha256:[0-9a-f]{64}\n$/);
    assert.equal(res.err, '');
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`a build stopped by ${signal} in the middle of a RUN leaves no mount, container or temp dir`, async () => {
      const ctx = await context({ Dockerfile: 'ARG BASE\nFROM ${BASE}\nRUN echo step-started && sleep 60\n' });
      const root = await dirs.fresh('store');
      const child = spawn(process.execPath, [join(repoRoot(), 'bin', 'hull'), 'build', '--root', root, '--progress', 'plain', '--build-arg', `BASE=${base}`, ctx], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      await new Promise<void>((resolve, reject) => {
        child.stderr!.on('data', (chunk: Buffer) => {
          err += chunk.toString();
          if (/#\d+ [\d.]+ step-started/.test(err)) resolve();
        });
        child.once('exit', () => reject(new Error(`hull exited before the RUN started:\n${err}`)));
      });
      child.kill(signal);
      const { signal: died } = await exited(child);
      assert.equal(died, signal, 'hull dies of the signal, as a killed process should');
      assert.ok(!(await readFile('/proc/self/mountinfo', 'utf8')).includes(root), 'no mount left under the store');
      assert.deepEqual(await readdir(join(root, 'tmp')), [], 'no temp dir left');
      const containers = execFileSync('runc', ['list', '-q'], { encoding: 'utf8' });
      assert.ok(!containers.includes(`hull-${child.pid}-`), `no container left: ${containers}`);
    });
  }

  describe('failures give the promised error and leave nothing behind', () => {
    async function failing(files: Record<string, TreeNode>, expected: RegExp): Promise<string> {
      const ctx = await context(files);
      const root = await dirs.fresh('store');
      const res = await hullBuild(root, ctx);
      assert.equal(res.code, 1, res.err);
      assert.match(res.err, expected);
      assert.equal(pendingCleanups(), 0, 'no cleanup left registered');
      const mounts = await readFile('/proc/self/mountinfo', 'utf8');
      assert.ok(!mounts.includes(root), 'no mount left under the store');
      assert.deepEqual(await readdir(join(root, 'tmp')), [], 'no temp dir left');
      return res.err;
    }

    it('a failing RUN names the command, its exit code, the line, and its last output', async () => {
      const err = await failing(
        { Dockerfile: 'ARG BASE\nFROM ${BASE}\nRUN echo first line && echo doomed >&2 && exit 3\n' },
        /Dockerfile:3:1: RUN echo first line && echo doomed >&2 && exit 3 returned exit code 3/,
      );
      assert.match(err, /doomed/);
      assert.match(err, / 3 \| RUN echo first line/);
    });

    it('a missing COPY source', async () => {
      await failing({ Dockerfile: 'ARG BASE\nFROM ${BASE}\nCOPY nope.txt /x\n' }, /Dockerfile:3:1: .*file not found in build context.*nope\.txt/);
    });

    it('a source escaping the context, by ../ or by a symlink', async () => {
      await failing({ Dockerfile: 'ARG BASE\nFROM ${BASE}\nCOPY ../secret /x\n' }, /Dockerfile:3:1: .*forbidden path outside the build context: \.\.\/secret/);
      const err = await failing({ Dockerfile: 'ARG BASE\nFROM ${BASE}\nCOPY out/passwd /x\n', out: { link: '/etc' } }, /Dockerfile:3:1: .*does not resolve inside the build context/);
      assert.doesNotMatch(err, /root:x:0:0/);
    });

    it('a --chown naming a user the image lacks', async () => {
      await failing({ Dockerfile: 'ARG BASE\nFROM ${BASE}\nCOPY --chown=nosuch Dockerfile /x\n', x: 'x' }, /Dockerfile:3:1: .*nosuch/);
    });
  });
});
