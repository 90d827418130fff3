# The head of one logical Dockerfile instruction: KEYWORD [--flag ...] [rest].
# Tokens come from src/parse/lex/head.ts; the per-keyword argument rules run on `rest`.
@preprocessor typescript
@{%
import type { Token } from 'moo';
import { headLexer } from '../lex/head.js';

/** One `--flag` word: quotes removed, escapes resolved, and where it stands in the line. */
export interface FlagWord {
  cooked: string;
  offset: number;
  end: number;
}

export interface InstructionHead {
  keyword: Token;
  flags: FlagWord[];
  rest: Token | null;
}

/** The text a piece contributes: an escape keeps only the escaped character (a lone one is dropped). */
const cook = (t: Token): string => (t.type === 'escape' ? t.text.slice(1) : t.text);
const endOf = (t: Token): number => t.offset + t.text.length;
%}
@lexer headLexer

head -> %keyword flag:* rest:? %space:?
  {% (d): InstructionHead => ({ keyword: d[0] as Token, flags: d[1] as FlagWord[], rest: d[2] as Token | null }) %}

flag -> %space %flagStart piece:*
  {% (d): FlagWord => {
    const start = d[1] as Token;
    const pieces = d[2] as { text: string; end: number }[];
    return {
      cooked: '--' + pieces.map((p) => p.text).join(''),
      offset: start.offset,
      end: pieces.length > 0 ? pieces[pieces.length - 1]!.end : endOf(start),
    };
  } %}

piece -> (%plain | %escape) {% (d): { text: string; end: number } => { const t = (d[0] as Token[])[0]!; return { text: cook(t), end: endOf(t) }; } %}
  | (%singleOpen | %doubleOpen) quoted:* %quoteClose:?
  {% (d): { text: string; end: number } => {
    const open = (d[0] as Token[])[0]!;
    const inner = d[1] as Token[];
    const close = d[2] as Token | null;
    const last = close ?? inner[inner.length - 1] ?? open;
    return { text: inner.map(cook).join(''), end: endOf(last) };
  } %}

quoted -> (%quoted | %escape) {% (d): Token => (d[0] as Token[])[0]! %}

rest -> %space %rest {% (d): Token => d[1] as Token %}
