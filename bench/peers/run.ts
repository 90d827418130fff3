// hull against its real peers: BuildKit (Debian's docker.io: dockerd started here on a private
// socket and data root, `DOCKER_BUILDKIT=1 docker build`) and buildah (`buildah bud --layers`),
// on four workloads (bench/peers/workloads/), against one local registry (Debian's
// docker-registry) and one base image (busybox, built FROM scratch by hull and pushed there).
// For each tool and workload: cold build, warm rebuild, rebuild after one file changed, push to an
// empty registry (plus `skopeo copy` of hull's image as a floor), each BENCH_RUNS times (default
// 3), the median seconds and peak RSS; the floors `tar c | sha256sum` and `tar c | gzip -1 |
// sha256sum` on each context. Then one more hull run under `node --cpu-prof` for every case that
// misses its target. Prints the table and the ratios, writes bench/peers/latest.json,
// docs/BENCHMARKS.md and docs/benchmarks-ratios.svg.
//
//   bench/peers/setup.sh && npm run build && node dist/bench/peers/run.js
//   as root; BENCH_RUNS=N (default 3); BENCH_WORKLOADS=run-heavy,multi-stage,context-200mb,instructions-30;
//   BENCH_TOOLS=hull,buildkit,buildah; HULL_BENCH_PEERS_DIR=DIR (default /tmp/hull-bench-peers);
//   BENCH_SETTLE=S waits S seconds (default 35) after the resets before cold builds (see settle());
//   BENCH_PROFILE=0 skips the profiles; BENCH_WRITE=0 prints without writing the reports;
//   BENCH_REPORT_ONLY=1 renders docs/BENCHMARKS.md and the chart again from latest.json.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { arch, availableParallelism, cpus, loadavg, platform, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { publishBusybox } from '../../test/helpers/bases.js';
import { repoRoot } from '../../test/helpers/paths.js';
import { startRegistry, type TestRegistry } from '../../test/helpers/registry.js';
import { summarizeProfile, type ProfileLine } from '../rebuild/profile.js';
import { workloads, type Workload } from './workloads.js';
import { hullCommand } from '../hull-env.js';

const REPO = repoRoot();
const BENCH = join(REPO, 'bench', 'peers');
const DOCS = join(REPO, 'docs');
const WORK = process.env.HULL_BENCH_PEERS_DIR ?? join(tmpdir(), 'hull-bench-peers');
const SETTLE_SECONDS = Number(process.env.BENCH_SETTLE ?? 35);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const PROFILE = process.env.BENCH_PROFILE !== '0';
const WRITE = process.env.BENCH_WRITE !== '0';
const LOGS = join(WORK, 'logs');
const TIME_FILE = join(WORK, 'time.out');
const HULL_STORE = join(WORK, 'hull', 'store');
const DOCKER_DIR = join(WORK, 'docker');
const DOCKER_SOCK = join(DOCKER_DIR, 'docker.sock');
const BUILDAH_DIR = join(WORK, 'buildah');
const PROFILES = join(WORK, 'profiles');
// hull runs from a copy of bin/ and dist/src/ taken when the bench starts: a rebuild of the
// working tree during the run (other work on the machine) cannot change the hull being measured.
const SNAPSHOT = join(WORK, 'hull-snapshot');
const HULL = join(SNAPSHOT, 'bin', 'hull');

const DOCKER = '/usr/bin/docker'; // Debian's 20.10 client (another docker may come first on PATH)
const DOCKERD = '/usr/sbin/dockerd';
const BUILDAH = '/usr/bin/buildah';

type ToolName = 'hull' | 'buildkit' | 'buildah';
type CaseName = 'cold' | 'warm' | 'changed' | 'push';
const ALL_TOOLS: ToolName[] = ['hull', 'buildkit', 'buildah'];
const TOOL_LABEL: Record<ToolName | 'skopeo', string> = { hull: 'hull', buildkit: 'BuildKit', buildah: 'buildah', skopeo: 'skopeo copy' };
const CASES: CaseName[] = ['cold', 'warm', 'changed', 'push'];
const CASE_LABEL: Record<CaseName, string> = { cold: 'cold build', warm: 'warm rebuild', changed: 'one file changed', push: 'push' };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Measuring

interface Sample {
  seconds: number;
  /** Peak RSS in MiB: the client's (GNU time %M) for hull, buildah and skopeo; for BuildKit the daemon's (dockerd + containerd VmHWM). */
  rssMiB: number;
  /** GNU time's %M of the command itself (for BuildKit: the docker client, which does little). */
  clientRssMiB: number;
  /** User + system CPU seconds: GNU time's %U + %S (children included); for BuildKit dockerd's and containerd's (with their reaped children, runc and RUN's processes) plus the client's. */
  cpuSeconds: number;
  /** BuildKit only: the peaks of dockerd and containerd during the command, and how far they rose above their RSS before it. */
  daemon?: { dockerdMiB: number; containerdMiB: number; growthMiB: number };
  /** Steps the tool's output marks as served by its cache. */
  cached?: number;
}

/** dockerd and its containerd: their peak RSS is reset before a command (clear_refs 5) and read after (VmHWM). */
interface DaemonWatch {
  pids(): number[];
}

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime + stime + cutime + cstime of a process, in seconds. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is the state (stat field 3): utime..cstime are stat fields 14..17
  return [11, 12, 13, 14].reduce((n, i) => n + Number(fields[i]), 0) / CLK_TCK;
}

/** The 1-minute load average at every measured command: how shared the machine was. */
const loads: number[] = [];

function statusKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) : 0;
}

let logSeq = 0;
let lastLog = '';

interface RunOptions {
  env?: NodeJS.ProcessEnv;
  daemon?: DaemonWatch;
  /** Counts the lines of the output that say a step was cached. */
  cachedPattern?: RegExp;
}

/** Runs one command under GNU time, its output in a log file; throws with the log's tail when it fails. */
function timed(label: string, cmd: string, args: string[], options: RunOptions = {}): Sample {
  mkdirSync(LOGS, { recursive: true });
  const log = join(LOGS, `${String(++logSeq).padStart(4, '0')}-${label.replace(/[^\w.-]+/g, '_')}.log`);
  const fd = openSync(log, 'w');
  rmSync(TIME_FILE, { force: true });
  const pids = options.daemon?.pids() ?? [];
  const before = pids.map((p) => statusKiB(p, 'VmRSS'));
  for (const p of pids) writeFileSync(`/proc/${p}/clear_refs`, '5'); // VmHWM := VmRSS
  const cpuBefore = pids.reduce((n, p) => n + cpuOf(p), 0);
  loads.push(loadavg()[0]!);
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', '-o', TIME_FILE, cmd, ...args], { env: options.env ?? process.env, stdio: ['ignore', fd, fd] });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  closeSync(fd);
  const output = readFileSync(log, 'utf8');
  lastLog = log;
  if (r.status !== 0) throw new Error(`${label}: ${cmd} ${args.join(' ')} failed (exit ${r.status}); log ${log}:\n${output.slice(-3000)}`);
  const [, kib, user, sys] = readFileSync(TIME_FILE, 'utf8').trim().split('\n').pop()!.split(' ').map(Number) as [number, number, number, number];
  const sample: Sample = { seconds, rssMiB: kib / 1024, clientRssMiB: kib / 1024, cpuSeconds: user + sys };
  if (pids.length > 0) {
    const peaks = pids.map((p) => statusKiB(p, 'VmHWM'));
    const growth = peaks.reduce((n, p, i) => n + Math.max(0, p - before[i]!), 0);
    sample.daemon = { dockerdMiB: peaks[0]! / 1024, containerdMiB: (peaks[1] ?? 0) / 1024, growthMiB: growth / 1024 };
    sample.rssMiB = peaks.reduce((a, b) => a + b, 0) / 1024;
    sample.cpuSeconds += pids.reduce((n, p) => n + cpuOf(p), 0) - cpuBefore;
  }
  if (options.cachedPattern) sample.cached = output.match(options.cachedPattern)?.length ?? 0;
  return sample;
}

/** Runs a setup command (not measured); throws with its output when it fails. */
function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`.slice(-4000));
  return r.stdout;
}

/**
 * Waits until what a reset deleted no longer slows down creating files. On ext4 a new inode is
 * not taken from those deleted in the last ~30 s (fs/ext4/ialloc.c, recently_deleted()), and
 * finding one past 20,000 of them cost seconds of system time per build here: the tool whose
 * cold build came right after its own reset paid for it (cold builds varied 7–20 s). So every
 * tool is reset first, then the writes are flushed and the bench waits BENCH_SETTLE seconds
 * (default 35) once, before any cold build.
 */
function settle(): void {
  spawnSync('sync');
  spawnSync('sleep', [String(SETTLE_SECONDS)]);
}

function shellSeconds(script: string): number {
  const start = process.hrtime.bigint();
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', script], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`${script} failed`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

// ---------------------------------------------------------------------------------------------
// The tools

interface Tool {
  name: ToolName;
  /** Empties the tool's images and build cache and puts the base back (pulled from the registry): not measured. */
  reset(): void;
  build(w: Workload, label: string, nodeArgs?: string[]): Sample;
  /** Pushes the workload's image to `dest` (an empty registry). */
  push(w: Workload, dest: string, label: string, nodeArgs?: string[]): Sample;
}

const imageName = (w: Workload, tool: ToolName): string => `bench/${w.name}:${tool}`;

function hullTool(base: string): Tool {
  const hull = (args: string[], label: string, nodeArgs: string[] = [], cachedPattern?: RegExp): Sample => {
    const command = hullCommand(HULL, args, nodeArgs);
    return timed(label, command.cmd, command.args, { env: command.env, ...(cachedPattern ? { cachedPattern } : {}) });
  };
  return {
    name: 'hull',
    reset() {
      rmSync(HULL_STORE, { recursive: true, force: true });
      sh(process.execPath, [HULL, 'pull', '--root', HULL_STORE, '--progress', 'plain', base]);
    },
    build: (w, label, nodeArgs) =>
      hull(['build', '--root', HULL_STORE, '--progress', 'plain', '--runtime', 'runc', '--build-arg', `BASE=${base}`, '-t', imageName(w, 'hull'), w.context], label, nodeArgs, /^#\d+ CACHED$/gm),
    push: (w, dest, label, nodeArgs) => hull(['push', '--root', HULL_STORE, '--progress', 'plain', imageName(w, 'hull'), dest], label, nodeArgs),
  };
}

/** skopeo copy of hull's image, from the store's OCI layout: the push floor (not a Tool: it does not build). */
function skopeoPush(w: Workload, dest: string, label: string): Sample {
  const index = JSON.parse(readFileSync(join(HULL_STORE, 'oci', 'index.json'), 'utf8')) as { manifests: Array<{ annotations?: Record<string, string> }> };
  const wanted = imageName(w, 'hull');
  const ref = index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']).find((n) => n !== undefined && (n === wanted || n.endsWith(`/${wanted}`)));
  if (ref === undefined) throw new Error(`${wanted} is not in ${HULL_STORE}/oci/index.json`);
  return timed(label, 'skopeo', ['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false', `oci:${join(HULL_STORE, 'oci')}:${ref}`, `docker://${dest}`]);
}

interface Dockerd extends DaemonWatch {
  env: NodeJS.ProcessEnv;
  version: string;
  stop(): Promise<void>;
}

async function startDockerd(): Promise<Dockerd> {
  mkdirSync(DOCKER_DIR, { recursive: true });
  const logFd = openSync(join(DOCKER_DIR, 'dockerd.log'), 'w');
  const child: ChildProcess = spawn(
    DOCKERD,
    [
      '--host', `unix://${DOCKER_SOCK}`,
      '--data-root', join(DOCKER_DIR, 'data'),
      '--exec-root', join(DOCKER_DIR, 'exec'),
      '--pidfile', join(DOCKER_DIR, 'dockerd.pid'),
      '--iptables=false', '--ip-masq=false', '--bridge=none',
      '--storage-driver', 'overlay2',
      // every 127.0.0.1 port: the base's registry and the fresh one each push gets
      '--insecure-registry', '127.0.0.0/8',
      '--log-level', 'warn',
    ],
    { stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  const env = { ...process.env, DOCKER_HOST: `unix://${DOCKER_SOCK}`, DOCKER_BUILDKIT: '1', DOCKER_CONFIG: join(DOCKER_DIR, 'config') };
  const deadline = Date.now() + 60_000;
  let version = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`dockerd exited with ${child.exitCode}: see ${join(DOCKER_DIR, 'dockerd.log')}`);
    const r = spawnSync(DOCKER, ['version', '--format', '{{.Server.Version}}'], { env, encoding: 'utf8' });
    if (r.status === 0) {
      version = r.stdout.trim();
      break;
    }
    await sleep(250);
  }
  if (version === '') throw new Error(`dockerd did not answer on ${DOCKER_SOCK} within 60 s`);
  const driver = sh(DOCKER, ['info', '--format', '{{.Driver}}'], env).trim();
  if (driver !== 'overlay2') throw new Error(`dockerd uses the ${driver} storage driver, not overlay2`);
  const containerd = (): number | undefined => {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const m = stat.match(/^\d+ \((.*)\) \S (\d+)/);
        if (m && m[1] === 'containerd' && Number(m[2]) === child.pid) return Number(entry);
      } catch {
        // gone
      }
    }
    return undefined;
  };
  return {
    env,
    version,
    pids: () => [child.pid!, ...(containerd() === undefined ? [] : [containerd()!])],
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function buildkitTool(base: string, d: Dockerd): Tool {
  const docker = (args: string[]): string => sh(DOCKER, args, d.env);
  return {
    name: 'buildkit',
    reset() {
      // every image, container and the whole build cache, then the base again
      docker(['system', 'prune', '--all', '--force']);
      docker(['builder', 'prune', '--all', '--force']);
      docker(['pull', '--quiet', base]);
    },
    build: (w, label) =>
      timed(label, DOCKER, ['build', '--network', 'host', '--progress', 'plain', '--build-arg', `BASE=${base}`, '-t', imageName(w, 'buildkit'), w.context], {
        env: d.env,
        daemon: d,
        cachedPattern: /^#\d+ CACHED$/gm,
      }),
    push(w, dest, label) {
      docker(['tag', imageName(w, 'buildkit'), dest]);
      return timed(label, DOCKER, ['push', '--quiet', dest], { env: d.env, daemon: d });
    },
  };
}

function buildahTool(base: string): Tool {
  const global = ['--root', join(BUILDAH_DIR, 'root'), '--runroot', join(BUILDAH_DIR, 'runroot'), '--storage-driver', 'overlay'];
  const env = { ...process.env, BUILDAH_ISOLATION: 'oci' };
  return {
    name: 'buildah',
    reset() {
      sh(BUILDAH, [...global, 'rm', '--all'], env);
      sh(BUILDAH, [...global, 'rmi', '--all', '--force'], env);
      sh(BUILDAH, [...global, 'pull', '--quiet', '--tls-verify=false', base], env);
    },
    build: (w, label) =>
      timed(
        label,
        BUILDAH,
        [...global, 'bud', '--layers', '--runtime', 'runc', '--network', 'host', '--pull=false', '--build-arg', `BASE=${base}`, '-t', imageName(w, 'buildah'), '-f', join(w.context, 'Dockerfile'), w.context],
        { env, cachedPattern: /^--> Using cache /gm },
      ),
    push: (w, dest, label) => timed(label, BUILDAH, [...global, 'push', '--quiet', '--tls-verify=false', imageName(w, 'buildah'), `docker://${dest}`], { env }),
  };
}

// ---------------------------------------------------------------------------------------------
// Results

interface Cell {
  runs: number;
  seconds: number;
  min: number;
  max: number;
  rssMiB: number;
  cpuSeconds: number;
  samples: Sample[];
}

const cell = (samples: Sample[]): Cell => ({
  runs: samples.length,
  seconds: median(samples.map((s) => s.seconds)),
  min: Math.min(...samples.map((s) => s.seconds)),
  max: Math.max(...samples.map((s) => s.seconds)),
  rssMiB: median(samples.map((s) => s.rssMiB)),
  cpuSeconds: median(samples.map((s) => s.cpuSeconds)),
  samples,
});

interface WorkloadResult {
  name: string;
  title: string;
  context: { files: number; bytes: number };
  floors: { tarSha256: Cell; tarGzipSha256: Cell };
  cases: Partial<Record<CaseName, Partial<Record<ToolName | 'skopeo', Cell>>>>;
}

interface Target {
  id: string;
  text: string;
  workload: string;
  case: CaseName;
  /** hull's seconds (or MiB) over the reference's; met when ≤ limit. */
  ratio: number | undefined;
  limit: number;
  against: string;
  met: boolean | undefined;
}

const RSS_LIMIT_MIB = 150e6 / 2 ** 20; // 150 MB

function targets(results: WorkloadResult[]): Target[] {
  const out: Target[] = [];
  const ratio = (w: WorkloadResult, c: CaseName, ref: ToolName | 'skopeo'): number | undefined => {
    const h = w.cases[c]?.hull;
    const r = w.cases[c]?.[ref];
    return h && r ? h.seconds / r.seconds : undefined;
  };
  const add = (id: string, text: string, w: WorkloadResult, c: CaseName, ref: ToolName | 'skopeo', limit: number): void => {
    const r = ratio(w, c, ref);
    out.push({ id, text, workload: w.name, case: c, ratio: r, limit, against: TOOL_LABEL[ref], met: r === undefined ? undefined : r <= limit });
  };
  for (const w of results) {
    add('warm', 'warm rebuild ≤ 0.5× BuildKit', w, 'warm', 'buildkit', 0.5);
    if (w.name === 'run-heavy' || w.name === 'multi-stage') add('cold', 'cold ≤ 0.7× BuildKit (RUN-heavy, multi-stage)', w, 'cold', 'buildkit', 0.7);
    if (w.name === 'context-200mb') {
      add('cold-200', '200 MB context cold ≤ 0.5× BuildKit', w, 'cold', 'buildkit', 0.5);
      add('changed-200', '200 MB context, one file changed ≤ 0.2× BuildKit', w, 'changed', 'buildkit', 0.2);
    }
    add('push', 'push ≤ 0.5× docker push', w, 'push', 'buildkit', 0.5);
    out[out.length - 1]!.against = 'docker push';
    add('push-skopeo', 'push never slower than skopeo copy', w, 'push', 'skopeo', 1);
    const peak = Math.max(...CASES.map((c) => w.cases[c]?.hull?.rssMiB ?? 0));
    const worst = CASES.find((c) => w.cases[c]?.hull?.rssMiB === peak) ?? 'cold';
    out.push({ id: 'rss', text: 'hull peak RSS ≤ 150 MB (143 MiB)', workload: w.name, case: worst, ratio: peak / RSS_LIMIT_MIB, limit: 1, against: '150 MB', met: w.cases[worst]?.hull ? peak <= RSS_LIMIT_MIB : undefined });
  }
  return out;
}

const fmt = (n: number | undefined, digits = 2): string => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits));

const HEADER = ['workload', 'case', 'hull s', 'BuildKit s', 'buildah s', 'skopeo s', 'hull/BuildKit', 'hull/buildah', 'hull/skopeo', 'hull MiB', 'BuildKit MiB (+growth)', 'buildah MiB'];

/** BuildKit's daemon peak, and in brackets how far it rose above the daemons' RSS before the command (medians). */
function buildkitMiB(c: Cell | undefined): string {
  if (!c) return '–';
  const growth = c.samples.every((s) => s.daemon) ? median(c.samples.map((s) => s.daemon!.growthMiB)) : undefined;
  return `${fmt(c.rssMiB, 0)}${growth === undefined ? '' : ` (+${fmt(growth, 0)})`}`;
}

function rows(results: WorkloadResult[]): string[][] {
  const out: string[][] = [];
  for (const w of results) {
    for (const c of CASES) {
      const cs = w.cases[c];
      if (!cs) continue;
      const s = (t: ToolName | 'skopeo'): number | undefined => cs[t]?.seconds;
      const r = (t: ToolName | 'skopeo'): string => (s('hull') !== undefined && s(t) !== undefined ? `${fmt(s('hull')! / s(t)!)}×` : '–');
      out.push([w.name, CASE_LABEL[c], fmt(s('hull')), fmt(s('buildkit')), fmt(s('buildah')), fmt(s('skopeo')), r('buildkit'), r('buildah'), c === 'push' ? r('skopeo') : '', fmt(cs.hull?.rssMiB, 0), buildkitMiB(cs.buildkit), fmt(cs.buildah?.rssMiB, 0)]);
    }
    out.push([w.name, 'floor: tar c | sha256sum', fmt(w.floors.tarSha256.seconds), '', '', '', '', '', '', '', '', '']);
    out.push([w.name, 'floor: tar c | gzip -1 | sha256sum', fmt(w.floors.tarGzipSha256.seconds), '', '', '', '', '', '', '', '', '']);
  }
  return out;
}

const CPU_HEADER = ['workload', 'case', 'hull CPU s', 'BuildKit CPU s', 'buildah CPU s', 'skopeo CPU s', 'hull/BuildKit', 'hull/buildah'];

function cpuRows(results: WorkloadResult[]): string[][] {
  const out: string[][] = [];
  for (const w of results) {
    for (const c of CASES) {
      const cs = w.cases[c];
      if (!cs) continue;
      const s = (t: ToolName | 'skopeo'): number | undefined => cs[t]?.cpuSeconds;
      const r = (t: ToolName): string => (s('hull') !== undefined && s(t) ? `${fmt(s('hull')! / s(t)!)}×` : '–');
      out.push([w.name, CASE_LABEL[c], fmt(s('hull')), fmt(s('buildkit')), fmt(s('buildah')), fmt(s('skopeo')), r('buildkit'), r('buildah')]);
    }
  }
  return out;
}

function textTable(header: string[], body: string[][]): string {
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

function markdownTable(header: string[], body: string[][], left = 2): string {
  const esc = (c: string): string => c.replaceAll('|', '\\|');
  return [`| ${header.map(esc).join(' | ')} |`, `|${header.map((_, i) => (i < left ? '---' : '---:')).join('|')}|`, ...body.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The chart: hull's time over each peer's, per workload and case, on a log scale (hand-written SVG)

function chart(results: WorkloadResult[], marks: Target[]): string {
  const lines: Array<{ label: string; first: boolean; bars: Array<{ ratio: number | undefined; color: string }>; target?: number }> = [];
  for (const w of results) {
    for (const c of CASES) {
      const cs = w.cases[c];
      if (!cs?.hull) continue;
      const r = (t: ToolName | 'skopeo'): number | undefined => (cs[t] ? cs.hull!.seconds / cs[t]!.seconds : undefined);
      const target = marks.find((t) => t.workload === w.name && t.case === c && t.against === 'BuildKit')?.limit;
      lines.push({
        label: `${w.name} · ${CASE_LABEL[c]}`,
        first: c === CASES.find((k) => cs && w.cases[k]?.hull),
        bars: [
          { ratio: r('buildkit'), color: '#2563eb' },
          { ratio: r('buildah'), color: '#9ca3af' },
          ...(c === 'push' ? [{ ratio: r('skopeo'), color: '#16a34a' }] : []),
        ],
        ...(target !== undefined && { target }),
      });
    }
  }
  const lo = Math.log2(1 / 32);
  const hi = Math.log2(8);
  const left = 230;
  const plotW = 520;
  const barH = 9;
  const top = 56;
  const x = (ratio: number): number => left + ((Math.min(Math.max(Math.log2(ratio), lo), hi) - lo) / (hi - lo)) * plotW;
  let y = top;
  const body: string[] = [];
  for (const line of lines) {
    const h = line.bars.length * barH + 8;
    if (line.first && y > top) body.push(`<line x1="10" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="#d1d5db" stroke-dasharray="3 3"/>`);
    body.push(`<text x="${left - 8}" y="${y + h / 2 + 1}" text-anchor="end" dominant-baseline="middle">${line.label}</text>`);
    line.bars.forEach((b, i) => {
      const by = y + 4 + i * barH;
      if (b.ratio === undefined) return;
      body.push(`<rect x="${x(1 / 32)}" y="${by}" width="${(x(b.ratio) - x(1 / 32)).toFixed(1)}" height="${barH - 1}" fill="${b.color}"/>`);
      body.push(`<text x="${(x(b.ratio) + 4).toFixed(1)}" y="${by + barH / 2}" dominant-baseline="middle" font-size="9">${b.ratio.toFixed(2)}</text>`);
    });
    if (line.target !== undefined) {
      const tx = x(line.target).toFixed(1);
      body.push(`<line x1="${tx}" x2="${tx}" y1="${y + 2}" y2="${y + 4 + barH + 1}" stroke="#dc2626" stroke-width="2.5"/>`);
    }
    y += h;
  }
  const ticks = [1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 1, 2, 4, 8];
  const axis = ticks.map((t) => {
    const tx = x(t).toFixed(1);
    const label = t >= 1 ? `${t}×` : `1/${1 / t}×`;
    return `<line x1="${tx}" x2="${tx}" y1="${top - 4}" y2="${y}" stroke="${t === 1 ? '#111' : '#e5e7eb'}" stroke-width="${t === 1 ? 1.2 : 1}"/><text x="${tx}" y="${y + 14}" text-anchor="middle" font-size="10">${label}</text>`;
  });
  const width = left + plotW + 40;
  const height = y + 50;
  const legend = [
    ['#2563eb', 'hull / BuildKit'],
    ['#9ca3af', 'hull / buildah'],
    ['#16a34a', 'hull push / skopeo copy'],
  ]
    .map(([color, text], i) => `<rect x="${left + i * 170}" y="${y + 26}" width="10" height="10" fill="${color}"/><text x="${left + i * 170 + 14}" y="${y + 35}" font-size="11">${text}</text>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${left}" y="20" font-size="14" font-weight="bold">hull's time over its peers' (median, log scale; left of 1× is faster)</text>
<text x="${left}" y="38" font-size="11" fill="#dc2626">red mark: the target for hull / BuildKit</text>
${axis.join('\n')}
${body.join('\n')}
${legend}
</svg>
`;
}

// ---------------------------------------------------------------------------------------------
// Profiles of the misses

interface Profiled {
  target: string;
  workload: string;
  case: CaseName;
  seconds: number;
  file: string;
  totalMs: number;
  hull: ProfileLine[];
  functions: ProfileLine[];
  files: ProfileLine[];
  /** The slowest steps of the profiled build (its plain output), or the push's own lines. */
  steps: Array<{ step: string; seconds: number; layerSeconds?: number }>;
}

/** Steps of a hull (BuildKit-style) plain output: `#N [stage i/n] INSTR`, `#N writing layer … Xs done`, `#N DONE Xs`. */
function slowestSteps(log: string, top = 4): Profiled['steps'] {
  const names = new Map<string, string>();
  for (const m of log.matchAll(/^#(\d+) (\[.*)$/gm)) if (!names.has(m[1]!)) names.set(m[1]!, m[2]!.slice(0, 70));
  const steps: Profiled['steps'] = [];
  for (const m of log.matchAll(/^#(\d+) DONE ([\d.]+)s$/gm)) {
    const name = names.get(m[1]!);
    if (name === undefined) continue;
    const layer = log.match(new RegExp(`^#${m[1]} writing layer sha256:\\S+ ([\\d.]+)s done$`, 'm'));
    steps.push({ step: name, seconds: Number(m[2]), ...(layer && { layerSeconds: Number(layer[1]) }) });
  }
  return steps.sort((a, b) => b.seconds - a.seconds).slice(0, top);
}

// ---------------------------------------------------------------------------------------------
// The report

interface Environment {
  node: string;
  platform: string;
  os: string;
  cpu: string | undefined;
  cpus: number;
  /** The 1-minute load average before, after, and over the measured commands (mean and highest). */
  load: { before: number; after: number; mean: number; max: number };
  versions: Record<string, string>;
}

function clientRange(results: WorkloadResult[]): string {
  const xs = results.flatMap((w) => CASES.flatMap((c) => w.cases[c]?.buildkit?.samples.map((s) => s.clientRssMiB) ?? []));
  return xs.length === 0 ? '–' : `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
}

function markdown(report: Report): string {
  const { environment: env, results, targets: marks, profiles, started, runs: RUNS } = report;
  const body = rows(results);
  const ratioBody = results.flatMap((w) =>
    CASES.filter((c) => w.cases[c]?.hull).map((c) => {
      const cs = w.cases[c]!;
      const r = (t: ToolName | 'skopeo'): string => (cs[t] ? `${fmt(cs.hull!.seconds / cs[t]!.seconds)}×` : '–');
      return [w.name, CASE_LABEL[c], r('buildkit'), r('buildah'), c === 'push' ? r('skopeo') : ''];
    }),
  );
  const targetLines = marks.map((t) => {
    const value = t.id === 'rss' ? `${fmt(t.ratio === undefined ? undefined : t.ratio * RSS_LIMIT_MIB, 0)} MiB at its highest (${CASE_LABEL[t.case]})` : `${fmt(t.ratio)}× ${t.against}`;
    return `| ${t.text} | ${t.workload} | ${value} | ${t.met === undefined ? 'not measured' : t.met ? 'met' : '**missed**'} |`;
  });
  const profileText = profiles.length === 0
    ? 'Every target was met in this run, or profiling was off (`BENCH_PROFILE=0`): no profile.'
    : profiles
        .map(
          (p) => {
            const steps = p.steps.filter((st) => st.seconds >= 0.25);
            return `### ${p.workload} · ${CASE_LABEL[p.case]} (${p.target}; ${p.seconds.toFixed(2)} s under the profiler, ${p.totalMs} ms profiled)

${[`| charged to the nearest hull function on the stack | ms | % |`, '|---|---:|---:|', ...p.hull.slice(0, 8).map((l) => `| \`${l.name}\` | ${l.ms.toFixed(0)} | ${l.share.toFixed(1)} |`)].join('\n')}

${[`| self time, by function | ms | % |`, '|---|---:|---:|', ...p.functions.slice(0, 6).map((l) => `| \`${l.name}\` | ${l.ms.toFixed(0)} | ${l.share.toFixed(1)} |`)].join('\n')}${
            steps.length === 0 ? '' : `\n\nSlowest steps: ${steps.map((st) => `\`${st.step}\` ${st.seconds.toFixed(1)} s${st.layerSeconds !== undefined ? ` (of which writing its layer ${st.layerSeconds.toFixed(1)} s)` : ''}`).join('; ')}.`
          }`;
          },
        )
        .join('\n\n');
  const v = env.versions;
  return `# Benchmarks: hull against BuildKit and buildah

Generated by \`bench/peers/run.ts\` (do not edit by hand: it rewrites this file, the chart and
\`bench/peers/latest.json\`). Last run ${started}: Node ${env.node}, ${env.os}, ${env.platform},
${env.cpus} × ${env.cpu}; ${RUNS} runs of each measurement, medians. The 1-minute load average was
${env.load.before.toFixed(1)} before, ${env.load.after.toFixed(1)} after, ${env.load.mean.toFixed(1)} on average over the measured commands and
${env.load.max.toFixed(1)} at its highest${env.load.max > env.cpus ? `: **the machine was shared with other work (${env.cpus} cores), so the wall times are noisy**; the CPU
seconds below are less skewed by it` : ''}.

hull: \`dist/src\` as built when the run started (a copy the bench runs, so rebuilds during the run
cannot change it), sha256 of its files ${report.hullDigest.slice(0, 16)}.
Peers: BuildKit in Docker ${v.docker ?? '?'} (Debian \`docker.io\`), buildah ${v.buildah ?? '?'}, skopeo ${v.skopeo ?? '?'};
runc ${v.runc ?? '?'} for all three.

## Latest results

Seconds are the wall time of the client command (median of ${RUNS}); MiB the peak RSS (median of the
runs' peaks). For BuildKit the daemon does the work, so its MiB are dockerd's plus containerd's peak
RSS during the command (\`VmHWM\` in \`/proc/PID/status\`, reset with \`clear_refs\` before each
command), which includes what the idle daemons hold; in brackets, how far they rose above their RSS
before the command (the growth). The docker client's own peak (${clientRange(results)} MiB) is left out.
hull, buildah and skopeo are measured with GNU time (\`%M\`: the largest process of the command's tree).

${markdownTable(HEADER, body)}

### CPU seconds (user + system, the same runs' medians)

For BuildKit: dockerd's and containerd's CPU time during the command (with the children they reaped:
runc and RUN's processes) plus the docker client's.

${markdownTable(CPU_HEADER, cpuRows(results))}

### Ratios (hull's time over the peer's, same run)

${markdownTable(['workload', 'case', 'hull/BuildKit', 'hull/buildah', 'hull/skopeo copy'], ratioBody)}

![hull's time over BuildKit's and buildah's](benchmarks-ratios.svg)

### Targets

| target | workload | this run | |
|---|---|---:|---|
${targetLines.join('\n')}

## Where hull's time goes in the missed targets

One more hull run of each missed case under \`node --cpu-prof\` (main thread; each sample charged to
the innermost frame of hull's own code on its stack, \`(idle)\` being the main thread waiting for
runc, the gzip threads or libuv's pool); and the slowest steps of that build, from its plain
progress output. Profiles: \`${PROFILES}\`.

${profileText}

## The workloads

The Dockerfiles are in [\`bench/peers/workloads/\`](../bench/peers/workloads/), each taking the base as
\`ARG BASE\` (\`--build-arg BASE=127.0.0.1:PORT/base/busybox:1\` for all three tools); the contexts are
made by \`bench/peers/workloads.ts\` from seeded PRNGs.

${results.map((w) => `- **${w.name}** — ${w.title}: ${w.context.files.toLocaleString('en')} files, ${(w.context.bytes / 1e6).toFixed(1)} MB of context.`).join('\n')}

## The rules

- **One registry, one base.** A local \`docker-registry\` (Debian) on 127.0.0.1, plain HTTP; the base is
  busybox built \`FROM scratch\` by hull from Debian's static busybox and pushed there
  (\`test/helpers/bases.ts\`). All three tools build \`FROM 127.0.0.1:PORT/base/busybox:1\`.
- **Cold build**: the tool's image store and build cache are emptied, then the base is pulled into
  it (not measured): every cold build finds the base locally and nothing else. hull: a fresh
  \`--root\` and \`hull pull\`; BuildKit: \`docker system prune -af\`, \`docker builder prune -af\`,
  \`docker pull\`; buildah: \`buildah rm -a\`, \`buildah rmi -af\`, \`buildah pull\`.
- **Warm rebuild**: the same build again, nothing changed. **One file changed**: one small file of the
  context rewritten (same size, new first line) before the build; it is put back before the next
  cold build. Each run resets all three tools, waits \`BENCH_SETTLE\` seconds (see below), then goes
  cold → warm → changed for each tool in turn (hull, BuildKit, buildah), so drifting load hits
  every tool alike.
- **Push**: the image the tool just built, to a fresh empty registry each time (nothing to skip or
  mount): \`hull push\`, \`docker push\`, \`buildah push\`, and \`skopeo copy\` of hull's image from hull's
  store (an OCI layout) as the floor for hull. hull's layers are compressed when built (gzip level 1,
  its default, as kaniko's; incompressible pieces stored); docker and buildah compress theirs at
  push time (that is part of their push), at gzip's default level.
- **Same runtime, same network**: runc for all (\`hull build --runtime runc\`, \`buildah bud --runtime
  runc\`, BuildKit's own runc executor), the host network for RUN (\`docker build --network host\`,
  \`buildah bud --network host\`, hull's default). buildah: \`--layers\`, \`--pull=false\` (use the base in
  its store, as docker and hull do by default), \`BUILDAH_ISOLATION=oci\`, \`--storage-driver
  overlay\`, private \`--root\`/\`--runroot\`; its default \`--jobs 1\` builds stages one after another.
- **dockerd** (Debian \`docker.io\`, BuildKit built in, \`DOCKER_BUILDKIT=1\`, the Debian 20.10 client)
  is started by the bench on a private socket, data root and exec root under the work directory,
  \`--iptables=false --bridge=none --storage-driver overlay2 --insecure-registry 127.0.0.0/8\`; its
  containerd is the one it starts itself.
- **Floors** on each context: \`tar c . | sha256sum\` and \`tar c . | gzip -1 | sha256sum\` (reading, and
  compressing, every byte in C), page cache warm.
- Wall time from before the client starts to after it exits, page cache warm (the contexts are read
  once before the runs).

## How to reproduce

As root on Debian 12 (overlayfs, runc, a private dockerd):

\`\`\`sh
bench/peers/setup.sh && npm run build && node dist/bench/peers/run.js
\`\`\`

\`bench/peers/setup.sh\` installs \`docker.io\`, \`buildah\`, \`time\`, \`skopeo\`, \`docker-registry\`,
\`busybox-static\` and \`runc\` from Debian when missing (it starts no service). The run takes about
half an hour with the default 3 runs on 2 cores (the first run a minute more, to make the 200 MB tree).
\`BENCH_RUNS=N\` changes the number of runs; \`BENCH_WORKLOADS=a,b\` and \`BENCH_TOOLS=hull,buildkit,buildah\`
pick a subset; \`HULL_BENCH_PEERS_DIR\` moves the work directory (default \`${WORK}\`; logs of every
command in its \`logs/\`); \`BENCH_PROFILE=0\` skips the profiles; \`BENCH_REPORT_ONLY=1\` renders this file
and the chart again from \`bench/peers/latest.json\` without measuring.

Every run resets all three tools first (store, images, build cache), then waits \`BENCH_SETTLE\`
seconds (default 35) before the first cold build: ext4 does not hand out an inode deleted less
than ~30 s before, and creating files just after a reset deleted 20,000 cost whichever tool came
next seconds of system time (its cold builds of the 200 MB context varied from 7 to 20 s).
`;
}

// ---------------------------------------------------------------------------------------------

interface Report {
  generated: string;
  started: string;
  environment: Environment;
  runs: number;
  /** sha256 over the paths and contents of the hull copy the bench ran (dist/src). */
  hullDigest: string;
  base: string;
  statistic: string;
  seconds: string;
  rss: string;
  results: WorkloadResult[];
  targets: Target[];
  profiles: Profiled[];
}

function writeDocs(report: Report): void {
  mkdirSync(DOCS, { recursive: true });
  writeFileSync(join(DOCS, 'benchmarks-ratios.svg'), chart(report.results, report.targets));
  writeFileSync(join(DOCS, 'BENCHMARKS.md'), markdown(report));
  console.log(`\nwrote ${relative(REPO, join(BENCH, 'latest.json'))}, docs/BENCHMARKS.md, docs/benchmarks-ratios.svg`);
}

function hullDigest(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.isFile()) hash.update(`${relative(SNAPSHOT, path)}\0`).update(readFileSync(path));
    }
  };
  walk(join(SNAPSHOT, 'dist', 'src'));
  return hash.digest('hex');
}

function preflight(tools: ToolName[]): void {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('needs root (overlayfs, runc, dockerd)');
  const need = ['/usr/bin/time', '/usr/bin/skopeo', '/usr/bin/docker-registry', '/bin/busybox', ...(tools.includes('buildkit') ? [DOCKER, DOCKERD] : []), ...(tools.includes('buildah') ? [BUILDAH] : [])];
  for (const p of need) if (!existsSync(p)) problems.push(`${p} is missing: run bench/peers/setup.sh`);
  if (!existsSync(join(REPO, 'dist', 'src', 'cli', 'hull.mjs'))) problems.push('hull is not built: npm run build');
  if (problems.length > 0) {
    for (const p of problems) console.error(`bench/peers: ${p}`);
    process.exit(1);
  }
}

/** The copy of hull the bench runs (bin/hull, dist/src, package.json; node_modules linked). */
function snapshotHull(): void {
  rmSync(SNAPSHOT, { recursive: true, force: true });
  mkdirSync(join(SNAPSHOT, 'dist'), { recursive: true });
  cpSync(join(REPO, 'bin'), join(SNAPSHOT, 'bin'), { recursive: true });
  cpSync(join(REPO, 'dist', 'src'), join(SNAPSHOT, 'dist', 'src'), { recursive: true });
  cpSync(join(REPO, 'package.json'), join(SNAPSHOT, 'package.json'));
  symlinkSync(join(REPO, 'node_modules'), join(SNAPSHOT, 'node_modules'));
}

function version(cmd: string, args: string[], pattern: RegExp): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.match(pattern)?.[1] ?? '?';
}

/** Unmounts whatever a tool left mounted under the work directory (before removing it). */
function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]?.replace(/\\040/g, ' ')).filter((m): m is string => m !== undefined && m.startsWith(`${dir}/`));
  for (const m of mounts.sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', m]);
}

function contextSize(dir: string): { files: number; bytes: number } {
  const out = sh('bash', ['-c', `cd '${dir}' && find . -type f | wc -l && du -sb --apparent-size . | cut -f1`]).trim().split('\n');
  return { files: Number(out[0]), bytes: Number(out[1]) };
}

async function main(): Promise<void> {
  const started = new Date().toISOString();
  const tools = (process.env.BENCH_TOOLS?.split(',') ?? ALL_TOOLS) as ToolName[];
  preflight(tools);
  const loadBefore = loadavg()[0]!;
  mkdirSync(WORK, { recursive: true });
  rmSync(LOGS, { recursive: true, force: true });
  unmountUnder(WORK);
  for (const dir of [join(WORK, 'hull'), DOCKER_DIR, BUILDAH_DIR, PROFILES]) rmSync(dir, { recursive: true, force: true });
  snapshotHull();

  const all = workloads(join(BENCH, 'workloads'), join(WORK, 'contexts'));
  const picked = process.env.BENCH_WORKLOADS?.split(',');
  const chosen = picked ? all.filter((w) => picked.includes(w.name)) : all;
  console.log(`bench/peers: ${chosen.map((w) => w.name).join(', ')} × ${tools.join(', ')}, ${RUNS} runs; work directory ${WORK}`);
  for (const w of chosen) w.prepare();

  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((e: unknown) => console.error(`cleanup: ${String(e)}`));
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void cleanup().finally(() => process.exit(130));
    });
  }
  try {
    const registry: TestRegistry = await startRegistry();
    cleanups.push(() => registry.stop());
    console.log(`registry ${registry.host}; building the busybox base FROM scratch with hull`);
    const base = await publishBusybox(registry, join(WORK, 'hull', 'base-store'), join(WORK, 'hull'));
    const toolset: Tool[] = [];
    const versions: Record<string, string> = {
      node: process.version,
      skopeo: version('skopeo', ['--version'], /version (\S+)/),
      runc: version('runc', ['--version'], /version (\S+)/),
    };
    if (tools.includes('hull')) toolset.push(hullTool(base));
    if (tools.includes('buildkit')) {
      const d = await startDockerd();
      cleanups.push(async () => {
        await d.stop();
        unmountUnder(DOCKER_DIR);
        rmSync(DOCKER_DIR, { recursive: true, force: true });
      });
      versions.docker = d.version;
      console.log(`dockerd ${d.version} on ${DOCKER_SOCK} (overlay2), pids ${d.pids().join(', ')}`);
      toolset.push(buildkitTool(base, d));
    }
    if (tools.includes('buildah')) {
      versions.buildah = version(BUILDAH, ['--version'], /version (\S+)/);
      cleanups.push(async () => {
        const global = ['--root', join(BUILDAH_DIR, 'root'), '--runroot', join(BUILDAH_DIR, 'runroot'), '--storage-driver', 'overlay'];
        spawnSync(BUILDAH, [...global, 'rm', '--all']);
        spawnSync(BUILDAH, [...global, 'rmi', '--all', '--force']);
        unmountUnder(BUILDAH_DIR);
        rmSync(BUILDAH_DIR, { recursive: true, force: true });
      });
      toolset.push(buildahTool(base));
    }

    const results: WorkloadResult[] = [];
    for (const w of chosen) {
      console.log(`\n== ${w.name}: ${w.title}`);
      const tar = `cd '${w.context}' && tar cf - . | sha256sum`;
      const tarGz = `cd '${w.context}' && tar cf - . | gzip -1 | sha256sum`;
      shellSeconds(`${tar} > /dev/null`); // page cache warm
      const floors = {
        tarSha256: cell(Array.from({ length: RUNS }, () => ({ seconds: shellSeconds(tar), rssMiB: 0, clientRssMiB: 0, cpuSeconds: 0 }))),
        tarGzipSha256: cell(Array.from({ length: RUNS }, () => ({ seconds: shellSeconds(tarGz), rssMiB: 0, clientRssMiB: 0, cpuSeconds: 0 }))),
      };
      console.log(`  floors: tar c | sha256sum ${floors.tarSha256.seconds.toFixed(2)} s, tar c | gzip -1 | sha256sum ${floors.tarGzipSha256.seconds.toFixed(2)} s`);
      const samples = new Map<string, Sample[]>();
      const record = (tool: string, c: CaseName, s: Sample): void => {
        const key = `${tool}/${c}`;
        samples.set(key, [...(samples.get(key) ?? []), s]);
        const extra = s.cached !== undefined ? `, ${s.cached} cached` : '';
        console.log(`  ${TOOL_LABEL[tool as ToolName].padEnd(11)} ${CASE_LABEL[c].padEnd(16)} ${s.seconds.toFixed(2).padStart(7)} s (CPU ${s.cpuSeconds.toFixed(2).padStart(6)} s) ${s.rssMiB.toFixed(0).padStart(5)} MiB${extra}  [load ${loadavg()[0]!.toFixed(1)}]`);
      };
      for (let i = 0; i < RUNS; i++) {
        console.log(` run ${i + 1}/${RUNS}`);
        for (const t of toolset) t.reset();
        settle();
        for (const t of toolset) {
          record(t.name, 'cold', t.build(w, `${w.name}-${t.name}-cold-${i}`));
          record(t.name, 'warm', t.build(w, `${w.name}-${t.name}-warm-${i}`));
          w.edit(i);
          try {
            record(t.name, 'changed', t.build(w, `${w.name}-${t.name}-changed-${i}`));
          } finally {
            w.restore();
          }
        }
      }
      for (let i = 0; i < RUNS; i++) {
        console.log(` push ${i + 1}/${RUNS}`);
        const pushers: Array<[string, (dest: string, label: string) => Sample]> = toolset.map((t) => [t.name, (dest, label) => t.push(w, dest, label)]);
        if (tools.includes('hull')) pushers.push(['skopeo', (dest, label) => skopeoPush(w, dest, label)]);
        for (const [name, push] of pushers) {
          const target = await startRegistry();
          try {
            record(name, 'push', push(`${target.host}/bench/${w.name}:1`, `${w.name}-${name}-push-${i}`));
          } finally {
            await target.stop();
          }
        }
      }
      const cases: WorkloadResult['cases'] = {};
      for (const [key, s] of samples) {
        const [tool, c] = key.split('/') as [ToolName | 'skopeo', CaseName];
        (cases[c] ??= {})[tool] = cell(s);
      }
      results.push({ name: w.name, title: w.title, context: contextSize(w.context), floors, cases });
    }

    const marks = targets(results);
    const profiles: Profiled[] = [];
    if (PROFILE && tools.includes('hull')) {
      const hull = toolset.find((t) => t.name === 'hull')!;
      const seen = new Set<string>();
      for (const m of marks.filter((t) => t.met === false && t.id !== 'rss')) {
        const key = `${m.workload}/${m.case}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const w = chosen.find((x) => x.name === m.workload)!;
        const dir = join(PROFILES, `${m.workload}-${m.case}`);
        mkdirSync(dir, { recursive: true });
        const prof = ['--cpu-prof', '--cpu-prof-dir', dir];
        console.log(`profiling hull: ${m.workload} · ${CASE_LABEL[m.case]} (${m.text}: ${fmt(m.ratio)}×)`);
        let s: Sample;
        hull.reset();
        settle();
        if (m.case === 'cold') s = hull.build(w, `profile-${key}`, prof);
        else {
          hull.build(w, `profile-${key}-setup`);
          if (m.case === 'warm') s = hull.build(w, `profile-${key}`, prof);
          else if (m.case === 'changed') {
            w.edit(99);
            try {
              s = hull.build(w, `profile-${key}`, prof);
            } finally {
              w.restore();
            }
          } else {
            const target = await startRegistry();
            try {
              s = hull.push(w, `${target.host}/bench/${w.name}:1`, `profile-${key}`, prof);
            } finally {
              await target.stop();
            }
          }
        }
        const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
        if (file === undefined) continue;
        const summary = summarizeProfile(join(dir, file), SNAPSHOT, 12);
        const steps = m.case === 'push' ? [] : slowestSteps(readFileSync(lastLog, 'utf8'));
        profiles.push({ target: m.text, workload: m.workload, case: m.case, seconds: s.seconds, file: join(dir, file), totalMs: summary.totalMs, hull: summary.hull, functions: summary.functions, files: summary.files, steps });
        for (const st of steps) console.log(`  step ${st.seconds.toFixed(1)} s${st.layerSeconds !== undefined ? ` (writing layer ${st.layerSeconds.toFixed(1)} s)` : ''}: ${st.step}`);
        console.log(`  ${s.seconds.toFixed(2)} s; charged to hull functions:`);
        for (const l of summary.hull.slice(0, 8)) console.log(`    ${l.ms.toFixed(0).padStart(6)} ms ${l.share.toFixed(1).padStart(5)}%  ${l.name}`);
      }
    }

    console.log(`\n${textTable(HEADER, rows(results))}\n`);
    console.log(`${textTable(CPU_HEADER, cpuRows(results))}\n`);
    console.log('targets:');
    for (const m of marks) console.log(`  ${m.met === undefined ? 'n/a   ' : m.met ? 'met   ' : 'MISSED'} ${m.workload.padEnd(16)} ${m.text}: ${m.id === 'rss' ? `${fmt((m.ratio ?? 0) * RSS_LIMIT_MIB, 0)} MiB` : `${fmt(m.ratio)}×`}`);

    const environment: Environment = {
      node: process.version,
      platform: `${platform()} ${arch()}`,
      os: existsSync('/etc/debian_version') ? `Debian ${readFileSync('/etc/debian_version', 'utf8').trim()}` : platform(),
      cpu: cpus()[0]?.model.trim(),
      cpus: availableParallelism(),
      load: { before: loadBefore, after: loadavg()[0]!, mean: loads.reduce((a, b) => a + b, 0) / Math.max(1, loads.length), max: Math.max(0, ...loads) },
      versions,
    };
    if (WRITE) {
      const report: Report = {
        generated: new Date().toISOString(),
        started,
        environment,
        runs: RUNS,
        hullDigest: hullDigest(),
        base,
        statistic: 'median',
        seconds: 'wall time of the client command',
        rss: 'MiB; hull, buildah, skopeo: GNU time %M of the command; BuildKit: dockerd + containerd VmHWM during the command (clear_refs 5 before)',
        results,
        targets: marks,
        profiles: profiles.map((p) => ({ ...p, file: p.file, hull: p.hull.slice(0, 12), functions: p.functions.slice(0, 12), files: p.files.slice(0, 12) })),
      };
      writeFileSync(join(BENCH, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
      writeDocs(report);
    }
  } finally {
    await cleanup();
  }
}

if (process.env.BENCH_REPORT_ONLY === '1') {
  // Renders docs/BENCHMARKS.md and the chart again from bench/peers/latest.json, measuring nothing.
  const report = JSON.parse(readFileSync(join(BENCH, 'latest.json'), 'utf8')) as Report;
  if (report.hullDigest === undefined && existsSync(join(SNAPSHOT, 'dist', 'src'))) {
    report.hullDigest = hullDigest();
    writeFileSync(join(BENCH, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  }
  writeDocs(report);
} else {
  await main();
}
