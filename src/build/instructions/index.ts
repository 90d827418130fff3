/**
 * Dispatch by instruction kind, and the two things around it: starting a stage from its base
 * config, and appending each step's history entry (BEHAVIOURS 29).
 */
import { GraphError } from '../../errors.js';
import type { HistoryEntry, ImageConfig } from '../../image/config.js';
import type { Instruction } from '../../parse/instructions/types.js';
import { withDefaultPath } from '../defaults.js';
import { add } from './add.js';
import { arg } from './arg.js';
import { cmd } from './cmd.js';
import { copy } from './copy.js';
import { entrypoint } from './entrypoint.js';
import { env } from './env.js';
import { expose } from './expose.js';
import { healthcheck } from './healthcheck.js';
import { label } from './label.js';
import { maintainer } from './maintainer.js';
import { onbuild } from './onbuild.js';
import { run } from './run.js';
import { shell } from './shell.js';
import { stopsignal } from './stopsignal.js';
import type { Effect, StageContext, StageState, StepInstruction, StepOutcome } from './types.js';
import { user } from './user.js';
import { volume } from './volume.js';
import { workdir } from './workdir.js';

export type * from './types.js';
export { isValidSignal } from './stopsignal.js';

/** BuildKit's history comment: tools use it to tell BuildKit-made steps apart. */
export const HISTORY_COMMENT = 'buildkit.dockerfile.v0';

function effectOf(state: StageState, ins: StepInstruction, ctx: StageContext): Effect {
  switch (ins.kind) {
    case 'run': return run.apply(state, ins, ctx);
    case 'copy': return copy.apply(state, ins, ctx);
    case 'add': return add.apply(state, ins, ctx);
    case 'env': return env.apply(state, ins, ctx);
    case 'label': return label.apply(state, ins, ctx);
    case 'arg': return arg.apply(state, ins, ctx);
    case 'expose': return expose.apply(state, ins, ctx);
    case 'cmd': return cmd.apply(state, ins, ctx);
    case 'entrypoint': return entrypoint.apply(state, ins, ctx);
    case 'shell': return shell.apply(state, ins, ctx);
    case 'healthcheck': return healthcheck.apply(state, ins, ctx);
    case 'user': return user.apply(state, ins, ctx);
    case 'workdir': return workdir.apply(state, ins, ctx);
    case 'volume': return volume.apply(state, ins, ctx);
    case 'stopsignal': return stopsignal.apply(state, ins, ctx);
    case 'maintainer': return maintainer.apply(state, ins, ctx);
    case 'onbuild': return onbuild.apply(state, ins, ctx);
  }
}

/** Applies one instruction and appends its history entry to the new state's image. */
export function applyInstruction(state: StageState, ins: Instruction, ctx: StageContext): StepOutcome {
  if (ins.kind === 'from') {
    // The graph turns every FROM into a stage; one reaching here is a caller's mistake.
    throw new GraphError('FROM starts a stage and cannot be applied as a step of one', { file: ctx.file, ...ins.range.start });
  }
  const effect = effectOf(state, ins, ctx);
  if (effect.createdBy === undefined) return { ...effect, history: undefined };
  const history: HistoryEntry = {
    ...(ctx.created !== undefined ? { created: ctx.created } : {}),
    created_by: effect.createdBy,
    comment: HISTORY_COMMENT,
    ...(effect.layer === 'none' ? { empty_layer: true } : {}),
  };
  const image = { ...effect.state.image, history: [...(effect.state.image.history ?? []), history] };
  return { ...effect, state: { ...effect.state, image }, history };
}

/** Applies instructions in order; the outcomes of each, the last state last. */
export function applyInstructions(state: StageState, instructions: readonly Instruction[], ctx: StageContext): StepOutcome[] {
  const out: StepOutcome[] = [];
  let current = state;
  for (const ins of instructions) {
    const outcome = applyInstruction(current, ins, ctx);
    out.push(outcome);
    current = outcome.state;
  }
  return out;
}

export interface StageStart {
  state: StageState;
  /** ONBUILD triggers of the base, to parse and apply right after FROM, in order (BEHAVIOURS 30). */
  triggers: string[];
}

/**
 * The state a stage starts in: the base config (an image's, or the parent stage's final one)
 * with PATH defaulted (BEHAVIOURS 10) and its ONBUILD triggers taken out, since they run once
 * here and are not inherited further; a parent stage also hands down its ARGs, as in BuildKit.
 */
export function startStage(base: ImageConfig, parent?: StageState): StageStart {
  const triggers = [...(base.config?.OnBuild ?? [])];
  const { created: _created, ...rest } = withDefaultPath(base);
  const config = { ...rest.config };
  delete config.OnBuild;
  return {
    state: {
      image: { ...rest, config, history: [...(base.history ?? [])] },
      args: parent?.args ?? new Map(),
      declaredArgs: parent?.declaredArgs ?? [],
      cmdSet: false,
    },
    triggers,
  };
}
