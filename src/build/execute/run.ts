/**
 * RUN: the command in a container over the stage's layers; the overlay upper dir it leaves is
 * the new layer. A non-zero exit becomes a BuildError at the instruction with the output tail.
 */
import { BuildError, ExecError } from '../../errors.js';
import type { NetworkMode } from '../../exec/bundle.js';
import { ensurePlatformRunnable, type PlatformRunner } from '../../exec/binfmt.js';
import { runStep, type StepResult } from '../../exec/run.js';
import { formatPlatform } from '../../image/platform.js';
import { noSpaceError } from '../../store/errors.js';
import type { RunRequest } from '../instructions/types.js';
import { lowerDirs, type LayerRef } from '../layers.js';
import type { Secret } from '../secrets.js';
import { runMounts } from './run-mounts.js';
import { commitStep, type StepContext } from './step.js';
import { stepTempDir } from './temp-dir.js';

export interface RunSettings {
  /** The build's network for RUN without `--network` (`hull build --network`). */
  network: NetworkMode;
  runtime?: string;
  onLog?: (line: string) => void;
  /** The build's secrets by id (`hull build --secret`), for `RUN --mount=type=secret`. */
  secrets?: ReadonlyMap<string, Secret>;
}

export async function executeRun(request: RunRequest, step: StepContext, settings: RunSettings): Promise<LayerRef | undefined> {
  const { store } = step;
  if (request.security === 'insecure') {
    throw new BuildError('RUN --security=insecure is not allowed: hull runs every step with Docker\'s default capabilities', step.position);
  }
  const runner = await platformRunner(step);
  if (runner.kind === 'emulated') step.status('platform', `running ${formatPlatform(step.platform)} through ${runner.interpreter}`, true);
  const lowers = await lowerDirs(store, step.layers);
  const dir = await stepTempDir(store.paths.tmp, 'run-mounts');
  try {
    const mounts = await runMounts(request.mounts, request.inlineFiles, dir.path, step, settings.secrets ?? new Map());
    let result: StepResult;
    try {
      result = await runStep({
        lowers,
        scratch: store.paths.tmp,
        args: request.args,
        env: withSecretEnv(request.env, mounts.env),
        cwd: request.cwd,
        user: request.user,
        network: request.network === 'default' ? settings.network : request.network,
        mounts: mounts.mounts,
        ...(settings.runtime !== undefined ? { runtime: settings.runtime } : {}),
        ...(settings.onLog ? { onLog: settings.onLog } : {}),
        onOutput: (chunk, stream) => step.log(stream, chunk),
      });
    } finally {
      // The container is gone: secret files go now, not after the layer is written.
      await mounts.close();
    }
    try {
      return await commitStep(step, result.upperDir);
    } finally {
      await result.cleanup();
    }
  } catch (err) {
    if (err instanceof ExecError) {
      const reason = err.exitCode === undefined ? `${shortText(step.text)} could not run: ${err.message}` : `${shortText(step.text)} returned exit code ${err.exitCode}`;
      throw new BuildError(reason, step.position, err.outputTail);
    }
    // Preparing the container (its bundle, mount sources) on a full disk.
    throw noSpaceError(err, `the step's files into ${store.paths.tmp}`);
  } finally {
    await dir.remove();
  }
}

/** The step's environment with `env=` secrets added, replacing variables of the same name. */
function withSecretEnv(env: readonly string[], secrets: readonly string[]): string[] {
  const name = (entry: string): string => entry.split('=', 1)[0]!;
  const replaced = new Set(secrets.map(name));
  return [...env.filter((e) => !replaced.has(name(e))), ...secrets];
}

const runners = new Map<string, Promise<PlatformRunner>>();

/** Whether (and how) this host runs the stage's platform, checked once per platform and process. */
function platformRunner(step: StepContext): Promise<PlatformRunner> {
  const key = formatPlatform(step.platform);
  let runner = runners.get(key);
  if (runner === undefined) {
    runner = ensurePlatformRunnable(step.platform, { onLog: (line) => step.log('stderr', `${line}\n`) });
    // A failure (no handler yet) is not remembered: the user may fix it while hull runs.
    runner.catch(() => runners.delete(key));
    runners.set(key, runner);
  }
  return runner;
}

/** The instruction on one line, cut short: a long script would bury the message. */
function shortText(text: string): string {
  const line = text.split('\n')[0]!.trim();
  return line.length > 120 || text.includes('\n') ? `${line.slice(0, 120)}…` : line;
}
