import type { ParseContext } from './common.js';
import { parseFlags } from './flags.js';
import { commandLine } from './run.js';
import type { CmdInstruction } from './types.js';

/** An empty CMD is allowed: `CMD []` clears the command inherited from the base image. */
export function parseCmd(ctx: ParseContext): CmdInstruction {
  parseFlags(ctx, { accepted: {} });
  const { node } = ctx;
  return {
    kind: 'cmd',
    node,
    range: node.range,
    form: node.json ? 'exec' : 'shell',
    command: commandLine(node.json, node.args.map((a) => a.value)),
  };
}
