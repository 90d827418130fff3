import type moo from 'moo';

/**
 * A moo lexer holds its position and state, so each parse takes its own copy; `clone()` (in
 * moo since 0.5, missing from @types/moo) shares the compiled rules.
 */
export function freshLexer(lexer: moo.Lexer): moo.Lexer {
  return (lexer as moo.Lexer & { clone(): moo.Lexer }).clone();
}
