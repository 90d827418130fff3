// Concurrency: four `hull build` processes at once on one fresh store — two of the same
// Dockerfile and context, two others sharing its base and one identical COPY step — all pull the
// same base, extract the same snapshots and write the same layers at the same time. All must
// succeed, the identical builds give one digest, the store holds each blob once and nothing in
// tmp/, and the records they wrote serve a later build of each fully from the cache. Needs root,
// runc and the test registry.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { publishBusybox } from '../helpers/bases.js';
import { fillTree } from '../helpers/context-tree.js';
import { assertStoreConsistent, hull, type HullExit, storeTags } from '../helpers/kill-points.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/scratch.js';
import { hasTool } from '../helpers/skopeo.js';

const isRoot = process.getuid?.() === 0;
const skip = (!isRoot && 'needs root') || (!hasTool('runc') && 'runc not installed') || false;

const EPOCH = { SOURCE_DATE_EPOCH: '1700000000' };

interface Job {
  tag: string;
  ctx: string;
  /** RUN, COPY and other filesystem steps: each is reported CACHED on a rebuild. */
  steps: number;
}

describe('hull builds running at once on one store', { skip }, () => {
  const dirs = scratchDirs('hull-concurrency-');
  let registry: TestRegistry;
  let jobs: Job[];

  before(async () => {
    registry = await startRegistry();
    const base = await publishBusybox(registry, join(dirs.root(), 'base-store'), dirs.root());
    const shared: Record<string, string> = {};
    for (let i = 0; i < 100; i++) shared[`shared/f${i}.txt`] = `shared ${i}\n`;
    const a = await fillTree(await dirs.fresh('ctx-a'), {
      ...shared,
      'a.txt': 'a\n',
      Dockerfile: `FROM ${base}\nCOPY shared/ /shared/\nRUN sleep 0.3 && cat /shared/* > /all && echo a > /a\nCOPY a.txt /a.txt\n`,
    });
    const b = await fillTree(await dirs.fresh('ctx-b'), {
      ...shared,
      Dockerfile: `FROM ${base}\nCOPY shared/ /shared/\nRUN echo b > /b && sleep 0.3\n`,
    });
    const c = await fillTree(await dirs.fresh('ctx-c'), {
      'c/one': '1\n',
      'c/two': '2\n',
      Dockerfile: `FROM ${base}\nRUN mkdir -p /var/c && echo c > /var/c/c && sleep 0.3\nCOPY c/ /c/\nRUN ls /c > /var/c/list\n`,
    });
    jobs = [
      { tag: 'hull-test/same:1', ctx: a, steps: 3 },
      { tag: 'hull-test/same:2', ctx: a, steps: 3 },
      { tag: 'hull-test/other-b:1', ctx: b, steps: 2 },
      { tag: 'hull-test/other-c:1', ctx: c, steps: 3 },
    ];
  });
  after(() => registry?.stop());

  const buildOf = (root: string, job: Job, ...flags: string[]): Promise<HullExit> => hull(['build', '--root', root, '--progress', 'plain', ...flags, '-t', job.tag, job.ctx], EPOCH);
  const full = (tag: string): string => `docker.io/${tag}`;

  async function layersOf(root: string, digest: string): Promise<string[]> {
    const manifest = JSON.parse(await readFile(join(root, 'oci', 'blobs', 'sha256', digest.slice('sha256:'.length)), 'utf8')) as { layers: { digest: string }[] };
    return manifest.layers.map((l) => l.digest);
  }

  async function allAtOnce(root: string, ...flags: string[]): Promise<Map<string, string>> {
    const started = Date.now();
    const results = await Promise.all(jobs.map((job) => buildOf(root, job, ...flags)));
    results.forEach((res, i) => assert.equal(res.code, 0, `${jobs[i]!.tag} failed:\n${res.output}`));
    console.log(`reliability-concurrency: 4 builds at once${flags.length > 0 ? ` (${flags.join(' ')})` : ''} in ${Date.now() - started} ms`);
    return storeTags(root);
  }

  it('all succeed, agree, share blobs and leave records a rebuild is served from', async () => {
    const root = await dirs.fresh('store');
    const tags = await allAtOnce(root);
    const digest = (job: Job): string => tags.get(full(job.tag))!;
    for (const job of jobs) assert.ok(digest(job), `${job.tag} is tagged`);
    assert.equal(digest(jobs[0]!), digest(jobs[1]!), 'the two identical builds give one digest');
    const [same, other] = [await layersOf(root, digest(jobs[0]!)), await layersOf(root, digest(jobs[2]!))];
    assert.deepEqual(other.slice(0, 2), same.slice(0, 2), 'the base layer and the identical COPY are the same blobs');
    await assertStoreConsistent(root);
    const snapshots = await readdir(join(root, 'snapshots'));
    assert.ok(snapshots.every((name) => /^[0-9a-f]{64}$/.test(name)), `only finished snapshots: ${snapshots.join(' ')}`);

    // The same four at once again, every step re-run: each layer is written again by several processes.
    const rerun = await allAtOnce(root, '--no-cache');
    for (const job of jobs) assert.equal(rerun.get(full(job.tag)), digest(job), `${job.tag} rebuilt without the cache gives the same digest`);
    await assertStoreConsistent(root);

    // One after the other now: whatever the concurrent builds recorded serves each step.
    for (const job of jobs) {
      const res = await buildOf(root, job);
      assert.equal(res.code, 0, res.output);
      const cached = res.output.split('\n').filter((line) => /^#\d+ CACHED$/.test(line)).length;
      assert.equal(cached, job.steps, `every step of ${job.tag} is CACHED:\n${res.output}`);
      assert.doesNotMatch(res.output, /writing layer/);
      assert.equal((await storeTags(root)).get(full(job.tag)), digest(job));
    }
    await assertStoreConsistent(root);
  });
});
