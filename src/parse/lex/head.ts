import moo, { type Token } from 'moo';
import { toArray } from '../cons.js';
import type { FlagParts } from '../generated/instruction.js';
import { GO_SPACE } from '../source.js';

/**
 * Lexes the head of one logical instruction line: the keyword, then `--flag` words, then the
 * rest (the arguments, left for the per-keyword rules). Used by `grammar/instruction.ne`.
 *
 * States: `keyword`, `flags` (between words), `flag` (inside one `--flag` word, which ends at
 * unquoted whitespace), `single`/`double` (quotes inside a flag, removed when cooked). A
 * backslash escapes the next character whatever the escape directive says, as in BuildKit's
 * flag scanner. Flag text comes in runs, never one regex over the whole word, so a flag of
 * megabytes cannot exhaust the regex engine's stack.
 */
const space = { match: new RegExp(`[${GO_SPACE}]+`), lineBreaks: true };
const escape = { match: /\\[^]?/, lineBreaks: true };

export const headLexer = moo.states({
  keyword: {
    // BuildKit splits the keyword off at the first run of ASCII blanks only.
    keyword: { match: /[^\t\v\f\r ]+/, lineBreaks: true, next: 'flags' },
  },
  flags: {
    space,
    // The flag's leading plain run comes with `--`: most flags are then a single token.
    flagStart: { match: new RegExp(`--[^${GO_SPACE}'"\\\\]*`), push: 'flag' },
    rest: { match: /[^]+/, lineBreaks: true },
  },
  flag: {
    space: { ...space, pop: 1 },
    plain: new RegExp(`[^${GO_SPACE}'"\\\\]+`),
    escape,
    singleOpen: { match: "'", push: 'single' },
    doubleOpen: { match: '"', push: 'double' },
  },
  // Escapes inside quotes are their own token type: were they `escape` like outside, the
  // grammar could not tell where an unclosed quote ends and would try every place.
  single: {
    quoted: { match: /[^'\\]+/, lineBreaks: true },
    quotedEscape: escape,
    quoteClose: { match: "'", pop: 1 },
  },
  double: {
    quoted: { match: /[^"\\]+/, lineBreaks: true },
    quotedEscape: escape,
    quoteClose: { match: '"', pop: 1 },
  },
});

/** A flag word's text: quotes removed, an escape keeps only the escaped character (a lone one is dropped). */
export function cookFlag(flag: FlagParts): { text: string; end: number } {
  const cook = (t: Token): string => (t.type === 'escape' || t.type === 'quotedEscape' ? t.text.slice(1) : t.text);
  const endOf = (t: Token): number => t.offset + t.text.length;
  let text = flag.start.text;
  let end = endOf(flag.start);
  for (const piece of toArray(flag.pieces)) {
    if ('open' in piece) {
      const inner = toArray(piece.inner);
      for (const t of inner) text += cook(t);
      end = endOf(piece.close ?? inner[inner.length - 1] ?? piece.open);
    } else {
      text += cook(piece);
      end = endOf(piece);
    }
  }
  return { text, end };
}
