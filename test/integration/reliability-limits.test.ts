// Resource limits: a RUN step that fills the disk, a layer bigger than the space left, a RUN
// that forks without end and a fork bomb. Each must end with a clear error (or, for the bomb,
// stay within the pids limit until stopped), leave nothing mounted or running, and leave a store
// the next build uses. The store lives on a 64 MiB tmpfs, so that filling it harms nothing else.
// Needs root, runc and the test registry; the fork tests need the pids cgroup controller.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_PIDS_LIMIT } from '../../src/exec/bundle.js';
import { publishBusybox } from '../helpers/bases.js';
import { fillTree } from '../helpers/context-tree.js';
import { assertStoreConsistent, containersOf, mountsUnder, startHull, type HullExit, type RunningHull } from '../helpers/kill-points.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/scratch.js';
import { hasTool } from '../helpers/skopeo.js';

const isRoot = process.getuid?.() === 0;
const skip = (!isRoot && 'needs root (a tmpfs mount, runc)') || (!hasTool('runc') && 'runc not installed') || false;

/** Where the pids controller keeps containers' cgroups: cgroup v1's pids hierarchy, or the v2 root. */
const PIDS_CGROUP_ROOTS = ['/sys/fs/cgroup/pids', '/sys/fs/cgroup'];
const pidsController = existsSync('/sys/fs/cgroup/pids/cgroup.procs') || (existsSync('/sys/fs/cgroup/cgroup.controllers') && readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').split(/\s+/).includes('pids'));
const forkSkip = skip || (!pidsController && 'no pids cgroup controller here: runc cannot limit processes, and a fork bomb would reach the host') || false;

/** The pids cgroups of the containers of hull process `pid` (runc names them after the container). */
function pidsCgroups(pid: number): string[] {
  return PIDS_CGROUP_ROOTS.flatMap((parent) =>
    (existsSync(parent) ? readdirSync(parent) : []).filter((name) => name.startsWith(`hull-${pid}-`) && existsSync(join(parent, name, 'pids.current'))).map((name) => join(parent, name)),
  );
}

/** Samples the process count of hull process `pid`'s containers until `until` settles; the largest seen. */
async function peakProcesses(pid: number, until: Promise<unknown>, stopAt = Infinity): Promise<{ peak: number; limit: number | undefined }> {
  let running = true;
  void until.finally(() => (running = false));
  let peak = 0;
  let limit: number | undefined;
  while (running && peak < stopAt) {
    for (const cgroup of pidsCgroups(pid)) {
      try {
        peak = Math.max(peak, Number(readFileSync(join(cgroup, 'pids.current'), 'utf8')));
        limit = Number(readFileSync(join(cgroup, 'pids.max'), 'utf8'));
      } catch {
        // The container just went.
      }
    }
    await sleep(20);
  }
  return { peak, limit };
}

describe('resource limits of RUN steps', { skip }, () => {
  const dirs = scratchDirs('hull-limits-');
  let registry: TestRegistry;
  let base: string;
  let disk: string;
  let root: string;

  before(async () => {
    registry = await startRegistry();
    base = await publishBusybox(registry, join(dirs.root(), 'base-store'), dirs.root());
    // Its own directory, not one of dirs: it must be unmounted before it can be removed.
    disk = await mkdtemp(join(tmpdir(), 'hull-limits-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', disk]);
    root = join(disk, 'store');
  });
  after(async () => {
    if (disk !== undefined) {
      if ((await mountsUnder(disk)).length > 0) execFileSync('umount', ['-l', disk]);
      await rm(disk, { recursive: true, force: true });
    }
    await registry?.stop();
  });

  /** Starts a build of `FROM base` and `steps` on the tmpfs store. */
  async function start(steps: string, env: NodeJS.ProcessEnv = {}): Promise<RunningHull> {
    const ctx = await fillTree(await dirs.fresh('ctx'), { Dockerfile: `FROM ${base}\n${steps}\n` });
    return startHull(['build', '--root', root, '--progress', 'plain', '--runtime', 'runc', ctx], env);
  }

  /** A failed build left nothing: no mount, no container, no temp dir; and the store builds again. */
  async function assertCleanAfter(res: HullExit, pid: number): Promise<void> {
    assert.deepEqual(await mountsUnder(root), [], 'no mount left under the store');
    assert.deepEqual(await readdir(join(root, 'tmp')), [], 'no temp dir left');
    assert.deepEqual(containersOf(pid), [], 'no container left');
    assert.deepEqual(pidsCgroups(pid), [], 'no cgroup left');
    const next = await (await start('RUN echo fine > /fine')).done;
    assert.equal(next.code, 0, `a small build after the failure:\n${next.output}\n(the failure:\n${res.output.slice(-2000)})`);
    await assertStoreConsistent(root);
  }

  it('a RUN that fills the disk fails at its line with "No space left on device"', async () => {
    const run = await start('RUN dd if=/dev/zero of=/big bs=1M count=200');
    const res = await run.done;
    assert.equal(res.code, 1, res.output);
    assert.match(res.output, /error: .*Dockerfile:2:1: RUN dd if=\/dev\/zero of=\/big bs=1M count=200 returned exit code 1/);
    assert.match(res.output, /last output of the step:\n.*No space left on device/);
    await assertCleanAfter(res, run.child.pid!);
  });

  it('a layer bigger than the space left fails at its RUN line with "No space left on device"', async () => {
    // 40 MB of random bytes fit in the upper dir, but their gzip (as big) does not fit beside them.
    const run = await start('RUN head -c 40000000 /dev/urandom > /big');
    const res = await run.done;
    assert.equal(res.code, 1, res.output);
    assert.match(res.output, /error: .*Dockerfile:2:1: RUN head -c 40000000 \/dev\/urandom > \/big: No space left on device/);
    await assertCleanAfter(res, run.child.pid!);
  });

  it(`a RUN forking without end fails at the pids limit (${DEFAULT_PIDS_LIMIT}) with a clear error`, { skip: forkSkip }, async () => {
    // Bounded as well, so that a runtime ignoring the limit fails this test without sinking the host.
    const run = await start('RUN i=0; while [ $i -lt 20000 ]; do sleep 1000 & i=$((i+1)); done');
    const { peak, limit } = await peakProcesses(run.child.pid!, run.done);
    const res = await run.done;
    console.log(`reliability-limits: fork loop peaked at ${peak} processes (pids.max ${limit}), build ${res.ms} ms`);
    assert.equal(limit, DEFAULT_PIDS_LIMIT, 'the container runs under the default pids limit');
    assert.ok(peak <= DEFAULT_PIDS_LIMIT, `at most ${DEFAULT_PIDS_LIMIT} processes: ${peak}`);
    assert.equal(res.code, 1, res.output);
    assert.match(res.output, /error: .*Dockerfile:2:1: RUN i=0; while .* returned exit code \d+/);
    assert.match(res.output, /last output of the step:\n.*can't fork/);
    await assertCleanAfter(res, run.child.pid!);
  });

  it('a fork bomb stays within HULL_PIDS_LIMIT, and stopping the build removes every process', { skip: forkSkip }, async () => {
    const limit = 256;
    // `exec sleep` keeps the container's init alive: when init exits, the kernel ends the bomb itself.
    const run = await start('RUN f(){ f|f& }; f; exec sleep 1000', { HULL_PIDS_LIMIT: String(limit) });
    const watched = await peakProcesses(run.child.pid!, Promise.race([run.done, sleep(20_000)]), limit);
    // hull has no step timeout: stop it as a CI job's timeout would; its cleanup must take the bomb down.
    run.child.kill('SIGTERM');
    const res = await run.done;
    console.log(`reliability-limits: fork bomb peaked at ${watched.peak} processes (pids.max ${watched.limit}), stopped after ${res.ms} ms`);
    assert.equal(watched.limit, limit, 'HULL_PIDS_LIMIT reaches the container');
    assert.ok(watched.peak >= limit * 0.9, `the bomb ran into the limit: ${watched.peak}`);
    assert.ok(watched.peak <= limit, `at most ${limit} processes: ${watched.peak}`);
    assert.equal(res.signal, 'SIGTERM', res.output);
    await assertCleanAfter(res, run.child.pid!);
  });
});
