import moo from 'moo';

/**
 * Strict JSON tokens (RFC 8259, as Go's encoding/json reads it), for the exec form
 * `["cmd", "arg"]`. Anything else becomes an `invalid` token, which fails the JSON grammar
 * and sends the line back to shell form, as BuildKit does.
 */
// Every token carries the JSON whitespace that follows it, so the grammar needs no
// whitespace rules: fewer tokens and fewer Earley states per array (the text starts with `[`).
const token = (re: RegExp) => ({ match: new RegExp(`${re.source}[ \\t\\n\\r]*`), lineBreaks: true });

export const jsonLexer = moo.compile({
  lbracket: token(/\[/),
  rbracket: token(/\]/),
  lbrace: token(/\{/),
  rbrace: token(/\}/),
  colon: token(/:/),
  comma: token(/,/),
  // Unrolled (`a*(?:escape a*)*`) so a long string does not loop the regex engine per character.
  string: token(/"[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*"/),
  number: token(/-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/),
  literal: token(/(?:true|false|null)/),
  invalid: moo.error,
});
