import type { ParseContext } from './common.js';
import { parsePairs } from './kv.js';
import type { EnvInstruction } from './types.js';

export function parseEnv(ctx: ParseContext): EnvInstruction {
  return { kind: 'env', node: ctx.node, range: ctx.node.range, pairs: parsePairs(ctx) };
}
