import { exactlyOneArgument, type ParseContext } from './common.js';
import { parseFlags } from './flags.js';
import type { StopsignalInstruction } from './types.js';

export function parseStopsignal(ctx: ParseContext): StopsignalInstruction {
  parseFlags(ctx, { accepted: {} });
  return { kind: 'stopsignal', node: ctx.node, range: ctx.node.range, signal: exactlyOneArgument(ctx, '<signal>') };
}
