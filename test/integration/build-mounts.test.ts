// RUN --mount=type=cache and --mount=type=secret end to end: real builds FROM a busybox base on a
// real registry, in an OCI runtime over overlayfs. Caches must outlive builds and stay out of
// layers; a secret's value must reach the step and nothing else: no store file, no registry
// file, no history, no progress output, no error message. Needs root.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { lstat, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { pendingCleanups } from '../../src/exec/cleanup.js';
import { publishBusybox } from '../helpers/bases.js';
import { imageConfig, layerEntryNames, unpackImage } from '../helpers/built-image.js';
import { runCli } from '../helpers/cli.js';
import { fillTree } from '../helpers/context-tree.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/scratch.js';
import { hasTool, skopeo } from '../helpers/skopeo.js';

const isRoot = process.getuid?.() === 0;
const skip = (!isRoot && 'needs root') || (!hasTool('umoci') && 'umoci not installed') || false;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Every file under `dir` holding `needle`, gzip members searched decompressed. */
async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  const visit = async (path: string): Promise<void> => {
    const info = await lstat(path);
    if (info.isDirectory()) {
      for (const name of await readdir(path)) await visit(join(path, name));
      return;
    }
    if (!info.isFile()) return;
    const bytes = await readFile(path);
    const plain = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
    if (bytes.includes(needle) || plain.includes(needle)) hits.push(path);
  };
  await visit(dir);
  return hits;
}

describe('RUN --mount=type=cache and type=secret', { skip }, () => {
  const dirs = scratchDirs('hull-build-mounts-');
  let registry: TestRegistry;
  let base: string;

  before(async () => {
    registry = await startRegistry();
    base = await publishBusybox(registry, join(dirs.root(), 'base-store'), dirs.root());
  });
  after(async () => {
    await registry?.stop();
  });

  async function context(dockerfile: string): Promise<string> {
    return fillTree(await dirs.fresh('ctx'), { Dockerfile: `ARG BASE\nFROM \${BASE}\n${dockerfile}` });
  }

  function hullBuild(root: string, ctx: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
    return runCli(['build', '--root', root, '--progress', 'plain', '--build-arg', `BASE=${base}`, ...args, ctx]);
  }

  async function fileIn(root: string, ref: string, path: string): Promise<string> {
    return readFile(join(unpackImage(root, `docker.io/${ref}`, await dirs.fresh('unpacked')), path), 'utf8');
  }

  const cacheDir = (root: string, id: string, sub = 'shared'): string => join(root, 'cache', 'mounts', sha256(id), sub);

  describe('cache mounts', () => {
    it('keep their content between builds of one store, and never reach a layer', async () => {
      const ctx = await context(`ARG N
RUN --mount=type=cache,target=/cache sh -c 'echo run-$N >> /cache/log; wc -l < /cache/log > /count'
RUN --mount=type=cache,target=/root/.cache,id=nested touch /root/.cache/x
`);
      const root = await dirs.fresh('store');
      for (const n of ['1', '2']) {
        const res = await hullBuild(root, ctx, '--build-arg', `N=${n}`, '-t', `local/cache:${n}`);
        assert.equal(res.code, 0, res.err);
      }
      assert.equal((await fileIn(root, 'local/cache:2', 'count')).trim(), '2');
      assert.equal(await readFile(join(cacheDir(root, '/cache'), 'log'), 'utf8'), 'run-1\nrun-2\n', 'the id defaults to the target');
      const names = await layerEntryNames(root, 'local/cache:2');
      assert.deepEqual(names.filter((n) => /^(\.\/)?cache(\/|$)|\.cache/.test(n)), [], `no mount point in a layer: ${names.join(' ')}`);
      const history = (await imageConfig(root, 'local/cache:2')).history!;
      assert.equal(history.at(-1)!.empty_layer, true, 'a RUN writing only into a cache under an existing /root leaves no layer');
      assert.equal(pendingCleanups(), 0);
    });

    it('take mode, uid and gid when made, and seed from a stage with from= and source=', async () => {
      const ctx = await context(`RUN mkdir -p /seed/sub && echo seeded > /seed/sub/f && chown -R 1000:1000 /seed/sub
FROM \${BASE}
RUN --mount=type=cache,id=owned,target=/c,mode=0750,uid=1000,gid=50 stat -c %a:%u:%g /c > /owned
RUN --mount=type=cache,id=seeded,target=/c,from=0,source=/seed/sub sh -c 'cat /c/f > /seeded; stat -c %u /c >> /seeded'
`);
      const root = await dirs.fresh('store');
      const res = await hullBuild(root, ctx, '-t', 'local/cache-opts:1');
      assert.equal(res.code, 0, res.err);
      assert.equal(await fileIn(root, 'local/cache-opts:1', 'owned'), '750:1000:50\n');
      assert.equal(await fileIn(root, 'local/cache-opts:1', 'seeded'), 'seeded\n1000\n');
    });

    it('with sharing=locked, run concurrent builds one at a time on one directory', async () => {
      const ctx = await context(`ARG ME
RUN --mount=type=cache,id=locked,target=/cache,sharing=locked sh -c 'echo start-$ME >> /cache/log; sleep 1; echo end-$ME >> /cache/log'
`);
      const root = await dirs.fresh('store');
      const results = await Promise.all(['a', 'b'].map((me) => hullBuild(root, ctx, '--build-arg', `ME=${me}`)));
      for (const r of results) assert.equal(r.code, 0, r.err);
      const log = (await readFile(join(cacheDir(root, 'locked'), 'log'), 'utf8')).trim().split('\n');
      assert.equal(log.length, 4);
      const [first, second] = [log[0]!.slice(6), log[2]!.slice(6)];
      assert.deepEqual(log, [`start-${first}`, `end-${first}`, `start-${second}`, `end-${second}`], 'the second RUN waited for the first');
      assert.deepEqual([first, second].sort(), ['a', 'b']);
    });

    it('with sharing=private, give concurrent builds separate directories, while shared ones meet', async () => {
      // Each RUN marks its private cache, then waits on a shared cache until the other RUN is there too.
      const ctx = await context(`ARG ME
ARG OTHER
RUN --mount=type=cache,id=meet,target=/meet --mount=type=cache,id=mine,target=/cache,sharing=private sh -c 'touch /cache/$ME /meet/$ME; i=0; until [ -e /meet/$OTHER ] || [ $i -ge 300 ]; do sleep 0.1; i=$((i+1)); done; ls /cache > /seen; ls /meet > /met'
`);
      const root = await dirs.fresh('store');
      const results = await Promise.all(
        [['a', 'b'], ['b', 'a']].map(([me, other]) => hullBuild(root, ctx, '--build-arg', `ME=${me}`, '--build-arg', `OTHER=${other}`, '-t', `local/private:${me}`)),
      );
      for (const r of results) assert.equal(r.code, 0, r.err);
      for (const me of ['a', 'b']) {
        assert.equal(await fileIn(root, `local/private:${me}`, 'met'), 'a\nb\n', 'the shared cache is one directory');
        assert.equal(await fileIn(root, `local/private:${me}`, 'seen'), `${me}\n`, 'each private cache is its own');
      }
      const dirsMade = (await readdir(join(root, 'cache', 'mounts', sha256('mine')))).sort();
      assert.deepEqual(dirsMade, ['private-0', 'private-1']);
    });
  });

  describe('secret mounts', () => {
    const value = `hull-secret-${randomBytes(16).toString('hex')}`;
    const envValue = `hull-env-secret-${randomBytes(16).toString('hex')}`;
    const envName = 'HULL_TEST_SECRET_TOKEN';
    let secretFile = '';

    before(async () => {
      secretFile = join(await dirs.fresh('secret-src'), 'tok');
      await writeFile(secretFile, value);
      process.env[envName] = envValue;
    });
    after(() => {
      delete process.env[envName];
    });

    const secretArgs = (): string[] => ['--secret', `id=tok,src=${secretFile}`, '--secret', `id=envtok,env=${envName}`];

    it('reach the step as files and variables, and appear in no layer, history, store file, registry file or output', async () => {
      const ctx = await context(`ARG TOK_SHA
ARG ENV_SHA
RUN --mount=type=secret,id=tok cat /run/secrets/tok > /dev/null && test "$(sha256sum < /run/secrets/tok | cut -d ' ' -f 1)" = "$TOK_SHA"
RUN --mount=type=secret,id=envtok,env=TOK test ! -e /run/secrets/envtok && test "$(printf %s "$TOK" | sha256sum | cut -d ' ' -f 1)" = "$ENV_SHA"
RUN mkdir /run
RUN --mount=type=secret,id=tok,env=TOK,target=/etc/tok,uid=1000,mode=0440 test -n "$TOK" && test "$(stat -c %u:%a /etc/tok)" = 1000:440
RUN --mount=type=secret,id=tok test -f /run/secrets/tok
USER app
RUN --mount=type=secret,id=tok,uid=1000 cat /run/secrets/tok > /dev/null
`);
      const ref = `${registry.host}/secret/app:1`;
      const shas = ['--build-arg', `TOK_SHA=${sha256(value)}`, '--build-arg', `ENV_SHA=${sha256(envValue)}`];
      const root = await dirs.fresh('store');
      const plain = await hullBuild(root, ctx, ...secretArgs(), ...shas, '-t', ref, '--push');
      assert.equal(plain.code, 0, plain.err);
      const jsonRoot = await dirs.fresh('store');
      const json = await runCli(['build', '--root', jsonRoot, '--progress', 'json', '--build-arg', `BASE=${base}`, ...secretArgs(), ...shas, ctx]);
      assert.equal(json.code, 0, json.err);

      const history = (await imageConfig(root, ref)).history!;
      const runs = history.filter((h) => h.created_by?.startsWith('RUN') === true).slice(-6);
      assert.deepEqual(runs.map((h) => h.empty_layer === true), [true, true, false, true, true, true], `only mkdir /run makes a layer: ${JSON.stringify(runs)}`);
      const names = await layerEntryNames(root, ref);
      assert.deepEqual(names.filter((n) => /secrets|tok/.test(n)), []);

      for (const secret of [value, envValue]) {
        assert.deepEqual(await filesContaining(root, secret), [], 'store (plain progress)');
        assert.deepEqual(await filesContaining(jsonRoot, secret), [], 'store (json progress)');
        assert.deepEqual(await filesContaining(registry.dir, secret), [], 'registry storage');
        for (const text of [plain.out, plain.err, json.out, json.err, JSON.stringify(history)]) assert.ok(!text.includes(secret), 'output and history');
      }
      assert.deepEqual(await readdir(join(root, 'tmp')), [], 'nothing left in tmp/');
      assert.equal(pendingCleanups(), 0);
    });

    it('stay out of an exported cache: every file of a local cache and every blob of a registry cache, decompressed', async () => {
      const ctx = await context(`RUN --mount=type=secret,id=tok cat /run/secrets/tok > /dev/null && echo used > /used
RUN --mount=type=secret,id=envtok,env=TOK test -n "$TOK" && echo env > /env
`);
      const root = await dirs.fresh('store');
      const local = await dirs.fresh('cache-local');
      const cacheRef = `${registry.host}/secret/cache:1`;
      const res = await hullBuild(root, ctx, ...secretArgs(), '--cache-to', `type=registry,ref=${cacheRef},mode=max`, '--cache-to', `type=local,dest=${local},mode=max`);
      assert.equal(res.code, 0, res.err);
      // Every blob of the registry's cache, fetched (and checked against its digest) by skopeo.
      const fetched = await dirs.fresh('cache-fetched');
      await skopeo('copy', '--src-tls-verify=false', `docker://${cacheRef}`, `dir:${fetched}`);

      // Not an empty export: both RUNs are in its records, their layers beside them.
      const index = JSON.parse(await readFile(join(local, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
      const blob = (digest: string): Promise<Buffer> => readFile(join(local, 'blobs', 'sha256', digest.slice('sha256:'.length)));
      const manifest = JSON.parse((await blob(index.manifests[0]!.digest)).toString()) as { layers: { digest: string }[] };
      const records = (JSON.parse((await blob(manifest.layers[0]!.digest)).toString()) as { records: unknown[] }).records;
      assert.equal(records.length, 2);
      assert.equal(manifest.layers.length, 3);

      for (const secret of [value, envValue]) {
        // The value, and what would give it away: its base64 and its digest (a key that hashed it would let a guess be checked).
        const encoded = Buffer.from(secret).toString('base64');
        for (const needle of [secret, encoded, sha256(secret)]) {
          assert.deepEqual(await filesContaining(local, needle), [], 'local cache export');
          assert.deepEqual(await filesContaining(fetched, needle), [], 'registry cache export');
          assert.deepEqual(await filesContaining(root, needle), [], 'store');
          assert.ok(!res.out.includes(needle) && !res.err.includes(needle), 'output');
        }
        // Not the digest here: the first test put it in an image of this registry on purpose (a build-arg).
        for (const needle of [secret, encoded]) assert.deepEqual(await filesContaining(registry.dir, needle), [], 'registry storage');
      }
    });

    it('stay out of the error of a failing RUN that uses them', async () => {
      const ctx = await context('RUN --mount=type=secret,id=envtok,env=TOK --mount=type=secret,id=tok test "$TOK" = "$(cat /run/secrets/tok)"\n');
      const root = await dirs.fresh('store');
      const res = await hullBuild(root, ctx, ...secretArgs());
      assert.equal(res.code, 1);
      assert.match(res.err, /returned exit code 1/);
      for (const secret of [value, envValue]) {
        assert.ok(!res.err.includes(secret) && !res.out.includes(secret));
        assert.deepEqual(await filesContaining(root, secret), []);
      }
      assert.deepEqual(await readdir(join(root, 'tmp')), []);
    });

    it('when not given, skip the mount unless required=true, which fails naming the id and the line', async () => {
      const optional = await context('RUN --mount=type=secret,id=absent test ! -e /run/secrets/absent && touch /skipped\n');
      const root = await dirs.fresh('store');
      const ok = await hullBuild(root, optional, '-t', 'local/optional:1');
      assert.equal(ok.code, 0, ok.err);
      assert.equal(await fileIn(root, 'local/optional:1', 'skipped'), '');

      const required = await context('RUN true\nRUN --mount=type=secret,id=absent,required=true true\n');
      const res = await hullBuild(root, required, ...secretArgs());
      assert.equal(res.code, 1);
      assert.match(res.err, /secret "absent" is required/);
      assert.match(res.err, /Dockerfile:4/);
      for (const secret of [value, envValue]) assert.ok(!res.err.includes(secret));
    });
  });
});
