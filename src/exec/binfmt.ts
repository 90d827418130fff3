/**
 * Foreign-platform RUN steps: a container of another architecture runs its binaries through
 * qemu-user, which the kernel starts by itself when binfmt_misc has a handler for that
 * architecture. This module checks for such a handler and, as root, mounts binfmt_misc and
 * registers the handler qemu-user-static ships (`/usr/lib/binfmt.d/qemu-ARCH.conf`), as
 * systemd-binfmt would at boot on machines that have it.
 *
 * qemu-arm serves both arm/v6 and arm/v7 (`uname -m` says armv7l under it, as with BuildKit).
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { ExecError } from '../errors.js';
import { formatPlatform, hostPlatform, normalizePlatform, type Platform } from '../image/platform.js';

const run = promisify(execFile);

/** How RUN steps of a platform execute here: by the CPU itself, or through a qemu handler. */
export type PlatformRunner = { kind: 'native' } | { kind: 'emulated'; handler: string; interpreter: string };

export interface EnsureRunnableOptions {
  /** The machine's platform (default: the one hull runs on). */
  host?: Platform;
  /** Receives what was done (mounted, registered) and warnings. */
  onLog?: (line: string) => void;
  /** Tests: where `/proc` is (default `/proc`). */
  procRoot?: string;
  /** Tests: where the registration files are (default `/usr/lib/binfmt.d`). */
  binfmtDir?: string;
  /** Tests: whether hull may mount and register (default: running as root). */
  root?: boolean;
  /** Tests: whether this arm64 machine runs 32-bit arm code (default: asks the kernel). */
  runsArm32?: () => Promise<boolean>;
}

/** Docker's architecture names → qemu's (the `qemu-ARCH` handler and `qemu-ARCH.conf`). */
const QEMU_ARCH: Readonly<Record<string, string>> = {
  amd64: 'x86_64',
  '386': 'i386',
  arm: 'arm',
  arm64: 'aarch64',
  riscv64: 'riscv64',
  ppc64le: 'ppc64le',
  ppc64: 'ppc64',
  s390x: 's390x',
  mips: 'mips',
  mipsle: 'mipsel',
  mips64: 'mips64',
  mips64le: 'mips64el',
  loong64: 'loongarch64',
};

/**
 * Foreign architectures some hosts run in hardware (x86-64 runs i386; most arm64 cores run
 * 32-bit arm). A registered qemu handler still wins there: the kernel tries binfmt_misc first.
 */
const COMPAT: Readonly<Record<string, string>> = { amd64: '386', arm64: 'arm' };

/** A registered binfmt_misc handler, as `/proc/sys/fs/binfmt_misc/NAME` describes it. */
interface Handler {
  name: string;
  enabled: boolean;
  interpreter: string;
  flags: string;
}

/** A registration file: its path and lines (`:name:type:offset:magic:mask:interpreter:flags`). */
interface Conf {
  path: string;
  lines: string[];
}

/** Ensures RUN steps of `platform` can execute on this host; throws ExecError with the exact fix otherwise. Returns how (native, or the handler used). */
export async function ensurePlatformRunnable(platform: Platform, options: EnsureRunnableOptions = {}): Promise<PlatformRunner> {
  const target = normalizePlatform(platform);
  const host = normalizePlatform(options.host ?? hostPlatform());
  const what = `cannot run ${formatPlatform(target)} steps on this ${formatPlatform(host)} host`;
  if (target.os !== 'linux') throw new ExecError(`${what}: hull runs RUN steps in Linux containers only`);
  if (target.architecture === host.architecture && armVersion(target) <= armVersion(host)) return { kind: 'native' };
  const arch = QEMU_ARCH[target.architecture];
  if (arch === undefined) throw new ExecError(`${what}: hull knows no qemu emulator for ${target.architecture}`);

  const log = options.onLog ?? (() => undefined);
  const root = options.root ?? process.getuid?.() === 0;
  const binfmtDir = options.binfmtDir ?? '/usr/lib/binfmt.d';
  const paths = binfmtPaths(options.procRoot ?? '/proc');
  const conf = await findConf(binfmtDir, arch);
  const mounted = await exists(paths.register);
  const binfmtEnabled = mounted && (await readFile(paths.status, 'utf8')).trim() === 'enabled';
  const existing = mounted ? await findHandler(paths.dir, arch) : undefined;
  if (binfmtEnabled && existing?.enabled) return emulated(existing, paths, conf, log);
  if (COMPAT[host.architecture] === target.architecture && (await runsInHardware(target, options))) return { kind: 'native' };
  // Disabled on purpose, it seems: say how to enable rather than work around it.
  if (mounted && !binfmtEnabled) throw new ExecError(`${what}: binfmt_misc is disabled. Fix${asRoot(root)}: echo 1 > ${paths.status}`);
  if (existing) throw new ExecError(`${what}: the binfmt_misc handler ${existing.name} for ${arch} is disabled. Fix${asRoot(root)}: echo 1 > ${join(paths.dir, existing.name)}`);

  if (!root || conf === undefined) {
    const steps = [
      ...(conf === undefined ? ['apt-get install qemu-user-static'] : []),
      ...(mounted ? [] : [`mount -t binfmt_misc binfmt_misc ${paths.dir}`]),
      `cat ${conf?.path ?? join(binfmtDir, `qemu-${arch}.conf`)} > ${paths.register}`,
    ];
    throw new ExecError(`${what}: no binfmt_misc handler for ${arch}. Fix${asRoot(root)}: ${steps.join(' && ')}`);
  }
  if (!mounted) {
    await mountBinfmt(paths.dir, what);
    log(`mounted binfmt_misc on ${paths.dir}`);
    // One binfmt_misc serves every mount namespace: a handler registered through a mount
    // elsewhere (the host's, seen from a container) shows up here.
    const handler = await findHandler(paths.dir, arch);
    if (handler?.enabled) return emulated(handler, paths, conf, log);
  }
  const handler = await register(conf, paths, arch, what);
  log(`registered the ${handler.name} binfmt handler from ${conf.path}`);
  return emulated(handler, paths, conf, log);
}

/** `v6` → 6, `v7` → 7; 0 for architectures without variants, so only arm compares them. */
function armVersion(p: Platform): number {
  return p.architecture === 'arm' ? Number(/^v(\d+)/.exec(p.variant ?? 'v7')?.[1] ?? 7) : 0;
}

function binfmtPaths(procRoot: string): { dir: string; register: string; status: string } {
  const dir = join(procRoot, 'sys', 'fs', 'binfmt_misc');
  return { dir, register: join(dir, 'register'), status: join(dir, 'status') };
}

function asRoot(root: boolean): string {
  return root ? '' : ', as root';
}

/** By stat: `register` is write-only, reading it fails even for root. */
async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Debian names the file qemu-ARCH.conf, Fedora qemu-ARCH-static.conf. */
async function findConf(binfmtDir: string, arch: string): Promise<Conf | undefined> {
  for (const name of [`qemu-${arch}.conf`, `qemu-${arch}-static.conf`]) {
    const text = await readFile(join(binfmtDir, name), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    return { path: join(binfmtDir, name), lines: text.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#')) };
  }
  return undefined;
}

/**
 * The handler for `arch`: the one named qemu-ARCH (qemu-user-static, tonistiigi/binfmt,
 * binfmt-support), else one whose interpreter is that qemu under another name. An enabled one
 * is preferred, as the kernel skips disabled ones.
 */
async function findHandler(dir: string, arch: string): Promise<Handler | undefined> {
  const interpreters = new Set([`qemu-${arch}`, `qemu-${arch}-static`, `${arch}-binfmt-P`]);
  const found: Handler[] = [];
  for (const name of await readdir(dir)) {
    if (name === 'register' || name === 'status') continue;
    const text = await readFile(join(dir, name), 'utf8').catch(() => undefined);
    if (text === undefined) continue; // unregistered while we read
    const handler = parseHandler(name, text);
    if (name === `qemu-${arch}` || interpreters.has(basename(handler.interpreter))) found.push(handler);
  }
  return found.find((h) => h.enabled) ?? found[0];
}

function parseHandler(name: string, text: string): Handler {
  const lines = text.split('\n');
  const field = (key: string): string => lines.find((l) => l.startsWith(`${key} `))?.slice(key.length + 1).trim() ?? '';
  return { name, enabled: lines[0]?.trim() === 'enabled', interpreter: field('interpreter'), flags: field('flags:') };
}

/** The handler a registration line makes; the first character of the line is its delimiter. */
function parseRegistration(line: string): Handler {
  const fields = line.slice(1).split(line[0]!);
  return { name: fields[0] ?? '', enabled: true, interpreter: fields[5] ?? '', flags: fields[6]?.trim() ?? '' };
}

/** Writes each registration line of `conf` to binfmt_misc; returns the first handler made. */
async function register(conf: Conf, paths: { dir: string; register: string }, arch: string, what: string): Promise<Handler> {
  let registered: Handler | undefined;
  for (const line of conf.lines) {
    const handler = parseRegistration(line);
    try {
      await writeFile(paths.register, `${line}\n`);
    } catch (error) {
      // Another build registered it meanwhile: use theirs.
      const existing = (error as NodeJS.ErrnoException).code === 'EEXIST' ? await findHandler(paths.dir, arch) : undefined;
      if (existing?.enabled) return existing;
      throw new ExecError(`${what}: registering ${conf.path} with binfmt_misc failed (${(error as Error).message}): check that the interpreter ${handler.interpreter} exists (apt-get install --reinstall qemu-user-static)`);
    }
    registered ??= handler;
  }
  if (registered === undefined) throw new ExecError(`${what}: ${conf.path} holds no registration line. Fix: apt-get install --reinstall qemu-user-static`);
  return registered;
}

async function mountBinfmt(dir: string, what: string): Promise<void> {
  try {
    await run('mount', ['-t', 'binfmt_misc', 'binfmt_misc', dir]);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new ExecError(`${what}: mounting binfmt_misc on ${dir} failed (${stderr || (error as Error).message}): in a container, run hull with --privileged or mount it on the host`);
  }
}

/**
 * Whether the CPU runs `target` itself (no handler being registered). x86-64 runs i386.
 * Some arm64 cores lack 32-bit mode (Apple M1, Cortex-X925…); the kernel refuses the
 * PER_LINUX32 personality exactly then, which `setarch linux32` asks for.
 */
async function runsInHardware(target: Platform, options: EnsureRunnableOptions): Promise<boolean> {
  if (target.architecture !== 'arm') return true;
  return (options.runsArm32 ?? kernelRunsArm32)();
}

async function kernelRunsArm32(): Promise<boolean> {
  return run('setarch', ['linux32', 'true'], { timeout: 10_000 }).then(
    () => true,
    () => false,
  );
}

/**
 * Without the F flag the kernel opens the interpreter by path when a binary starts — inside the
 * container's root filesystem, where /usr/libexec/qemu-binfmt is absent. With F it holds the file
 * open from registration on.
 */
function emulated(handler: Handler, paths: { dir: string; register: string }, conf: Conf | undefined, log: (line: string) => void): PlatformRunner {
  if (!handler.flags.includes('F')) {
    const confHasF = conf !== undefined && conf.lines.length > 0 && conf.lines.every((l) => parseRegistration(l).flags.includes('F'));
    const fix = confHasF
      ? `echo -1 > ${join(paths.dir, handler.name)} && cat ${conf.path} > ${paths.register}`
      : `re-register ${handler.name} with the F flag added to its flags (as qemu-user-static's /usr/lib/binfmt.d files have it)`;
    log(
      `warning: the binfmt_misc handler ${handler.name} (${handler.interpreter}) lacks the F flag, so RUN steps may fail inside the container with "exec format error" or "no such file or directory". Fix, as root: ${fix}`,
    );
  }
  return { kind: 'emulated', handler: handler.name, interpreter: handler.interpreter };
}
