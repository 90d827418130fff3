/** ENV and LABEL: the parser hands over (key, value, separator) triples. */
import { fail, keywordOf, type ParseContext } from './common.js';
import { parseFlags } from './flags.js';
import type { KeyValue } from './types.js';

export function parsePairs(ctx: ParseContext): KeyValue[] {
  parseFlags(ctx, { accepted: {} });
  const { node } = ctx;
  const kw = keywordOf(ctx);
  const args = node.args;
  if (args.length === 0) fail(ctx, node.range.start, `${kw} requires at least one argument: ${kw} <name>=<value>`);
  const pairs: KeyValue[] = [];
  for (let i = 0; i < args.length; i += 3) {
    const key = args[i]!;
    const value = args[i + 1];
    if (value === undefined) {
      fail(ctx, key.range.start, `${kw} ${key.value} has no value: write ${kw} ${key.value}=<value>`);
    }
    if (key.value === '') fail(ctx, key.range.start, `${kw} names can not be blank: write ${kw} <name>=<value>`);
    pairs.push({ key, value });
  }
  return pairs;
}
