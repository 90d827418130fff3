import { fail, type ParseContext } from './common.js';
import { parseFlags } from './flags.js';
import type { Instruction, OnbuildInstruction } from './types.js';

/**
 * ONBUILD's trigger is checked now (Docker only checks it when a later build runs it), so a
 * typo fails the build that writes it rather than every build that uses the image.
 */
export function parseOnbuild(ctx: ParseContext, parseChild: (ctx: ParseContext) => Instruction): OnbuildInstruction {
  parseFlags(ctx, { accepted: {} });
  const { node } = ctx;
  const child = node.child;
  if (!child) fail(ctx, node.range.start, 'ONBUILD needs an instruction to run later: ONBUILD <instruction>');
  const at = child.range.start;
  if (child.name === 'onbuild') fail(ctx, at, 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
  if (child.name === 'from' || child.name === 'maintainer') {
    fail(ctx, at, `${child.name.toUpperCase()} isn't allowed as an ONBUILD trigger`);
  }
  // The parser hangs the heredoc bodies on the ONBUILD node; the trigger needs them.
  const heredocs = child.heredocs.length > 0 ? child.heredocs : node.heredocs;
  const trigger = parseChild({ node: { ...child, heredocs }, file: ctx.file });
  let expression = node.original.replace(/^\s*ONBUILD\s*/i, '');
  for (const h of heredocs) expression += `\n${h.content}${h.name}`;
  return { kind: 'onbuild', node, range: node.range, trigger, expression };
}
