import type { ParseContext } from './common.js';
import { parsePairs } from './kv.js';
import type { LabelInstruction } from './types.js';

export function parseLabel(ctx: ParseContext): LabelInstruction {
  return { kind: 'label', node: ctx.node, range: ctx.node.range, pairs: parsePairs(ctx) };
}
