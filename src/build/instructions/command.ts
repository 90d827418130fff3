/** CMD and ENTRYPOINT share this: shell form runs through the stage's SHELL (BEHAVIOURS 21). */
import type { CmdInstruction, EntrypointInstruction } from '../../parse/instructions/types.js';
import { shellOf } from './state.js';
import type { StageState } from './types.js';

/** The argv the config stores: JSON form as written, shell form as `[SHELL…, line]`. */
export function commandArgs(state: StageState, ins: CmdInstruction | EntrypointInstruction): string[] {
  return ins.form === 'exec' ? [...ins.command] : [...shellOf(state), ins.command.join(' ')];
}
