import { fail, type ParseContext } from './common.js';
import { parseFlags } from './flags.js';
import type { ShellInstruction } from './types.js';

export function parseShell(ctx: ParseContext): ShellInstruction {
  parseFlags(ctx, { accepted: {} });
  const { node } = ctx;
  if (!node.json) {
    fail(ctx, node.argsStart, 'SHELL requires the arguments to be in JSON form, such as SHELL ["/bin/bash", "-c"]');
  }
  if (node.args.length === 0) {
    fail(ctx, node.argsStart, 'SHELL requires at least one argument, such as SHELL ["/bin/bash", "-c"]');
  }
  return { kind: 'shell', node, range: node.range, shell: node.args.map((a) => a.value) };
}
