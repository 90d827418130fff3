import { ParseError } from '../../errors.js';
import type { Heredoc, Node, Position } from '../ast.js';
import { chompHeredoc, parseHeredocMarker } from '../heredoc.js';
import { ShellExpansionError } from '../shell/lex.js';
import type { InlineFile, Word } from './types.js';

/** What every instruction parser gets: the node and the file name errors must carry. */
export interface ParseContext {
  node: Node;
  file: string;
}

export function fail(ctx: ParseContext, at: Position, reason: string): never {
  throw new ParseError(reason, { file: ctx.file, line: at.line, column: at.column });
}

/** The keyword in upper case, which is how messages name an instruction whatever its casing. */
export function keywordOf(ctx: ParseContext): string {
  return ctx.node.name.toUpperCase();
}

export function exactlyOneArgument(ctx: ParseContext, what: string): Word {
  const { args } = ctx.node;
  const kw = keywordOf(ctx);
  if (args.length === 0 || (args.length === 1 && args[0]!.value === '')) {
    fail(ctx, ctx.node.range.start, `${kw} requires exactly one argument: ${kw} ${what}`);
  }
  if (args.length > 1) {
    fail(ctx, args[1]!.range.start, `${kw} requires exactly one argument, but ${args.length} were given`);
  }
  return args[0]!;
}

export function atLeastOneArgument(ctx: ParseContext, what: string): Word[] {
  const { args } = ctx.node;
  if (args.length === 0) {
    const kw = keywordOf(ctx);
    fail(ctx, ctx.node.range.start, `${kw} requires at least one argument: ${kw} ${what}`);
  }
  return args;
}

export function inlineFile(h: Heredoc): InlineFile {
  return h.chomp ? { ...h, content: chompHeredoc(h.content) } : h;
}

/**
 * The heredoc an argument word stands for (`<<EOF`, `<<-"EOF"`), matched against the node's
 * heredocs by name; undefined for an ordinary word.
 */
export function heredocFor(node: Node, word: string): Heredoc | undefined {
  if (node.heredocs.length === 0 || !word.includes('<<')) return undefined;
  let marker;
  try {
    marker = parseHeredocMarker(word);
  } catch (err) {
    if (err instanceof ShellExpansionError) return undefined;
    throw err;
  }
  return marker ? node.heredocs.find((h) => h.name === marker.name) : undefined;
}

/** A quick check used to defer validation: a word with `$` may change when expanded. */
export function mayExpand(value: string): boolean {
  return value.includes('$');
}
