/**
 * WORKDIR: the config's WorkingDir, relative to the previous one (BEHAVIOURS 19), expanded.
 * Anything but `/` also asks the solver to create the directory, owned by the stage's USER,
 * which is the one layer-making step whose history BuildKit writes without `# buildkit`.
 */
import { GraphError } from '../../errors.js';
import type { WorkdirInstruction } from '../../parse/instructions/types.js';
import { at, configOf, expandWord, metaKey, resolveIn, scope, withConfig, workdirOf } from './state.js';
import type { InstructionModule } from './types.js';

export const workdir: InstructionModule<WorkdirInstruction> = {
  kind: 'workdir',
  apply(state, ins, ctx) {
    const requested = expandWord(ctx, ins.path, scope(state));
    if (requested === '') throw new GraphError(`WORKDIR ${ins.path.value} expands to an empty path: give a directory`, at(ctx, ins.path));
    const path = resolveIn(workdirOf(state), requested);
    const next = withConfig(state, { WorkingDir: path });
    const user = configOf(state).User ?? '';
    return {
      state: next,
      layer: path === '/' ? 'none' : { kind: 'mkdir', path, mode: 0o755, user },
      createdBy: `WORKDIR ${path}`,
      cacheKey: metaKey('WORKDIR', { path, user }, state),
    };
  },
};
