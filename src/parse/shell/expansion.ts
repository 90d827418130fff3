/** The scanner behind ShellLex: one pass over one word, expanding as it goes. */
import { codePointAt, isDigit, isNameChar } from './chars.js';
import { ShellExpansionError } from './errors.js';
import type { ShellEnv, ShellLexOptions } from './lex.js';
import { replace, trimPrefix, trimSuffix, type PatternResult } from './pattern.js';
import type { WordSplitter } from './word-splitter.js';

/** Characters that are a whole parameter name after `$` (POSIX special parameters). */
const SPECIAL_PARAMETERS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);

/**
 * `${…}` nested inside `${…}` recurses; real Dockerfiles nest a few levels, and a limit turns a
 * hostile word into an error instead of a stack overflow.
 */
const MAX_NESTING = 200;

/** One expansion of one word: a cursor over it plus what was looked up. */
export class Expansion {
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();
  private pos: number;
  private rawEscapes: boolean;
  private nesting = 0;

  constructor(
    private readonly word: string,
    private readonly env: ShellEnv,
    private readonly options: Required<ShellLexOptions>,
  ) {
    this.rawEscapes = options.rawEscapes;
    // BuildKit reads the word with Go's text/scanner, which skips a byte-order mark at the start.
    this.pos = word.charCodeAt(0) === 0xfeff ? 1 : 0;
  }

  expand(words: WordSplitter | null): string {
    return this.processUntil(null, this.options.rawEscapes, words) as string;
  }

  private peek(): string {
    return codePointAt(this.word, this.pos);
  }

  private next(): string {
    const ch = this.peek();
    this.pos += ch.length;
    return ch;
  }

  private fail(reason: string, offset: number): ShellExpansionError {
    return new ShellExpansionError(reason, offset, this.word);
  }

  /**
   * Processes text up to the unquoted, unescaped `stop` character (consumed), or to the end of
   * the word when `stop` is null. Returns null when `stop` was never found. `rawEscapes` applies
   * to this stretch only: BuildKit keeps escapes in `#`/`%`/`/` patterns so that the pattern
   * matcher can tell `\*` from `*`, but resolves them in `-`/`+`/`?` words.
   */
  private processUntil(stop: string | null, rawEscapes: boolean, words: WordSplitter | null): string | null {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      let out = '';
      for (;;) {
        const ch = this.peek();
        if (ch === '') return stop === null ? out : null;
        if (ch === stop) {
          this.pos += ch.length;
          return out;
        }
        if (ch === '$') {
          const value = this.processDollar();
          out += value;
          words?.addExpanded(value);
          continue;
        }
        if (ch === "'" || ch === '"') {
          const value = ch === "'" ? this.processSingleQuote() : this.processDoubleQuote();
          out += value;
          words?.addRaw(value);
          continue;
        }
        this.pos += ch.length;
        if (ch !== this.options.escapeToken) {
          out += ch;
          words?.addChar(ch);
          continue;
        }
        if (this.rawEscapes) {
          out += ch;
          words?.addRaw(ch);
        }
        // An escape at the very end escapes nothing and disappears.
        const escaped = this.next();
        if (escaped === '') return stop === null ? out : null;
        out += escaped;
        words?.addRaw(escaped);
      }
    } finally {
      this.rawEscapes = saved;
    }
  }

  /** Everything up to the next `'` is literal; there is no way to escape a `'` inside. */
  private processSingleQuote(): string {
    const open = this.pos;
    const close = this.word.indexOf("'", open + 1);
    if (close < 0) {
      throw this.fail('unexpected end of statement while looking for matching single-quote', open);
    }
    this.pos = close + 1;
    const text = this.word.slice(open + 1, close);
    return this.options.rawQuotes ? `'${text}'` : text;
  }

  /**
   * `$` expands inside double quotes; the escape character escapes only `"`, `$` and itself and
   * is kept before anything else (`"a\b"` is `a\b`).
   */
  private processDoubleQuote(): string {
    const open = this.pos;
    const escapeToken = this.options.escapeToken;
    this.pos += 1;
    let out = this.options.rawQuotes ? '"' : '';
    for (;;) {
      const ch = this.peek();
      if (ch === '') {
        throw this.fail('unexpected end of statement while looking for matching double-quote', open);
      }
      if (ch === '"') {
        this.pos += 1;
        return this.options.rawQuotes ? `${out}"` : out;
      }
      if (ch === '$') {
        out += this.processDollar();
        continue;
      }
      this.pos += ch.length;
      if (ch === escapeToken) {
        // With raw escapes BuildKit writes the escape here AND again below when it escapes
        // nothing, so `"\t"` stays `\\t`: a pattern then sees an escaped, literal backslash.
        if (this.rawEscapes) out += ch;
        const after = this.peek();
        if (after === '"' || after === '$' || after === escapeToken) {
          this.pos += after.length;
          out += after;
          continue;
        }
        if (after === '') continue;
      }
      out += ch;
    }
  }

  /** Reads a name after `$` or `${`: a run of digits, one special character, or a word. */
  private readName(): string {
    const first = this.peek();
    if (first === '') return '';
    if (isDigit(first)) {
      let name = '';
      for (let ch = first; ch !== '' && isDigit(ch); ch = this.peek()) name += this.next();
      return name;
    }
    if (SPECIAL_PARAMETERS.has(first)) {
      this.pos += first.length;
      return first;
    }
    let name = '';
    for (let ch = first; ch !== '' && isNameChar(ch); ch = this.peek()) name += this.next();
    return name;
  }

  /** Looks a variable up and records whether it was set. */
  private lookup(name: string): string | undefined {
    if (this.env.has(name)) {
      this.matched.add(name);
      return this.env.get(name) ?? '';
    }
    this.unmatched.add(name);
    return undefined;
  }

  private processDollar(): string {
    const dollar = this.pos;
    this.pos += 1;
    if (this.peek() !== '{') {
      const name = this.readName();
      // A `$` not followed by a name is a plain dollar sign.
      if (name === '') return '$';
      const value = this.lookup(name);
      if (value === undefined) return this.options.skipUnsetEnv ? `$${name}` : '';
      return value;
    }
    this.pos += 1;
    if (++this.nesting > MAX_NESTING) {
      throw this.fail(`"\${...}" nested more than ${MAX_NESTING} levels deep`, dollar);
    }
    try {
      return this.processBraced(dollar);
    } finally {
      this.nesting--;
    }
  }

  /** After `${`: the name, then `}` or a modifier. */
  private processBraced(dollar: number): string {
    const missingBrace = (): ShellExpansionError =>
      this.fail(`syntax error: missing '}' to close the "\${" here`, dollar);
    const first = this.peek();
    if (first === '') throw missingBrace();
    if (first === '{' || first === '}' || first === ':') {
      throw this.fail('syntax error: bad substitution: a variable name must follow "${"', dollar);
    }
    const name = this.readName();
    const operatorAt = this.pos;
    const operator = this.next();
    switch (operator) {
      case '':
        throw missingBrace();
      case '}': {
        const value = this.lookup(name);
        if (value === undefined) return this.options.skipUnsetEnv ? `\${${name}}` : '';
        return value;
      }
      case ':': {
        const modifier = this.next();
        if (modifier === '') throw missingBrace();
        // `${v:#p}` and `${v:%p}` mean nothing in sh; BuildKit refuses them before reading on.
        if (modifier === '#' || modifier === '%') throw this.unsupported(`:${modifier}`, operatorAt);
        return this.processModifier(name, modifier, true, dollar, operatorAt);
      }
      case '+':
      case '-':
      case '?':
      case '#':
      case '%':
        return this.processModifier(name, operator, false, dollar, operatorAt);
      case '/':
        return this.processReplace(name, dollar);
      default:
        throw this.unsupported(operator, operatorAt);
    }
  }

  private unsupported(modifier: string, offset: number): ShellExpansionError {
    return this.fail(
      `unsupported modifier (${modifier}) in substitution; ` +
        'supported: ${v:-x} ${v-x} ${v:+x} ${v+x} ${v:?x} ${v?x} ${v#p} ${v##p} ${v%p} ${v%%p} ${v/p/r} ${v//p/r}',
      offset,
    );
  }

  /**
   * `${name<op>word}` where `colon` says whether `:` came first (an empty value then counts as
   * unset). The word is expanded before the variable is looked up, as BuildKit does, so both
   * land in matched/unmatched even when the modifier turns out to be invalid.
   */
  private processModifier(name: string, op: string, colon: boolean, dollar: number, operatorAt: number): string {
    const isPattern = op === '#' || op === '%';
    const wordAt = this.pos;
    const word = this.processUntil('}', isPattern, null);
    if (word === null) throw this.fail(`syntax error: missing '}' to close the "\${" here`, dollar);
    const value = this.lookup(name);
    const spelled = colon ? `:${op}` : op;
    if (value === undefined && this.options.skipUnsetEnv) return `\${${name}${spelled}${word}}`;
    const empty = value === undefined || (colon && value === '');
    switch (op) {
      case '-':
        return empty ? word : (value as string);
      case '+':
        return empty ? '' : word;
      case '?':
        if (value === undefined) throw this.fail(`${name}: ${word || 'is not allowed to be unset'}`, dollar);
        if (empty) throw this.fail(`${name}: ${word || 'is not allowed to be empty'}`, dollar);
        return value;
      case '#':
      case '%': {
        // `##` / `%%`: the doubled operator arrives as the first character of the word.
        const longest = word.startsWith(op);
        const pattern = longest ? word.slice(1) : word;
        const trim = op === '#' ? trimPrefix : trimSuffix;
        return this.patternValue(trim(value ?? '', pattern, longest), pattern, wordAt);
      }
      default:
        throw this.unsupported(spelled, operatorAt);
    }
  }

  /** `${name/pattern/replacement}` and `${name//pattern/replacement}`. */
  private processReplace(name: string, dollar: number): string {
    const all = this.peek() === '/';
    if (all) this.pos += 1;
    const patternAt = this.pos;
    const pattern = this.processUntil('/', true, null);
    if (pattern === null) {
      throw this.fail(`syntax error: missing '/' in \${}: write \${${name}/pattern/replacement}`, dollar);
    }
    const replacement = this.processUntil('}', true, null);
    if (replacement === null) throw this.fail(`syntax error: missing '}' to close the "\${" here`, dollar);
    const value = this.lookup(name);
    if (value === undefined && this.options.skipUnsetEnv) {
      return `\${${name}${all ? '//' : '/'}${pattern}/${replacement}}`;
    }
    return this.patternValue(replace(value ?? '', pattern, replacement, all), pattern, patternAt);
  }

  private patternValue(result: PatternResult, pattern: string, offset: number): string {
    if (result.ok) return result.value;
    throw this.fail(`invalid pattern (${pattern}) in substitution: ${result.reason}`, offset);
  }
}
