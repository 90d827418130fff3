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

top -> _ array _ {% (d): JsonElement[] => d[1] as JsonElement[] %}

array -> %lbracket _ %rbracket {% (): JsonElement[] => [] %}
  | %lbracket _ elements _ %rbracket {% (d): JsonElement[] => toArray(d[2] as Cons<JsonElement>) %}

# A cons list (see cons.ts): each completion is O(1) and shares, never mutates, the tail.
elements -> value {% (d): Cons<JsonElement> => ({ item: d[0] as JsonElement, rest: null }) %}
  | elements _ %comma _ value {% (d) => cons<JsonElement>([d[0], d[4]]) %}

value -> %string {% (d): JsonElement => { const t = d[0] as Token; return { value: JSON.parse(t.text) as string, offset: t.offset }; } %}
  | %number {% other %}
  | %literal {% other %}
  | array {% other %}
  | object {% other %}

object -> %lbrace _ %rbrace
  | %lbrace _ members _ %rbrace

members -> member | members _ %comma _ member

member -> %string _ %colon _ value

_ -> %ws:?
