import type { ParseContext } from './common.js';
import { parseFlags } from './flags.js';
import { commandLine } from './run.js';
import type { CmdInstruction, EntrypointInstruction } from './types.js';

/**
 * CMD and ENTRYPOINT read the same way: a command in exec or shell form, no flags. An empty
 * one (`CMD []`) is allowed: it clears what the base image set.
 */
export function parseCommandInstruction<K extends 'cmd' | 'entrypoint'>(
  ctx: ParseContext,
  kind: K,
): Extract<CmdInstruction | EntrypointInstruction, { kind: K }> {
  parseFlags(ctx, { accepted: {} });
  const { node } = ctx;
  const instruction = {
    kind,
    node,
    range: node.range,
    form: node.json ? 'exec' : 'shell',
    command: commandLine(node.json, node.args.map((a) => a.value)),
  } as const;
  return instruction as Extract<CmdInstruction | EntrypointInstruction, { kind: K }>;
}
