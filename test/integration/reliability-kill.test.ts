// Killed builds: `hull build --push` SIGKILLed (its whole process group) at random moments —
// while it pulls the base, runs a RUN step, extracts a snapshot, writes a layer or pushes — on
// one shared store. After every kill the next build on that store must succeed, leave no mount
// and no container of the killed process, and give the digest a clean build in its own store
// gives. Where each kill lands comes from a seeded PRNG (a point of the build's progress and a
// delay after it): the seed is printed, HULL_KILL_SEED replays it, and HULL_KILL_ITERATIONS
// changes the count (50). Needs root, runc and the test registry.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { publishBusybox } from '../helpers/bases.js';
import { runCli } from '../helpers/cli.js';
import { fillTree, type TreeNode } from '../helpers/context-tree.js';
import { assertStoreConsistent, containersOf, envCount, hull, killGroup, killSeed, mountsUnder, registryDigest, startHull, storeTags } from '../helpers/kill-points.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/scratch.js';
import { exited } from '../helpers/spawn.js';
import { hasTool } from '../helpers/skopeo.js';

const isRoot = process.getuid?.() === 0;
const skip = (!isRoot && 'needs root') || (!hasTool('runc') && 'runc not installed') || false;

/** Fixed build time: layers, config and history are then the same in every store. */
const EPOCH = { SOURCE_DATE_EPOCH: '1700000000' };
const ITERATIONS = envCount('HULL_KILL_ITERATIONS', 50);
const COPIED_FILES = 200;

/**
 * Where a kill lands: a random one of these moments of the build, plus a random delay of up to
 * MAX_DELAY_MS. Anchoring on the progress output, not on a fixed time since the start, keeps
 * every phase covered however fast or loaded the machine is.
 */
const KILL_POINTS: ReadonlyArray<readonly [name: string, pattern: RegExp]> = [
  ['start', /\[internal\] load build definition/],
  ['pull', /\] FROM /],
  ['first RUN (snapshot, container)', /\] RUN mkdir/],
  ['COPY', /\] COPY /],
  ['layer write', / writing layer\n/],
  ['last RUN', /\] RUN find/],
  ['export', /exporting to image/],
  ['push', /^image ID /m],
];
const MAX_DELAY_MS = 400;

/** What the build was doing when it died, from the last line of its progress that tells. */
function phaseOf(output: string): string {
  const lines = output.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (/^image ID |pushed/.test(line)) return 'push';
    if (/exporting to image|naming to/.test(line)) return 'export';
    if (/ writing layer$/.test(line)) return 'layer write';
    const step = /^#\d+ \[(?:stage-\d+ \d+\/\d+|internal)\] (\w+)/.exec(line);
    if (step) return step[1] === 'FROM' ? 'pull' : step[1] === 'load' ? 'start' : step[1]!;
  }
  return 'start';
}

describe('a SIGKILLed hull build', { skip }, () => {
  const dirs = scratchDirs('hull-kill-');
  let registry: TestRegistry;
  let ctx: string;

  before(async () => {
    registry = await startRegistry();
    const base = await publishBusybox(registry, join(dirs.root(), 'base-store'), dirs.root());
    const files: Record<string, TreeNode> = {};
    for (let i = 0; i < COPIED_FILES; i++) files[`files/d${i % 10}/f${i}.txt`] = `file ${i}\n`.repeat(1 + (i % 7));
    ctx = await fillTree(await dirs.fresh('ctx'), {
      ...files,
      Dockerfile: [
        `FROM ${base}`,
        'RUN mkdir /work && for i in $(seq 1 40); do echo "line $i" > /work/f$i; done',
        'COPY files/ /files/',
        'RUN find /files -type f | wc -l > /work/count && rm /work/f1 && ln -s /work/count /count',
        '',
      ].join('\n'),
    });
  });
  after(() => registry?.stop());

  // runc named: probing crun first (which refuses hosts with hybrid cgroups) costs every build a container start.
  const buildArgs = (root: string, ref: string): string[] => ['build', '--root', root, '--progress', 'plain', '--runtime', 'runc', '--push', '-t', ref, ctx];

  it(`leaves a store on which the next build succeeds with a clean build's digest (${ITERATIONS} kills)`, async () => {
    const { seed, rng } = killSeed();
    console.log(`reliability-kill: seed ${seed} (HULL_KILL_SEED=${seed} replays it), ${ITERATIONS} iterations`);

    const refRoot = await dirs.fresh('reference-store');
    const refTag = `${registry.host}/kill/reference:1`;
    const clean = await hull(buildArgs(refRoot, refTag), EPOCH);
    assert.equal(clean.code, 0, clean.output);
    const reference = (await storeTags(refRoot)).get(refTag);
    assert.ok(reference, 'the clean build is tagged');
    // SOURCE_DATE_EPOCH makes the digest a property of the inputs, not of the store or the time.
    const otherRoot = await dirs.fresh('reference-store');
    const again = await hull(buildArgs(otherRoot, `${registry.host}/kill/reference:2`), EPOCH);
    assert.equal(again.code, 0, again.output);
    assert.equal((await storeTags(otherRoot)).get(`${registry.host}/kill/reference:2`), reference, 'two clean builds in two stores give one digest');
    console.log(`reliability-kill: clean builds ${clean.ms} and ${again.ms} ms, digest ${reference}`);

    const root = await dirs.fresh('shared-store');
    const phases = new Map<string, number>();
    for (let i = 0; i < ITERATIONS; i++) {
      const tag = `${registry.host}/kill/app-${i}:1`;
      // Every killed build starts cold (nothing tagged, no build cache) so that it has all of pull,
      // RUN, snapshot, layer write and push ahead of it, on a store that keeps what earlier kills left.
      if (i > 0) {
        assert.equal((await runCli(['rmi', '--root', root, ...(await storeTags(root)).keys()])).code, 0);
        assert.equal((await runCli(['prune', '--all', '--root', root])).code, 0);
      }

      const [point, pattern] = KILL_POINTS[Math.floor(rng() * KILL_POINTS.length)]!;
      const delay = Math.floor(rng() * MAX_DELAY_MS);
      const victim = startHull(buildArgs(root, tag), EPOCH);
      void victim.reached(pattern).then(async (at) => {
        if (at === undefined) return;
        await sleep(delay);
        killGroup(victim.child);
      });
      const died = await victim.done;
      const phase = died.signal === 'SIGKILL' ? phaseOf(died.output) : 'finished';
      phases.set(phase, (phases.get(phase) ?? 0) + 1);
      const what = `iteration ${i} (seed ${seed}): kill ${delay} ms after ${point}, at ${died.ms} ms, in ${phase}`;

      const next = await hull(buildArgs(root, tag), EPOCH);
      console.log(`reliability-kill: ${what}; the next build took ${next.ms} ms`);
      assert.equal(next.code, 0, `${what}; the next build failed:\n${next.output}`);
      assert.deepEqual(await mountsUnder(root), [], `${what}: a mount is left`);
      assert.deepEqual(await readdir(join(root, 'tmp')), [], `${what}: temp files are left`);
      assert.deepEqual(containersOf(victim.child.pid!), [], `${what}: a container of the killed process is left`);
      assert.equal((await storeTags(root)).get(tag), reference, `${what}: the next build's digest`);
      assert.equal(await registryDigest(tag), reference, `${what}: the pushed digest`);
    }
    console.log(`reliability-kill: kills by phase: ${[...phases].map(([p, n]) => `${p} ${n}`).join(', ')}`);
    await assertStoreConsistent(root);
  });

  it('clears a container a kill left half-created: a state dir runc cannot list, cgroups, an init waiting', async (t) => {
    // The owner: a hull process that is gone (any process that has exited will do).
    const owner = spawn('sleep', ['30']);
    const ownerStart = readFileSync(`/proc/${owner.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19]!;
    owner.kill('SIGKILL');
    await exited(owner);
    const id = `hull-${owner.pid}-${ownerStart}-0123456789ab`;
    const state = join('/run/runc', id);
    await mkdir(state, { recursive: true });
    execFileSync('mkfifo', [join(state, 'exec.fifo')]);
    // runc's init, blocked on the fifo, in the container's own cgroup (v1 pids hierarchy, or v2).
    const cgroup = existsSync('/sys/fs/cgroup/pids') ? join('/sys/fs/cgroup/pids', id) : join('/sys/fs/cgroup', id);
    await mkdir(cgroup);
    const init = spawn('sleep', ['300'], { stdio: 'ignore' });
    t.after(() => init.kill('SIGKILL'));
    await writeFile(join(cgroup, 'cgroup.procs'), String(init.pid));

    const root = await dirs.fresh('half-created-store');
    const built = await hull(buildArgs(root, `${registry.host}/kill/half-created:1`), EPOCH);
    assert.equal(built.code, 0, built.output);
    const killed = await Promise.race([exited(init).then(() => true), sleep(5000).then(() => false)]);
    assert.ok(killed, 'the waiting init is killed');
    // Its cgroup goes once the kernel has reaped it: by this build or the next.
    if (existsSync(cgroup) || existsSync(state)) assert.equal((await hull(['build', '--no-cache', ...buildArgs(root, `${registry.host}/kill/half-created:1`).slice(1)], EPOCH)).code, 0);
    assert.equal(existsSync(state), false, 'the state dir is removed');
    assert.equal(existsSync(cgroup), false, 'the cgroup is removed');
  });
});
