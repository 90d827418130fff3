import { atLeastOneArgument, fail, type ParseContext } from './common.js';
import { parseFlags } from './flags.js';
import type { ArgDeclaration, ArgInstruction } from './types.js';

export function parseArg(ctx: ParseContext): ArgInstruction {
  parseFlags(ctx, { accepted: {} });
  const words = atLeastOneArgument(ctx, '<name>[=<default>]');
  const args = words.map((word): ArgDeclaration => {
    // Unlike ENV, ARG splits name and value here: `ARG NAME` alone declares without a default.
    const eq = word.value.indexOf('=');
    const name = eq < 0 ? word.value : word.value.slice(0, eq);
    if (name === '') fail(ctx, word.range.start, 'ARG names can not be blank: write ARG <name>[=<default>]');
    return eq < 0 ? { name, word } : { name, default: word.value.slice(eq + 1), word };
  });
  return { kind: 'arg', node: ctx.node, range: ctx.node.range, args };
}
