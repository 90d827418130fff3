/**
 * ENTRYPOINT: also drops a CMD inherited from the base, since it was written for another
 * entrypoint; a CMD earlier in this same stage is kept (BEHAVIOURS 22).
 */
import type { EntrypointInstruction } from '../../parse/instructions/types.js';
import { commandArgs } from './command.js';
import { goQuotedList } from './format.js';
import { configOf, metaKey, metadata, withConfig } from './state.js';
import type { InstructionModule } from './types.js';

export const entrypoint: InstructionModule<EntrypointInstruction> = {
  kind: 'entrypoint',
  apply(state, ins) {
    const args = commandArgs(state, ins);
    const next = withConfig(state, { Entrypoint: args, Cmd: state.cmdSet ? configOf(state).Cmd : undefined });
    return metadata(next, `ENTRYPOINT ${goQuotedList(args)}`, metaKey('ENTRYPOINT', args, state));
  },
};
