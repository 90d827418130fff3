// Content-hash caching end to end: which steps a change rebuilds, why (--explain), and that a
// rebuild served by the cache gives the very same image. Real registry, overlayfs, runc; root.
import assert from 'node:assert/strict';
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BuildEvent } from '../../src/build/events.js';
import { build, type BuildOptions, type BuildResult } from '../../src/build/solver.js';
import { CacheIndex } from '../../src/cache/records.js';
import { Store } from '../../src/store/store.js';
import { publishBusybox } from '../helpers/bases.js';
import { runCli } from '../helpers/cli.js';
import { fillTree } from '../helpers/context-tree.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/scratch.js';

const isRoot = process.getuid?.() === 0;

const DOCKERFILE = `ARG BASE
FROM \${BASE}
ARG VERSION=1
LABEL purpose=cache-test
COPY deps.txt /deps.txt
RUN cat /deps.txt > /installed && date +%s%N > /t1
COPY src/ /src/
RUN echo "v$VERSION" > /version
RUN ls /src > /listing
`;

describe('build cache', { skip: !isRoot && 'needs root' }, () => {
  const dirs = scratchDirs('hull-cache-');
  let registry: TestRegistry;
  let base: string;

  before(async () => {
    registry = await startRegistry();
    base = await publishBusybox(registry, join(dirs.root(), 'base-store'), dirs.root());
  });
  after(() => registry?.stop());

  async function project(): Promise<{ ctx: string; root: string }> {
    const ctx = await fillTree(await dirs.fresh('ctx'), { Dockerfile: DOCKERFILE, 'deps.txt': 'libfoo\n', 'src/main.c': 'int main;\n', 'README.md': 'docs\n' });
    return { ctx, root: await dirs.fresh('store') };
  }

  /** Builds and returns the result with the explanations the build gave, by step text. */
  async function buildIn(p: { ctx: string; root: string }, more: Partial<BuildOptions> = {}): Promise<{ result: BuildResult; cached: string[]; rebuilt: string[]; why: Map<string, string> }> {
    const store = await Store.open(p.root);
    const names = new Map<number, string>();
    const why = new Map<string, string>();
    const onEvent = (e: BuildEvent): void => {
      if (e.kind === 'start') names.set(e.vertex, e.name.replace(/^\[[^\]]+\] /, ''));
      if (e.kind === 'status' && e.id === 'cache') why.set(names.get(e.vertex)!, e.text);
    };
    try {
      const result = await build({ store, contextDir: p.ctx, explain: true, onEvent, ...more, buildArgs: { BASE: base, ...more.buildArgs } });
      const layerSteps = result.steps.filter((s) => s.files !== undefined);
      return { result, cached: layerSteps.filter((s) => s.cached).map((s) => s.text), rebuilt: layerSteps.filter((s) => !s.cached).map((s) => s.text), why };
    } finally {
      await store.close();
    }
  }

  it('a rebuild with nothing changed runs nothing and gives the same image digest', async () => {
    const p = await project();
    const first = await buildIn(p);
    assert.equal(first.cached.length, 0);
    assert.equal(first.rebuilt.length, 5);
    const second = await buildIn(p);
    assert.deepEqual(second.rebuilt, []);
    assert.equal(second.result.manifest.digest, first.result.manifest.digest, 'same manifest, config and layers');
  });

  it('an unrelated file in the context changed: everything cached', async () => {
    const p = await project();
    await buildIn(p);
    await appendFile(join(p.ctx, 'README.md'), 'more docs\n');
    assert.deepEqual((await buildIn(p)).rebuilt, []);
  });

  it('one file changed: only the steps that depend on it rebuild, and --explain names the file', async () => {
    const p = await project();
    await buildIn(p);
    await writeFile(join(p.ctx, 'src/main.c'), 'int main(void) { return 0; }\n');
    const after = await buildIn(p);
    assert.deepEqual(after.cached, ['COPY deps.txt /deps.txt', 'RUN cat /deps.txt > /installed && date +%s%N > /t1']);
    assert.deepEqual(after.rebuilt, ['COPY src/ /src/', 'RUN echo "v$VERSION" > /version', 'RUN ls /src > /listing']);
    assert.equal(after.why.get('COPY src/ /src/'), 'not cached: files changed: src/main.c (content)');
    assert.equal(after.why.get('RUN ls /src > /listing'), 'not cached: an earlier step was rebuilt: line 7 (COPY src/ /src/): files changed: src/main.c (content)');
  });

  it('a build arg changed: only the steps from its first use rebuild, and --explain names it', async () => {
    const p = await project();
    await buildIn(p, { buildArgs: { VERSION: '1' } });
    const after = await buildIn(p, { buildArgs: { VERSION: '2' } });
    // Every RUN after the ARG line sees VERSION in its environment (as in BuildKit); COPY does not.
    assert.deepEqual(after.cached, ['COPY deps.txt /deps.txt']);
    assert.equal(after.why.get('RUN cat /deps.txt > /installed && date +%s%N > /t1'), 'not cached: build arg or env changed: VERSION');
  });

  it('a LABEL edit rebuilds nothing; a changed base image rebuilds everything and says so', async () => {
    const p = await project();
    await buildIn(p);
    await writeFile(join(p.ctx, 'Dockerfile'), DOCKERFILE.replace('purpose=cache-test', 'purpose=edited'));
    assert.deepEqual((await buildIn(p)).rebuilt, []);
    const other = `${registry.host}/base/other:1`;
    const tagged = await runCli(['build', '--root', join(dirs.root(), 'base-store'), '--progress', 'plain', '-t', other, '--push', await fillTree(await dirs.fresh('other'), { Dockerfile: `FROM ${base}\nRUN echo other > /other\n` })]);
    assert.equal(tagged.code, 0, tagged.err);
    const rebased = await buildIn(p, { buildArgs: { BASE: other } });
    assert.equal(rebased.cached.length, 0);
    assert.match(rebased.why.get('COPY deps.txt /deps.txt')!, /^not cached: an earlier step was rebuilt: line 2 \(FROM \$\{BASE\}\): the base image changed: now sha256:[0-9a-f]{64}, was sha256:[0-9a-f]{64}$/);
  });

  it('--no-cache rebuilds everything; --no-cache-filter only the named stages', async () => {
    const ctx = await fillTree(await dirs.fresh('ctx'), {
      Dockerfile: `ARG BASE\nFROM \${BASE} AS one\nRUN date +%s%N > /one\nFROM \${BASE} AS two\nCOPY --from=one /one /one\nRUN date +%s%N > /two\n`,
    });
    const p = { ctx, root: await dirs.fresh('store') };
    await buildIn(p);
    assert.equal((await buildIn(p, { noCache: true })).cached.length, 0);
    const filtered = await buildIn(p, { noCacheFilter: ['two'] });
    assert.deepEqual(filtered.cached, ['RUN date +%s%N > /one']);
    assert.deepEqual(filtered.rebuilt, ['COPY --from=one /one /one', 'RUN date +%s%N > /two']);
  });

  it('two CI machines sharing only a registry: the second runs no RUN and makes the same image', async () => {
    // Each RUN leaves a random value: had it run again, the image could not be the same.
    const ctx = await fillTree(await dirs.fresh('ctx'), {
      Dockerfile: `ARG BASE\nFROM \${BASE} AS build\nRUN cat /proc/sys/kernel/random/uuid > /artifact && echo only-in-build > /scratch\nFROM \${BASE}\nCOPY --from=build /artifact /artifact\nRUN cat /proc/sys/kernel/random/uuid > /stamp\n`,
    });
    const cacheRef = `${registry.host}/cache/app:buildcache`;
    const machineA = { ctx, root: await dirs.fresh('machine-a') };
    const machineB = { ctx, root: await dirs.fresh('machine-b') };
    const first = await buildIn(machineA, { cacheTo: [{ type: 'registry', ref: cacheRef, mode: 'max' }] });
    assert.equal(first.cached.length, 0);
    const second = await buildIn(machineB, { cacheFrom: [{ type: 'registry', ref: cacheRef, mode: 'min' }] });
    assert.deepEqual(second.rebuilt, [], 'no step ran on the second machine');
    assert.equal(second.result.manifest.digest, first.result.manifest.digest);
    // Only what the final image needs came down: the build stage's own layer stayed in the registry.
    const buildLayer = first.result.steps.find((s) => s.stage === 'build' && s.text.startsWith('RUN'))!;
    const store = await Store.open(machineB.root);
    try {
      const record = await new CacheIndex(store).read(buildLayer.key);
      assert.ok(record?.layer, 'the record came with the import');
      assert.equal(await store.hasBlob(record.layer.blob.digest), false, "its blob was never downloaded");
      for (const l of second.result.image.rootfs.diff_ids) assert.ok(l.startsWith('sha256:'));
    } finally {
      await store.close();
    }
    // A local directory works the same way.
    const dir = join(await dirs.fresh('cache-dir'), 'cache');
    await buildIn(machineA, { cacheTo: [{ type: 'local', dir, mode: 'min' }] });
    const third = await buildIn({ ctx, root: await dirs.fresh('machine-c') }, { cacheFrom: [{ type: 'local', dir, mode: 'min' }] });
    assert.deepEqual(third.rebuilt, ['RUN cat /proc/sys/kernel/random/uuid > /artifact && echo only-in-build > /scratch'], 'mode=min carries the final image\'s steps only');
  });

  it('the CLI prints CACHED for steps served by the cache', async () => {
    const p = await project();
    const args = ['build', '--root', p.root, '--progress', 'plain', '--build-arg', `BASE=${base}`, p.ctx];
    assert.equal((await runCli(args)).code, 0);
    const again = await runCli(args);
    assert.equal(again.code, 0, again.err);
    assert.equal(again.err.match(/^#\d+ CACHED$/gm)?.length, 5);
    const pruned = await runCli(['prune', '--root', p.root, '--all']);
    assert.equal(pruned.code, 0, pruned.err);
    assert.match(pruned.out, /Dropped the build cache \(.*records.*\)/);
    const cold = await runCli(args);
    assert.equal(cold.code, 0, cold.err);
    assert.equal(cold.err.match(/^#\d+ CACHED$/gm), null, 'prune --all dropped the build cache');
  });
});
