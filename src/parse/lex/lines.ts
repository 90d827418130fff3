import moo from 'moo';
import { GO_SPACE } from '../source.js';
import { freshLexer } from './fresh.js';

/**
 * The physical-line lexer: every token is one whole line (with its `\n`), typed by what it is
 * for the Dockerfile. Line continuation depends on the escape token, so there is one lexer per
 * token, built on first use.
 *
 * States:
 * - `start`: the first line of an instruction. Comments, blank lines and parser directives are
 *   recognised here (directives only count while the driver still accepts them).
 * - `cont`: lines of a continued instruction, where comment lines and blank lines are skipped.
 * - `heredoc`: heredoc bodies, where every line is raw text until the driver finds the terminator.
 */
export type EscapeToken = '\\' | '`';

export type LineTokenType =
  | 'blank'
  | 'directive'
  | 'comment'
  | 'continued'
  | 'line'
  | 'contComment'
  | 'contBlank'
  | 'body';

/** Go whitespace other than the line feed, which always ends a line. */
const SP = GO_SPACE.replace('\\n', '');

function linesLexer(escape: EscapeToken): moo.Lexer {
  const e = escape === '\\' ? '\\\\' : '`';
  // BuildKit's continuation test is `([^E])E[ \t]*$|^E[ \t]*$` on the line without its line
  // ending: an escaped escape (`\\`) at the end does not continue the line.
  const continued = { match: new RegExp(`(?:[^\\n]*[^${e}\\n])?${e}[ \\t]*\\r*\\n`), lineBreaks: true };
  const line = { match: /[^\n]*\n/, lineBreaks: true };
  return moo.states({
    start: {
      blank: { match: new RegExp(`[${SP}]*\\n`), lineBreaks: true },
      directive: {
        match: new RegExp(`[${SP}]*#[\\t\\f\\r ]*[a-zA-Z][a-zA-Z0-9]*[\\t\\f\\r ]*=[^\\n]*\\n`),
        lineBreaks: true,
      },
      comment: { match: new RegExp(`[${SP}]*#[^\\n]*\\n`), lineBreaks: true },
      continued: { ...continued, next: 'cont' },
      line,
    },
    cont: {
      contComment: { match: new RegExp(`[${SP}]*#[^\\n]*\\n`), lineBreaks: true },
      contBlank: { match: new RegExp(`[${SP}]*\\n`), lineBreaks: true },
      continued,
      line: { ...line, next: 'start' },
    },
    heredoc: {
      body: line,
    },
  });
}

const cache = new Map<EscapeToken, moo.Lexer>();

/** A fresh line lexer for an escape token (the compiled rules are shared, the state is not). */
export function lineLexerFor(escape: EscapeToken): moo.Lexer {
  let lexer = cache.get(escape);
  if (!lexer) {
    lexer = linesLexer(escape);
    cache.set(escape, lexer);
  }
  return freshLexer(lexer);
}
