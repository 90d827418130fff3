import moo from 'moo';
import { GO_SPACE } from '../source.js';
import { freshLexer } from './fresh.js';
import type { EscapeToken } from './lines.js';

/**
 * Quote-aware words for ARG, ENV and LABEL (BuildKit's parseWords): unquoted whitespace
 * separates words; quotes group and are KEPT (the shell lexer removes them later); outside
 * single quotes the escape token keeps the next character in the word.
 */
function wordsLexer(escape: EscapeToken): moo.Lexer {
  const e = escape === '\\' ? '\\\\' : '`';
  return moo.compile({
    space: { match: new RegExp(`[${GO_SPACE}]+`), lineBreaks: true },
    // Unterminated quotes run to the end of the input, as in BuildKit.
    double: { match: new RegExp(`"(?:${e}[^]|[^"${e}])*"?`), lineBreaks: true },
    single: { match: /'[^']*'?/, lineBreaks: true },
    escaped: { match: new RegExp(`${e}[^]?`), lineBreaks: true },
    text: { match: new RegExp(`[^${GO_SPACE}'"${e}]+`), lineBreaks: true },
  });
}

const cache = new Map<EscapeToken, moo.Lexer>();

export interface Word {
  value: string;
  /** Offset of the word's first character in the input. */
  offset: number;
}

export function splitWords(text: string, escape: EscapeToken): Word[] {
  let compiled = cache.get(escape);
  if (!compiled) {
    compiled = wordsLexer(escape);
    cache.set(escape, compiled);
  }
  const lexer = freshLexer(compiled);
  lexer.reset(text);
  const words: Word[] = [];
  let current: Word | null = null;
  for (let token = lexer.next(); token; token = lexer.next()) {
    if (token.type === 'space') {
      if (current && current.value !== '') words.push(current);
      current = null;
      continue;
    }
    if (!current) current = { value: '', offset: token.offset };
    // A lone escape token at the very end of the input is dropped.
    if (token.text !== escape) current.value += token.text;
  }
  if (current && current.value !== '') words.push(current);
  return words;
}
