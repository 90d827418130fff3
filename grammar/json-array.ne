# The exec form of RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK and the JSON form of COPY/ADD/VOLUME:
# a strict JSON array. Any JSON value is recognised so that "valid JSON but not all strings"
# (an error) can be told apart from "not JSON" (shell form).
@preprocessor typescript
@{%
import type { Token } from 'moo';
import { jsonLexer } from '../lex/json.js';
import { cons, toArray, type Cons } from '../cons.js';

export interface JsonString {
  value: string;
  /** Offset of the opening quote in the parsed text. */
  offset: number;
}
/** One array element: its text when it is a string, null for any other JSON value. */
export type JsonElement = JsonString | null;

const other = (): null => null;
%}
@lexer jsonLexer

# Tokens carry their trailing whitespace (src/parse/lex/json.ts): no whitespace rules here.
top -> array {% id %}

array -> %lbracket %rbracket {% (): JsonElement[] => [] %}
  | %lbracket elements %rbracket {% (d): JsonElement[] => toArray(d[1] as Cons<JsonElement>) %}

# A cons list (see cons.ts): each completion is O(1) and shares, never mutates, the tail.
elements -> value {% (d): Cons<JsonElement> => ({ item: d[0] as JsonElement, rest: null }) %}
  | elements %comma value {% (d) => cons<JsonElement>([d[0], d[2]]) %}

value -> %string {% (d): JsonElement => { const t = d[0] as Token; return { value: JSON.parse(t.text) as string, offset: t.offset }; } %}
  | %number {% other %}
  | %literal {% other %}
  | array {% other %}
  | object {% other %}

object -> %lbrace %rbrace
  | %lbrace members %rbrace

members -> member | members %comma member

member -> %string %colon value
