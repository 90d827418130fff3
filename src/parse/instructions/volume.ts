import { atLeastOneArgument, fail, type ParseContext } from './common.js';
import { parseFlags } from './flags.js';
import type { VolumeInstruction } from './types.js';

export function parseVolume(ctx: ParseContext): VolumeInstruction {
  parseFlags(ctx, { accepted: {} });
  const words = atLeastOneArgument(ctx, '<path>... or VOLUME ["<path>", ...]');
  const volumes = words.map((w) => {
    const value = w.value.trim();
    if (value === '') fail(ctx, w.range.start, 'VOLUME paths can not be empty strings');
    return { value, range: w.range };
  });
  return { kind: 'volume', node: ctx.node, range: ctx.node.range, volumes };
}
