import type { ParseContext } from './common.js';
import { parseCommandInstruction } from './command.js';
import type { CmdInstruction } from './types.js';

/** CMD: the default command (or the default arguments of the ENTRYPOINT). */
export function parseCmd(ctx: ParseContext): CmdInstruction {
  return parseCommandInstruction(ctx, 'cmd');
}
