# The head of one logical Dockerfile instruction: KEYWORD [--flag ...] [rest].
# Tokens come from src/parse/lex/head.ts; the per-keyword argument rules run on `rest`.
@preprocessor typescript
@{%
import type { Token } from 'moo';
import { headLexer } from '../lex/head.js';
import { cons, nil, type Cons } from '../cons.js';

/** A quoted run inside a flag; the closing quote is missing when the line ended first. */
export interface QuotedPiece {
  open: Token;
  inner: Cons<Token>;
  close: Token | null;
}
export type FlagPiece = Token | QuotedPiece;

/** One `--flag` word as lexed; `cookFlag` turns it into text. */
export interface FlagParts {
  start: Token;
  pieces: Cons<FlagPiece>;
}

/** Lists are cons lists (see cons.ts): every postprocessor here is O(1). */
export interface InstructionHead {
  keyword: Token;
  flags: Cons<FlagParts>;
  rest: Token | null;
}

%}
@lexer headLexer

head -> %keyword flags rest:? %space:?
  {% (d): InstructionHead => ({ keyword: d[0] as Token, flags: d[1] as Cons<FlagParts>, rest: d[2] as Token | null }) %}

flags -> null {% nil %} | flags flag {% cons %}

flag -> %space %flagStart pieces {% (d): FlagParts => ({ start: d[1] as Token, pieces: d[2] as Cons<FlagPiece> }) %}

pieces -> null {% nil %} | pieces piece {% cons %}

piece -> (%plain | %escape) {% (d): FlagPiece => (d[0] as Token[])[0]! %}
  | (%singleOpen | %doubleOpen) quotedPieces %quoteClose:?
  {% (d): FlagPiece => ({ open: (d[0] as Token[])[0]!, inner: d[1] as Cons<Token>, close: d[2] as Token | null }) %}

quotedPieces -> null {% nil %} | quotedPieces quoted {% cons %}

quoted -> (%quoted | %quotedEscape) {% (d): Token => (d[0] as Token[])[0]! %}

rest -> %space %rest {% (d): Token => d[1] as Token %}
