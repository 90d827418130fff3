// Rebuilds of a big context: 20,000 files, ~200 MB (bench/rebuild/tree.ts), built with
//   FROM <busybox base built by hull FROM scratch> / COPY . /app / RUN ls /app | wc -l > /count
// through the CLI (`bin/hull build --progress plain`, as a user runs it: its shebang sets V8 and malloc options), each build its own process under GNU
// time, so the seconds and the peak RSS are what a user sees. Cases: cold (fresh store holding
// only the base), warm with nothing changed, after one small file changed, after `touch` of every
// file (every stat record stale: 200 MB hashed again, every step still cached); floors on the
// same tree (`tar c . | sha256sum`, `find . -type f | wc -l`); and a one-file context's warm
// rebuild (the fixed cost of a build). One build of the warm, changed and touched kinds runs again
// under `node --cpu-prof` (profiles in bench/rebuild/.work/, ignored by git) to say where the time
// goes. Prints a table and writes bench/rebuild/latest.json and README.md.
//
//   npm run bench:rebuild       (or: npm run build && node dist/bench/rebuild/run.js)
//   as root (overlayfs and runc), with GNU time (apt-get install time) and busybox-static
//   HULL_BENCH_REBUILD_DIR=DIR  where the context and the store live (default /tmp/hull-bench-rebuild)
//   node dist/bench/rebuild/run.js --readme    rewrites README.md from latest.json, measuring nothing
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, availableParallelism, cpus, loadavg, platform, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { build } from '../../src/build/solver.js';
import { Store } from '../../src/store/store.js';
import { busyboxBaseContext } from '../../test/helpers/bases.js';
import { repoRoot } from '../../test/helpers/paths.js';
import { summarizeProfile, type ProfileSummary } from './profile.js';
import { DOCKERFILE, editFile, ensureTree, restoreEditable, type TreeInfo } from './tree.js';
import { hullCommand } from '../hull-env.js';

const REPO = repoRoot();
const HULL = join(REPO, 'bin', 'hull');
const BENCH = join(REPO, 'bench', 'rebuild');
const WORK = process.env.HULL_BENCH_REBUILD_DIR ?? join(tmpdir(), 'hull-bench-rebuild');
const CONTEXT = join(WORK, 'context');
const TINY = join(WORK, 'tiny');
const STORE = join(WORK, 'store');
const PROFILES = join(BENCH, '.work', 'profiles');
const TIME_FILE = join(WORK, 'time.out');
const BASE_REF = 'bench/busybox:1';
const TAG = 'bench/rebuild:1';
const ROUNDS = { warm: 5, changed: 5, touched: 3, floor: 3 };

// ---------------------------------------------------------------------------------------------
// Measuring

interface BuildRun {
  seconds: number;
  rssMiB: number;
  /** User + system CPU seconds of the hull process and its children (GNU time %U + %S; less skewed by other load than the wall time). */
  cpuSeconds: number;
  /** Layer steps (every `[stage i/n]` but FROM) and how many of them printed CACHED. */
  steps: number;
  cached: number;
  /** When COPY ran: its step's seconds and, within them, writing its layer (from the plain output). */
  copySeconds?: number;
  layerSeconds?: number;
}

function hullBuild(context: string, tag: string, nodeArgs: string[] = []): BuildRun {
  rmSync(TIME_FILE, { force: true });
  const command = hullCommand(HULL, ['build', '--root', STORE, '--progress', 'plain', '-t', tag, context], nodeArgs);
  const args = ['-f', '%e %M %U %S', '-o', TIME_FILE, command.cmd, ...command.args];
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', args, { encoding: 'utf8', maxBuffer: 64 << 20, env: command.env });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const output = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`hull build ${context} failed (exit ${r.status}):\n${output.slice(-4000)}`);
  // GNU time writes "Command exited with non-zero status" above its line on failure: take the last
  const [, kib, user, sys] = readFileSync(TIME_FILE, 'utf8').trim().split('\n').pop()!.split(' ').map(Number) as [number, number, number, number];
  const layerSteps = new Set([...output.matchAll(/^#(\d+) \[[^\]]* \d+\/\d+\] (.*)$/gm)].filter((m) => !m[2]!.startsWith('FROM ')).map((m) => m[1]!));
  const cached = [...output.matchAll(/^#(\d+) CACHED$/gm)].filter((m) => layerSteps.has(m[1]!)).length;
  const run: BuildRun = { seconds, rssMiB: kib / 1024, cpuSeconds: user + sys, steps: layerSteps.size, cached };
  const copy = [...output.matchAll(/^#(\d+) \[[^\]]* \d+\/\d+\] COPY /gm)][0]?.[1];
  const copyDone = copy && output.match(new RegExp(`^#${copy} DONE ([\\d.]+)s$`, 'm'));
  const layer = copy && output.match(new RegExp(`^#${copy} writing layer sha256:\\S+ ([\\d.]+)s done$`, 'm'));
  if (copyDone) run.copySeconds = Number(copyDone[1]);
  if (layer) run.layerSeconds = Number(layer[1]);
  return run;
}

function shellSeconds(script: string): number {
  const start = process.hrtime.bigint();
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', script], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`${script} failed`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Row {
  name: string;
  runs: number;
  seconds: number;
  min: number;
  max: number;
  rssMiB: number | null;
  cpuSeconds: number | null;
  /** "2/2": layer steps served by the cache (for hull builds). */
  cached: string | null;
  /** Median seconds of the COPY step and of writing its layer, when COPY ran. */
  copySeconds: number | null;
  layerSeconds: number | null;
  samples: { seconds: number; rssMiB?: number; cpuSeconds?: number; cached?: number; copySeconds?: number; layerSeconds?: number }[];
}

function buildRow(name: string, runs: BuildRun[]): Row {
  const s = runs.map((r) => r.seconds);
  const cached = [...new Set(runs.map((r) => `${r.cached}/${r.steps}`))].join(', ');
  return {
    name,
    runs: runs.length,
    seconds: median(s),
    min: Math.min(...s),
    max: Math.max(...s),
    rssMiB: median(runs.map((r) => r.rssMiB)),
    cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
    cached,
    copySeconds: runs.every((r) => r.copySeconds !== undefined) ? median(runs.map((r) => r.copySeconds!)) : null,
    layerSeconds: runs.every((r) => r.layerSeconds !== undefined) ? median(runs.map((r) => r.layerSeconds!)) : null,
    samples: runs.map((r) => ({ seconds: r.seconds, rssMiB: r.rssMiB, cpuSeconds: r.cpuSeconds, cached: r.cached, copySeconds: r.copySeconds, layerSeconds: r.layerSeconds })),
  };
}

function floorRow(name: string, samples: number[]): Row {
  return { name, runs: samples.length, seconds: median(samples), min: Math.min(...samples), max: Math.max(...samples), rssMiB: null, cpuSeconds: null, cached: null, copySeconds: null, layerSeconds: null, samples: samples.map((seconds) => ({ seconds })) };
}

async function rounds(n: number, before: (i: number) => void | Promise<void>, run: () => BuildRun, label: string): Promise<BuildRun[]> {
  const out: BuildRun[] = [];
  for (let i = 0; i < n; i++) {
    await before(i);
    const r = run();
    process.stdout.write(`  ${label} ${i + 1}/${n}: ${r.seconds.toFixed(2)} s (CPU ${r.cpuSeconds.toFixed(2)} s), ${r.rssMiB.toFixed(0)} MiB, CACHED ${r.cached}/${r.steps}\n`);
    out.push(r);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Setup

function preflight(): void {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('bench/rebuild needs root: the RUN step mounts overlayfs and runs runc (sudo npm run bench:rebuild)');
  if (!existsSync('/usr/bin/time')) problems.push('GNU time is missing (it measures each build\'s peak RSS): apt-get install time');
  if (!existsSync('/bin/busybox')) problems.push('/bin/busybox is missing (the base image is made from it): apt-get install busybox-static');
  if (!existsSync(join(REPO, 'dist', 'src', 'cli', 'hull.mjs'))) problems.push('hull is not built: npm run build');
  if (problems.length > 0) {
    for (const p of problems) console.error(`bench/rebuild: ${p}`);
    process.exit(1);
  }
}

/** A fresh store holding only the busybox base, built by hull FROM scratch (test/helpers/bases.ts). */
async function freshStoreWithBase(): Promise<void> {
  rmSync(STORE, { recursive: true, force: true });
  const dir = join(WORK, 'busybox-base');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await busyboxBaseContext(dir);
  const store = await Store.open(STORE);
  try {
    const result = await build({ store, contextDir: dir });
    await store.tag(BASE_REF, result.manifest);
  } finally {
    await store.close();
  }
}

function writeIfChanged(path: string, text: string): void {
  if (!existsSync(path) || readFileSync(path, 'utf8') !== text) writeFileSync(path, text);
}

// ---------------------------------------------------------------------------------------------
// Report

interface Environment {
  node: string;
  platform: string;
  os: string;
  cpu: string | undefined;
  cpus: number;
  load: [number, number];
}

const HEADER = ['case', 'runs', 'seconds (median)', 'min–max', 'CPU s', 'peak RSS MiB', 'CACHED', 'COPY s (layer write s)'];

function cells(r: Row): string[] {
  const copy = r.copySeconds === null ? '' : `${r.copySeconds.toFixed(1)}${r.layerSeconds === null ? '' : ` (${r.layerSeconds.toFixed(1)})`}`;
  return [r.name, String(r.runs), r.seconds.toFixed(2), `${r.min.toFixed(2)}–${r.max.toFixed(2)}`, r.cpuSeconds === null ? '' : r.cpuSeconds.toFixed(2), r.rssMiB === null ? '' : r.rssMiB.toFixed(0), r.cached ?? '', copy];
}

function textTable(rows: Row[]): string {
  const all = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

function markdownTable(rows: Row[]): string {
  const escape = (c: string): string => c.replaceAll('|', '\\|');
  return [`| ${HEADER.join(' | ')} |`, '|---|---:|---:|---:|---:|---:|---:|---:|', ...rows.map((r) => `| ${cells(r).map(escape).join(' | ')} |`)].join('\n');
}

interface Profiled {
  name: string;
  seconds: number;
  cached: string;
  file: string;
  summary: ProfileSummary;
}

/** One more build of `name`'s kind under `node --cpu-prof` (the main thread only; "(idle)" is waiting for libuv's pool or a child). */
async function profiled(name: string, slug: string, before: () => void | Promise<void>): Promise<Profiled | undefined> {
  const dir = join(PROFILES, slug);
  mkdirSync(dir, { recursive: true });
  await before();
  const r = hullBuild(CONTEXT, TAG, ['--cpu-prof', '--cpu-prof-dir', dir]);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  console.log(`  profiled ${name}: ${r.seconds.toFixed(2)} s, CACHED ${r.cached}/${r.steps}${file ? '' : ', no profile written'}`);
  if (file === undefined) return undefined;
  return { name, seconds: r.seconds, cached: `${r.cached}/${r.steps}`, file: join(dir, file), summary: summarizeProfile(join(dir, file), REPO) };
}

const PROFILE_HEADS = { functions: 'function (self time)', files: 'file (self time)', hull: 'charged to the nearest hull function on the stack' };

function profileTable(p: ProfileSummary, which: keyof typeof PROFILE_HEADS, top: number): string {
  const head = PROFILE_HEADS[which];
  return [`| ${head} | ms | % |`, '|---|---:|---:|', ...p[which].slice(0, top).map((l) => `| \`${l.name}\` | ${l.ms.toFixed(0)} | ${l.share.toFixed(1)} |`)].join('\n');
}

function profileSection(profiles: Profiled[]): string {
  if (profiles.length === 0) return '';
  const parts = profiles.map((p, i) => {
    const tables = i === 0 ? `${profileTable(p.summary, 'hull', 12)}\n\n${profileTable(p.summary, 'functions', 8)}` : profileTable(p.summary, 'hull', 10);
    return `### ${p.name} (${p.seconds.toFixed(2)} s under the profiler, ${p.summary.totalMs} ms profiled, CACHED ${p.cached})\n\n${tables}`;
  });
  return `## Where the time goes

One more build of each kind under \`node --cpu-prof\` (profiles in \`bench/rebuild/.work/profiles/\`):
time on hull's main thread, each sample charged to the innermost frame of hull's own code on its
stack (so a native \`lstat\` counts under the hull function that called it; async callbacks of
Node's streams and fs run with no hull frame above them and are counted by area), and for the
warm rebuild also raw self time. \`(idle)\` is the main thread waiting — for libuv's thread pool
(file system calls), the gzip threads or runc. Full profiles: \`bench/rebuild/.work/profiles/\`.

${parts.join('\n\n')}
`;
}

function readme(env: Environment, tree: TreeInfo, rows: Row[], profiles: Profiled[]): string {
  const mb = (tree.bytes / 1e6).toFixed(0);
  return `# Rebuild benchmark

How fast \`hull build\` rebuilds a big context, and how much memory it takes. The context
(\`bench/rebuild/tree.ts\`, from a seeded \`mulberry32\`, made once under \`${WORK}/context\`) is
${tree.files.toLocaleString('en')} files, ${mb} MB, in ${tree.directories} directories: ${tree.small.toLocaleString('en')} files under 16 KB (mostly text), ${tree.medium.toLocaleString('en')}
from 16 to 256 KB, ${tree.large} up to ${(tree.largest / 1e6).toFixed(1)} MB (mostly random bytes). Its Dockerfile:

\`\`\`
FROM ${BASE_REF}
COPY . /app
RUN ls /app | wc -l > /count
\`\`\`

The base is Debian's static busybox built by hull \`FROM scratch\` (\`test/helpers/bases.ts\`) into
the bench's store, so no registry is involved. Every build is
\`bin/hull build --root STORE --progress plain -t ${TAG} CONTEXT\` in its own process under GNU time:
the seconds are the wall time of the whole command and the RSS its peak (\`%M\`), as a user sees
them; CPU s is its user + system time (\`%U\` + \`%S\`, children included), which other load on
the machine skews less than the wall time. CACHED counts the layer steps (COPY, RUN) the plain output marks \`#N CACHED\`; the COPY
column is that step's \`DONE\` time and, in brackets, its \`writing layer\` time.

- **cold**: a fresh store holding only the base: every file hashed, copied and packed into a
  ${mb} MB COPY layer (gzip), RUN run.
- **warm, nothing changed**: every stat record matches, no file is read.
- **one file changed**: a small text file gets a new first line (same size) before each run: that
  file is hashed, then COPY and RUN miss and run again.
- **touch every file**: \`find . -type f -exec touch {} +\` before each run: every stat record is
  stale, so all ${mb} MB are read and hashed again, yet the hashes match and both steps are cached.
- **one-file context, warm**: the same Dockerfile over a context of one file: the fixed cost of
  a build (starting node, loading hull, the store, the plain output).
- **floors**: \`tar c . | sha256sum\` (read and hash every byte, in C) and \`find . -type f | wc -l\`
  (the walk) on the same tree.

Run it as root (overlayfs, runc) with GNU time (\`apt-get install time\`) and \`busybox-static\`:
\`npm run bench:rebuild\` (or \`npm run build && node dist/bench/rebuild/run.js\`). It takes about ten
minutes (the first run a minute more, to make the tree); \`HULL_BENCH_REBUILD_DIR\` moves the
context and the store (default \`${WORK}\`; about 3 GB after a run, the store is made afresh by the
next). Page cache warm.

Last run: Node ${env.node}, ${env.os}, ${env.platform}, ${env.cpus} × ${env.cpu}; load average
${env.load[0].toFixed(1)} before, ${env.load[1].toFixed(1)} after (a shared machine: other work skews the figures).

${markdownTable(rows)}

${reading(rows)}
${profileSection(profiles)}`;
}

/**
 * What the figures say. The mechanisms are read off the profiles of the run this text was written
 * from (Debian 12, 2 cores) and the code they name; the numbers come from the current run.
 */
function reading(rows: Row[]): string {
  const [cold, warm, changed, touched, tiny, tar, find] = rows as [Row, Row, Row, Row, Row, Row, Row];
  const s = (r: Row): string => `${r.seconds.toFixed(2)} s`;
  const copyOnly = changed.copySeconds !== null && changed.layerSeconds !== null ? ` (${(changed.copySeconds - changed.layerSeconds).toFixed(1)} s walking and copying, ${changed.layerSeconds.toFixed(1)} s packing)` : '';
  return `## Reading it

- **Warm, nothing changed (${s(warm)}, ${warm.rssMiB?.toFixed(0)} MiB)** is the fixed cost of any build (${s(tiny)} for the
  one-file context: starting node, loading hull's modules — undici among them although nothing is
  pulled — opening the store, the plain output) plus one walk of the context. The walk is about a
  quarter of the profile: \`statEntry\` in \`src/context/walk.ts\`, one \`fs/promises\`
  \`lstat({ bigint: true })\` promise per entry, 20,000 of them, where \`find\` walks the tree in
  ${s(find)}. Then the stat cache: a 4 MB JSON file read and parsed into BigInts
  (\`loadStatCache\` in \`src/cache/stat-store.ts\`, \`MemoryStatCache.fromJSON\` in
  \`src/context/stat-cache.ts\`) and written back (fsynced) after every build, cached or not;
  \`digestEntries\` (\`src/context/hash.ts\`) sorting with two \`Buffer.from\` per comparison; and the
  collector cleaning up after all of it. The peak RSS over the one-file context's
  (${tiny.rssMiB?.toFixed(0)} MiB) is those 20,000 records and entries held at once.
- **Touch every file (${s(touched)})** reads and hashes 200 MB that \`tar c . | sha256sum\` reads and
  hashes in ${s(tar)}. The hashing itself (xxh64 in wasm) is a small part, and the main thread is
  idle about 60% of the time: \`sourcesDigest\` (\`src/cache/content.ts\`) hashes one file after
  another, each through its own \`createReadStream\` with a 1 MiB \`highWaterMark\` (\`hashFile\`,
  \`src/context/hash.ts\`): open, read, read, close as serial round trips through libuv's pool, and
  Node's ReadStream allocates a 1 MiB buffer for each read whatever the file's size — two per file,
  40 GB allocated to read 200 MB (Node's buffer allocation, its fs callbacks and the collector are most
  of the main thread's busy time).
- **One file changed (${s(changed)})**: hashing the changed file costs nothing, but COPY then rebuilds
  its whole layer${copyOnly}: \`copyTree\` (\`src/build/copy/tree.ts\`) walks the context again and
  \`TargetWriter.writeEntry\` (\`src/build/copy/writer.ts\`) copies file by file — \`lstatOrNull\` of
  the target, \`copyFile\`, \`lchown\`, \`chmod\`, \`utimes\`, each awaited in turn — then the layer
  writer packs and gzips 200 MB (\`src/layer/read-ahead.ts\`'s reads, gzip on both cores) and the
  store ingests the blob (\`writeAll\`, \`src/store/atomic.ts\`); the RUN after it is well under a
  second. The cache cannot help: COPY's key covers every file it copies.
- **Cold (${s(cold)})** is about the touched case's hashing with no stat records plus the changed case's
  COPY, in one step.
`;
}

// ---------------------------------------------------------------------------------------------

/** `--readme`: writes README.md again from latest.json, measuring nothing. */
function rewriteReadme(): void {
  const r = JSON.parse(readFileSync(join(BENCH, 'latest.json'), 'utf8')) as { environment: Environment; tree: TreeInfo; rows: Row[]; profiles: Profiled[] };
  writeFileSync(join(BENCH, 'README.md'), readme(r.environment, r.tree, r.rows, r.profiles));
  console.log(`wrote ${join(BENCH, 'README.md')} from latest.json`);
}

async function main(): Promise<void> {
  preflight();
  const loadBefore = loadavg()[0]!;
  mkdirSync(WORK, { recursive: true });
  console.log(`context: ${CONTEXT} (made once; the first run takes a minute more)`);
  const tree = ensureTree(CONTEXT, BASE_REF);
  console.log(`  ${tree.files} files, ${(tree.bytes / 1e6).toFixed(0)} MB, ${tree.directories} directories; ${availableParallelism()} cores (${cpus()[0]?.model.trim()})`);
  mkdirSync(TINY, { recursive: true });
  writeIfChanged(join(TINY, 'Dockerfile'), DOCKERFILE(BASE_REF));
  writeIfChanged(join(TINY, 'hello.txt'), 'hello\n');

  const tar = `cd ${CONTEXT} && tar cf - . | sha256sum`;
  shellSeconds(`${tar} > /dev/null`); // warm the page cache
  console.log('floors:');
  const tarRuns = Array.from({ length: ROUNDS.floor }, () => shellSeconds(tar));
  const findRuns = Array.from({ length: ROUNDS.floor }, () => shellSeconds(`cd ${CONTEXT} && find . -type f | wc -l`));
  console.log(`  tar c . | sha256sum ${median(tarRuns).toFixed(2)} s, find . -type f | wc -l ${median(findRuns).toFixed(2)} s`);

  console.log('store: fresh, with the busybox base built FROM scratch');
  await freshStoreWithBase();
  const cold = await rounds(1, () => {}, () => hullBuild(CONTEXT, TAG), 'cold');
  const warm = await rounds(ROUNDS.warm, () => {}, () => hullBuild(CONTEXT, TAG), 'warm');
  const changed = await rounds(ROUNDS.changed, (i) => editFile(CONTEXT, i), () => hullBuild(CONTEXT, TAG), 'one file changed');
  restoreEditable(CONTEXT);
  const touchAll = (): void => void spawnSync('sh', ['-c', `find ${CONTEXT} -type f -exec touch {} +`]);
  const touched = await rounds(ROUNDS.touched, touchAll, () => hullBuild(CONTEXT, TAG), 'touch every file');

  hullBuild(TINY, 'bench/rebuild-tiny:1'); // first build of the tiny context: not measured
  const tiny = await rounds(ROUNDS.warm, () => {}, () => hullBuild(TINY, 'bench/rebuild-tiny:1'), 'one-file context, warm');

  // The touched runs recorded hashes within the second of the touch (racy records, read again
  // next time): wait that second out and settle them with one unmeasured build, then profile.
  await sleep(1100);
  hullBuild(CONTEXT, TAG);
  rmSync(PROFILES, { recursive: true, force: true });
  const profiles: Profiled[] = [];
  for (const [name, slug, before] of [
    ['warm, nothing changed', 'warm', () => {}],
    ['one file changed', 'changed', () => editFile(CONTEXT, ROUNDS.changed)],
    ['touch every file', 'touch', touchAll],
  ] as const) {
    const p = await profiled(name, slug, before);
    if (p) profiles.push(p);
  }
  restoreEditable(CONTEXT);

  const rows: Row[] = [
    buildRow('cold (store holds only the base)', cold),
    buildRow('warm, nothing changed', warm),
    buildRow('one file changed', changed),
    buildRow('touch every file (200 MB re-hashed)', touched),
    buildRow('one-file context, warm', tiny),
    floorRow('floor: tar c . | sha256sum', tarRuns),
    floorRow('floor: find . -type f | wc -l', findRuns),
  ];
  console.log(`\n${textTable(rows)}`);
  for (const p of profiles) {
    console.log(`\n${p.name}: profile of ${p.summary.totalMs} ms, self time:`);
    for (const l of p.summary.functions.slice(0, 10)) console.log(`  ${l.ms.toFixed(0).padStart(6)} ms ${l.share.toFixed(1).padStart(5)}%  ${l.name}`);
  }
  const expected = [
    [warm, 'warm'],
    [touched, 'touch every file'],
    [tiny, 'one-file context'],
  ] as const;
  for (const [runs, name] of expected) if (runs.some((r) => r.cached !== r.steps)) console.warn(`warning: a ${name} rebuild was not fully cached`);
  if (changed.some((r) => r.cached !== 0)) console.warn('warning: a rebuild after a change was served by the cache');

  const environment: Environment = {
    node: process.version,
    platform: `${platform()} ${arch()}`,
    os: existsSync('/etc/debian_version') ? `Debian ${readFileSync('/etc/debian_version', 'utf8').trim()}` : platform(),
    cpu: cpus()[0]?.model.trim(),
    cpus: availableParallelism(),
    load: [loadBefore, loadavg()[0]!],
  };
  const report = {
    generated: new Date().toISOString(),
    environment,
    tree: { path: CONTEXT, ...tree },
    settings: {
      command: `bin/hull build --root STORE --progress plain -t ${TAG} CONTEXT`,
      rounds: ROUNDS,
      statistic: 'median',
      seconds: 'wall time of the whole command',
      rss: 'peak RSS of the hull process (GNU time %M)',
      cpu: 'user + system CPU seconds of the hull process and its children (GNU time %U + %S)',
      cached: 'layer steps (COPY, RUN) printed as #N CACHED / layer steps',
    },
    rows,
    profiles: profiles.map((p) => ({ ...p, file: relative(REPO, p.file) })),
  };
  writeFileSync(join(BENCH, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(BENCH, 'README.md'), readme(environment, tree, rows, profiles));
  console.log(`\nwrote ${join(BENCH, 'latest.json')} and README.md`);
}

if (process.argv.includes('--readme')) rewriteReadme();
else await main();
