import { exactlyOneArgument, type ParseContext } from './common.js';
import { parseFlags } from './flags.js';
import type { WorkdirInstruction } from './types.js';

export function parseWorkdir(ctx: ParseContext): WorkdirInstruction {
  parseFlags(ctx, { accepted: {} });
  return { kind: 'workdir', node: ctx.node, range: ctx.node.range, path: exactlyOneArgument(ctx, '<path>') };
}
