import { fail, type ParseContext } from './common.js';
import { parseFlags } from './flags.js';
import type { FromInstruction } from './types.js';

/** BuildKit's rule, applied after lower-casing: a stage name must not look like an index. */
export const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

export function parseFrom(ctx: ParseContext): FromInstruction {
  const { node } = ctx;
  const flags = parseFlags(ctx, { accepted: { platform: 'string' } });
  const args = node.args;
  if (args.length === 0 || args[0]!.value === '') {
    fail(ctx, node.range.start, 'FROM needs an image or a stage to start from: FROM <image> [AS <name>]');
  }
  const base: FromInstruction = { kind: 'from', node, range: node.range, image: args[0]! };
  const platform = flags.string('platform');
  if (platform) base.platform = platform;
  if (args.length === 1) return base;

  const asWord = args[1]!;
  if (asWord.value.toLowerCase() !== 'as') {
    fail(ctx, asWord.range.start, `FROM takes one image, optionally followed by AS <name>, but found "${asWord.value}" after the image`);
  }
  if (args.length === 2) {
    fail(ctx, asWord.range.end, `FROM ${args[0]!.value} ${asWord.value} needs a stage name after ${asWord.value}`);
  }
  if (args.length > 3) {
    fail(ctx, args[3]!.range.start, `FROM has extra words after the stage name "${args[2]!.value}": ${args.slice(3).map((a) => a.value).join(' ')}`);
  }
  const nameWord = args[2]!;
  const name = nameWord.value.toLowerCase();
  if (!STAGE_NAME.test(name)) {
    fail(
      ctx,
      nameWord.range.start,
      `invalid stage name "${nameWord.value}": a stage name starts with a letter and contains only letters, digits, "-", "_" and "."`,
    );
  }
  return { ...base, stageName: name, stageNameWord: nameWord, asWord };
}
