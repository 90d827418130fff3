/**
 * One RUN step: a rootfs over the parent snapshots (overlayfs, or the copy snapshotter where that
 * cannot be mounted), a generated bundle, the runtime run to completion with its output streamed,
 * then the rootfs unmounted and the mount-point stubs dropped, leaving an upper dir that is
 * exactly the step's diff.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExecError } from '../errors.js';
import { tempPath } from '../store/atomic.js';
import { buildSpec, mountDestinations, writeBundle, type NetworkMode } from './bundle.js';
import { chrootCommand } from './chroot.js';
import { registerCleanup } from './cleanup.js';
import { containerId, reapAbandonedContainers } from './containers.js';
import { writeHostFiles } from './hostfiles.js';
import { OutputTail } from './output.js';
import { runTool, runToolSync } from './proc.js';
import { mountRootfs, type MountedRootfs, type RootfsOptions, type Snapshotter } from './rootfs.js';
import { selectRuntime, type Runtime } from './runtime.js';
import type { OciMount, OciSpec } from './spec.js';
import { removeMountStubs } from './stubs.js';
import { resolveUser, type ExecUser } from './user.js';

export interface RunStepOptions {
  /** Snapshot directories of the parent layers, top layer first (empty: FROM scratch). */
  lowers: readonly string[];
  /** Where the step's temp dir goes: the store's tmp/ (same filesystem as the snapshots) or any scratch dir. */
  scratch: string;
  args: readonly string[];
  env: readonly string[];
  cwd: string;
  /** Numeric ids, or a `USER` value (`name[:group]`) resolved with the image's /etc/passwd and /etc/group. */
  user: ExecUser | string;
  network: NetworkMode;
  /** `crun`, `runc` or `chroot` (default: the first that works here). */
  runtime?: string;
  /** How the rootfs is made (default `auto`: overlay where it can be mounted, else copy). */
  snapshotter?: RootfsOptions['snapshotter'];
  hostname?: string;
  /** Mounts added to the container (bind sources must outlive the step). */
  mounts?: readonly OciMount[];
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
  /** Notes about the run (which runtime was chosen and why). */
  onLog?: (line: string) => void;
  /** Lines of output kept for the result and for errors (default 20). */
  tailLines?: number;
}

export interface StepResult {
  exitCode: number;
  /** The step's changes as an overlay upper dir (whiteouts as 0/0 char devices): feed it to writeLayer. */
  upperDir: string;
  outputTail: string[];
  runtime: Runtime['name'];
  snapshotter: Snapshotter;
  /** Removes the upper dir and everything else the step left; call once the layer is written. */
  cleanup(): Promise<void>;
}

/**
 * Runs the step. A non-zero exit throws an ExecError carrying the exit code and the output tail,
 * after everything is cleaned up; so does a runtime that cannot start the container.
 */
export async function runStep(o: RunStepOptions): Promise<StepResult> {
  const runtime = await selectRuntime(o.runtime, o.onLog);
  if (runtime.name !== 'chroot') await reapAbandonedContainers(runtime.binary);
  await mkdir(o.scratch, { recursive: true });
  const rootfs = await mountRootfs(tempPath(o.scratch, 'run'), o.lowers, { snapshotter: o.snapshotter });
  try {
    const user = typeof o.user === 'string' ? await resolveUser(o.user, rootfs.merged) : o.user;
    const etc = join(rootfs.dir, 'etc');
    await mkdir(etc);
    const hostname = o.hostname ?? 'hull';
    const spec = buildSpec({ rootfs: rootfs.merged, args: o.args, env: o.env, cwd: o.cwd, user, network: o.network, hostname, hostFiles: await writeHostFiles(etc, hostname), extraMounts: o.mounts ?? [] });
    await writeBundle(rootfs.dir, spec);
    const tail = new OutputTail(o.tailLines ?? 20);
    const { exitCode, runtimeError } = await execute(runtime, spec, rootfs, tail, o.onOutput);
    await rootfs.unmount();
    await removeMountStubs(rootfs.upper, o.lowers, mountDestinations(spec));
    const outputTail = tail.tail();
    if (runtimeError !== undefined) throw new ExecError(`${runtime.name} could not run the step: ${runtimeError}`, { outputTail });
    if (exitCode !== 0) {
      throw new ExecError(`process "${o.args.join(' ')}" did not complete successfully: exit code: ${exitCode}`, { exitCode, outputTail });
    }
    return { exitCode, upperDir: rootfs.upper, outputTail, runtime: runtime.name, snapshotter: rootfs.snapshotter, cleanup: rootfs.remove };
  } catch (err) {
    await rootfs.remove();
    throw err;
  }
}

interface Execution {
  exitCode: number;
  /** Set when the runtime itself failed (its log holds an error), as opposed to the step's command. */
  runtimeError?: string;
}

async function execute(runtime: Runtime, spec: OciSpec, rootfs: MountedRootfs, tail: OutputTail, onOutput: RunStepOptions['onOutput']): Promise<Execution> {
  const id = containerId();
  const log = join(rootfs.dir, 'runtime.log');
  const oci = runtime.name !== 'chroot';
  const { command, args } = oci
    ? { command: runtime.binary, args: ['--log', log, '--log-format', 'json', 'run', '--bundle', rootfs.dir, id] }
    : chrootCommand(runtime.binary, spec);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: oci ? process.env : Object.fromEntries(spec.process.env.map(splitEnv)) });
  // Interrupted mid-step: the container must go before the overlay it runs on is detached.
  const unregister = registerCleanup(() => {
    if (oci) runToolSync(runtime.binary, ['delete', '--force', id]);
    else child.kill('SIGKILL');
  });
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream].setEncoding('utf8').on('data', (chunk: string) => {
      tail.push(chunk);
      onOutput?.(chunk, stream);
    });
  }
  try {
    const exitCode = await new Promise<number>((resolve, reject) => {
      child.on('error', (err) => reject(new ExecError(`cannot start ${command}: ${err.message}`)));
      child.on('close', (code, signal) => resolve(code ?? 128 + signalNumber(signal)));
    });
    if (!oci || exitCode === 0) return { exitCode };
    const runtimeError = await runtimeLogError(log);
    return runtimeError === undefined ? { exitCode } : { exitCode, runtimeError };
  } finally {
    if (oci) await runTool(runtime.binary, ['delete', '--force', id]);
    unregister();
  }
}

function splitEnv(entry: string): [string, string] {
  const eq = entry.indexOf('=');
  return eq < 0 ? [entry, ''] : [entry.slice(0, eq), entry.slice(eq + 1)];
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return (signal && numbers[signal]) ?? 0;
}

/** The runtime's own error (runc/crun `--log-format json` lines at level error), if it wrote one. */
async function runtimeLogError(path: string): Promise<string | undefined> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const errors: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if (entry.level === 'error' && entry.msg) errors.push(entry.msg);
    } catch {
      // Not a JSON line: runtimes print a few plain ones; the JSON ones carry the errors.
    }
  }
  return errors.length > 0 ? errors.join('; ') : undefined;
}
