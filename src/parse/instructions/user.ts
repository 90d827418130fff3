import { exactlyOneArgument, type ParseContext } from './common.js';
import { parseFlags } from './flags.js';
import type { UserInstruction } from './types.js';

export function parseUser(ctx: ParseContext): UserInstruction {
  parseFlags(ctx, { accepted: {} });
  return { kind: 'user', node: ctx.node, range: ctx.node.range, user: exactlyOneArgument(ctx, '<user>[:<group>]') };
}
