/** CMD: the default command; the last one wins (BEHAVIOURS 23). Not expanded: the shell does that. */
import type { CmdInstruction } from '../../parse/instructions/types.js';
import { commandArgs } from './command.js';
import { goQuotedList } from './format.js';
import { metaKey, metadata, withConfig } from './state.js';
import type { InstructionModule } from './types.js';

export const cmd: InstructionModule<CmdInstruction> = {
  kind: 'cmd',
  apply(state, ins) {
    const args = commandArgs(state, ins);
    // BuildKit marks every CMD ArgsEscaped (a Docker-spec field Windows needs).
    const next = { ...withConfig(state, { Cmd: args, ArgsEscaped: true }), cmdSet: true };
    return metadata(next, `CMD ${goQuotedList(args)}`, metaKey('CMD', args, state));
  },
};
