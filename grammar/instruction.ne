# The head of one logical Dockerfile instruction: KEYWORD [--flag ...] [rest].
# Tokens come from src/parse/lex/head.ts; the per-keyword argument rules run on `rest`.
@preprocessor typescript
@{%
import type { Token } from 'moo';
import { headLexer } from '../lex/head.js';

export interface InstructionHead {
  keyword: Token;
  flags: Token[];
  rest: Token | null;
}
%}
@lexer headLexer

head -> %keyword flag:* rest:? %space:?
  {% (d): InstructionHead => ({ keyword: d[0] as Token, flags: d[1] as Token[], rest: d[2] as Token | null }) %}

flag -> %space %flag {% (d): Token => d[1] as Token %}

rest -> %space %rest {% (d): Token => d[1] as Token %}
