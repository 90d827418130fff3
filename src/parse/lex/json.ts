import moo from 'moo';

/**
 * Strict JSON tokens (RFC 8259, as Go's encoding/json reads it), for the exec form
 * `["cmd", "arg"]`. Anything else becomes an `invalid` token, which fails the JSON grammar
 * and sends the line back to shell form, as BuildKit does.
 */
export const jsonLexer = moo.compile({
  ws: { match: /[ \t\n\r]+/, lineBreaks: true },
  lbracket: '[',
  rbracket: ']',
  lbrace: '{',
  rbrace: '}',
  colon: ':',
  comma: ',',
  string: /"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/,
  number: /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/,
  literal: ['true', 'false', 'null'],
  invalid: moo.error,
});
