import type { ParseContext } from './common.js';
import { parseFlags } from './flags.js';
import { commandLine } from './run.js';
import type { EntrypointInstruction } from './types.js';

/** An empty ENTRYPOINT resets the base image's entrypoint, as in Docker. */
export function parseEntrypoint(ctx: ParseContext): EntrypointInstruction {
  parseFlags(ctx, { accepted: {} });
  const { node } = ctx;
  return {
    kind: 'entrypoint',
    node,
    range: node.range,
    form: node.json ? 'exec' : 'shell',
    command: commandLine(node.json, node.args.map((a) => a.value)),
  };
}
