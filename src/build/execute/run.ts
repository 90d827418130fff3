/**
 * RUN: the command in a container over the stage's layers; the overlay upper dir it leaves is
 * the new layer. A non-zero exit becomes a BuildError at the instruction with the output tail.
 */
import { BuildError, ExecError } from '../../errors.js';
import type { NetworkMode } from '../../exec/bundle.js';
import { runStep } from '../../exec/run.js';
import type { RunRequest } from '../instructions/types.js';
import { commitUpperDir, lowerDirs, type LayerRef } from '../layers.js';
import { runMounts } from './run-mounts.js';
import type { StepContext } from './step.js';
import { stepTempDir } from './temp-dir.js';

export interface RunSettings {
  /** The build's network for RUN without `--network` (`hull build --network`). */
  network: NetworkMode;
  runtime?: string;
  onLog?: (line: string) => void;
}

export async function executeRun(request: RunRequest, step: StepContext, settings: RunSettings): Promise<LayerRef | undefined> {
  const { store } = step;
  if (request.security === 'insecure') {
    throw new BuildError('RUN --security=insecure is not allowed: hull runs every step with Docker\'s default capabilities', step.position);
  }
  const lowers = await lowerDirs(store, step.layers);
  const dir = await stepTempDir(store.paths.tmp, 'run-mounts');
  try {
    const mounts = await runMounts(request.mounts, request.inlineFiles, dir.path, step);
    try {
      const result = await runStep({
        lowers,
        scratch: store.paths.tmp,
        args: request.args,
        env: request.env,
        cwd: request.cwd,
        user: request.user,
        network: request.network === 'default' ? settings.network : request.network,
        mounts: mounts.mounts,
        ...(settings.runtime !== undefined ? { runtime: settings.runtime } : {}),
        ...(settings.onLog ? { onLog: settings.onLog } : {}),
        onOutput: (chunk, stream) => step.log(stream, chunk),
      });
      try {
        step.status('layer', 'writing layer', false);
        const layer = await commitUpperDir(store, result.upperDir, step.commit);
        step.status('layer', layer ? `writing layer ${layer.blob.digest}` : 'no changes', true);
        return layer;
      } finally {
        await result.cleanup();
      }
    } finally {
      await mounts.close();
    }
  } catch (err) {
    if (err instanceof ExecError) {
      const reason = err.exitCode === undefined ? `${shortText(step.text)} could not run: ${err.message}` : `${shortText(step.text)} returned exit code ${err.exitCode}`;
      throw new BuildError(reason, step.position, err.outputTail);
    }
    throw err;
  } finally {
    await dir.remove();
  }
}

/** The instruction on one line, cut short: a long script would bury the message. */
function shortText(text: string): string {
  const line = text.split('\n')[0]!.trim();
  return line.length > 120 || text.includes('\n') ? `${line.slice(0, 120)}…` : line;
}
