import moo from 'moo';
import { GO_SPACE } from '../source.js';

/**
 * Lexes the head of one logical instruction line: the keyword, then `--flag` words, then the
 * rest (the arguments, left for the per-keyword rules). Used by `grammar/instruction.ne`.
 *
 * A flag word runs to the next unquoted whitespace; inside it quotes group (and are removed
 * later) and a backslash escapes the next character, whatever the escape directive says, as in
 * BuildKit's flag scanner.
 */
export const headLexer = moo.states({
  keyword: {
    // BuildKit splits the keyword off at the first run of ASCII blanks only.
    keyword: { match: /[^\t\v\f\r ]+/, lineBreaks: true, next: 'flags' },
  },
  flags: {
    space: { match: new RegExp(`[${GO_SPACE}]+`), lineBreaks: true },
    flag: {
      match: new RegExp(
        `--(?:'(?:\\\\[^]|[^'\\\\])*'?|"(?:\\\\[^]|[^"\\\\])*"?|\\\\[^]?|[^${GO_SPACE}'"\\\\])*`,
      ),
      lineBreaks: true,
    },
    rest: { match: /[^]+/, lineBreaks: true },
  },
});

/** The flag word with quotes removed and backslash escapes resolved. */
export function cookFlag(raw: string): string {
  let out = '';
  let quote = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (quote !== '' && ch === quote) {
      quote = '';
    } else if (quote === '' && (ch === "'" || ch === '"')) {
      quote = ch;
    } else if (ch === '\\') {
      if (i + 1 < raw.length) out += raw[++i];
    } else {
      out += ch;
    }
  }
  return out;
}
