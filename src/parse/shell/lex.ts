/**
 * Expansion of Dockerfile words (ARG, ENV, FROM, COPY… arguments) with the results of BuildKit's
 * `frontend/dockerfile/shell` lexer: quotes, escapes, `$v`, `${v}` and the `${v…}` modifiers,
 * and splitting into words. It is a shell look-alike, not a shell: where BuildKit differs from
 * POSIX sh (no bracket expressions in patterns, `*` not matching newlines, an unterminated
 * `${v/p` being an error, …) this follows BuildKit, because hull must build what Docker builds.
 */

import { Expansion } from './expansion.js';
import { WordSplitter } from './word-splitter.js';

export { ShellExpansionError } from './errors.js';

/** Variables for expansion: an absent key is unset, "" is set but empty. */
export type ShellEnv = ReadonlyMap<string, string>;

export interface ShellLexOptions {
  /** The Dockerfile's escape character (`# escape=` directive); default `\`. */
  escapeToken?: '\\' | '`';
  /** Keep quote characters in the output (they still group and stop expansion). */
  rawQuotes?: boolean;
  /** Keep escape characters in the output (they still escape). */
  rawEscapes?: boolean;
  /** Leave references to unset variables as written instead of expanding them to "". */
  skipUnsetEnv?: boolean;
}

export interface WordExpansion {
  result: string;
  /** Names referenced that were set (even if empty). */
  matched: Set<string>;
  /** Names referenced that were unset. */
  unmatched: Set<string>;
}

/**
 * Builds the environment from `NAME=value` entries as BuildKit does: split at the first `=`, an
 * entry without `=` sets the name to "", and a later entry for a name wins.
 */
export function envFromList(entries: readonly string[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq < 0) env.set(entry, '');
    else env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

export class ShellLex {
  private readonly options: Required<ShellLexOptions>;

  constructor(options: ShellLexOptions = {}) {
    const escapeToken = options.escapeToken ?? '\\';
    if (escapeToken !== '\\' && escapeToken !== '`') {
      throw new TypeError(`escape token must be '\\' or '\`', not ${JSON.stringify(escapeToken)}`);
    }
    this.options = {
      escapeToken,
      rawQuotes: options.rawQuotes ?? false,
      rawEscapes: options.rawEscapes ?? false,
      skipUnsetEnv: options.skipUnsetEnv ?? false,
    };
  }

  /** Expands one word: quotes removed, variables substituted, no splitting. */
  processWord(word: string, env: ShellEnv): string {
    return new Expansion(word, env, this.options).expand(null);
  }

  /** Like processWord, and also reports which variables the word referred to. */
  processWordWithMatches(word: string, env: ShellEnv): WordExpansion {
    const expansion = new Expansion(word, env, this.options);
    const result = expansion.expand(null);
    return { result, matched: expansion.matched, unmatched: expansion.unmatched };
  }

  /**
   * Expands and splits into words: unquoted whitespace separates words, quoted or escaped
   * whitespace does not, and an unquoted expansion is split on whitespace (empty pieces dropped).
   */
  processWords(word: string, env: ShellEnv): string[] {
    const words = new WordSplitter();
    new Expansion(word, env, this.options).expand(words);
    return words.finish();
  }
}
