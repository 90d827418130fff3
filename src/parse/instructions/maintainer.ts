import { exactlyOneArgument, type ParseContext } from './common.js';
import { parseFlags } from './flags.js';
import type { MaintainerInstruction } from './types.js';

/** Deprecated by Docker in favour of a LABEL, but still sets the config's `author`. */
export function parseMaintainer(ctx: ParseContext): MaintainerInstruction {
  parseFlags(ctx, { accepted: {} });
  const word = exactlyOneArgument(ctx, '<name>');
  return { kind: 'maintainer', node: ctx.node, range: ctx.node.range, maintainer: word.value };
}
