import type { Directives, Position, Range, Warning } from './ast.js';
import { ParseError } from '../errors.js';
import { lineLexerFor, type EscapeToken } from './lex/lines.js';
import type { Token, Lexer } from 'moo';
import { LogicalLine, leadingSpaceLength, trimLineEnd } from './source.js';

/** One instruction's text, continuations joined, before it is split into keyword and arguments. */
export interface LogicalInstruction {
  line: LogicalLine;
  comments: string[];
  start: Position;
  end: Position;
}

export interface HeredocBody {
  content: string;
  range: Range;
}

const DIRECTIVE = /^#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=(.*)$/;
const RE2_SPACE = /[\t\n\f\r ]/;

/**
 * The value as BuildKit's `=\s*(.+?)\s*$` captures it, computed without that lazy regex
 * (quadratic on long blank runs): trimmed, or the last blank when it is all blanks.
 */
function directiveValue(text: string): string | null {
  let start = 0;
  let end = text.length;
  while (start < end && RE2_SPACE.test(text[start]!)) start++;
  while (end > start && RE2_SPACE.test(text[end - 1]!)) end--;
  if (start < end) return text.slice(start, end);
  return text === '' ? null : text.slice(-1);
}
const KNOWN_DIRECTIVES = new Set(['syntax', 'escape', 'check']);

/**
 * Reads a Dockerfile line by line with the line lexer and hands out logical instructions:
 * parser directives at the top, comments, blank lines and continuations are dealt with here,
 * heredoc bodies are read on request (only the parser knows an instruction has heredocs).
 */
export class LineReader {
  readonly directives: Directives = {};
  readonly warnings: Warning[] = [];
  escape: EscapeToken = '\\';
  private lexer: Lexer;
  private readonly text: string;
  /** The input lacked a final newline and the reader added one. */
  private readonly addedNewline: boolean;
  private directivesOpen = true;
  private lastLine = 0;
  /** Where the current lexer's input starts in `text` (moves once, when `# escape=` switches lexers). */
  private base = 0;

  constructor(
    text: string,
    private readonly file: string,
  ) {
    if (text.startsWith('\uFEFF')) text = text.slice(1);
    this.addedNewline = text.length > 0 && !text.endsWith('\n');
    this.text = this.addedNewline ? `${text}\n` : text;
    this.lexer = lineLexerFor(this.escape);
    this.lexer.reset(this.text);
  }

  /** The last line number read so far. */
  get line(): number {
    return this.lastLine;
  }

  next(): LogicalInstruction | null {
    const comments: string[] = [];
    for (let token = this.take(); token; token = this.take()) {
      switch (token.type) {
        case 'blank':
          this.directivesOpen = false;
          continue;
        case 'directive':
          if (this.directivesOpen && this.directive(token)) continue;
          this.directivesOpen = false;
          comments.push(commentText(token.text));
          continue;
        case 'comment':
          this.directivesOpen = false;
          comments.push(commentText(token.text));
          continue;
        default:
          this.directivesOpen = false;
          return this.instruction(token, comments);
      }
    }
    return null;
  }

  /**
   * Reads heredoc body lines up to the terminator line `name` (tab-indented allowed with
   * `<<-`). Null when the file ends first.
   */
  readHeredoc(name: string, chomp: boolean): HeredocBody | null {
    this.lexer.setState('heredoc');
    let content = '';
    let start: Position | null = null;
    try {
      for (let token = this.take(); token; token = this.take()) {
        start ??= { line: token.line, column: 1 };
        let candidate = trimLineEnd(token.text);
        if (chomp) candidate = candidate.replace(/^\t+/, '');
        if (candidate === name) {
          return { content, range: { start, end: { line: token.line, column: 1 } } };
        }
        content += this.isSyntheticEnd(token) ? token.text.slice(0, -1) : token.text;
      }
      return null;
    } finally {
      this.lexer.setState('start');
    }
  }

  private take(): Token | undefined {
    const token = this.lexer.next();
    if (token) this.lastLine = token.line;
    return token;
  }

  /** Whether this is the last line and its newline is the one the reader added. */
  private isSyntheticEnd(token: Token): boolean {
    return this.addedNewline && this.base + token.offset + token.text.length === this.text.length;
  }

  private instruction(first: Token, comments: string[]): LogicalInstruction {
    const line = new LogicalLine();
    const raw = this.content(first);
    const lead = leadingSpaceLength(raw);
    line.append(raw.slice(lead), first.line, 1 + lead);
    const start = { line: first.line, column: 1 + lead };
    let end = { line: first.line, column: raw.length + 1 };
    let emptyContinuation = false;
    if (first.type === 'continued') {
      for (let token = this.take(); token; token = this.take()) {
        if (token.type === 'contComment') continue;
        if (token.type === 'contBlank') {
          emptyContinuation = true;
          continue;
        }
        const text = this.content(token);
        line.append(text, token.line, 1);
        end = { line: token.line, column: text.length + 1 };
        if (token.type === 'line') break;
      }
    }
    if (emptyContinuation) {
      this.warnings.push({
        message: 'empty continuation line: a blank line inside a continued instruction (BuildKit will reject these in a future release)',
        range: { start, end },
      });
    }
    return { line, comments, start, end };
  }

  /** The line's text without its line ending, and without the continuation escape if it has one. */
  private content(token: Token): string {
    const text = trimLineEnd(token.text);
    if (token.type !== 'continued') return text;
    // The lexer matched `E[ \t]*` at the end: drop the blanks, then the escape token.
    let end = text.length;
    while (end > 0 && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
    return text.slice(0, end - 1);
  }

  private directive(token: Token): boolean {
    const text = trimLineEnd(token.text);
    const match = DIRECTIVE.exec(text.slice(leadingSpaceLength(text)));
    const value = match ? directiveValue(match[2]!) : null;
    if (!match || value === null) return false;
    const name = match[1]!.toLowerCase();
    if (!KNOWN_DIRECTIVES.has(name)) return false;
    const at = { file: this.file, line: token.line, column: 1 + leadingSpaceLength(text) };
    const directives = this.directives as Record<string, string>;
    if (directives[name] !== undefined) {
      throw new ParseError(`only one "${name}" parser directive can be used; remove this one`, at);
    }
    directives[name] = value;
    if (name === 'escape') {
      if (value !== '\\' && value !== '`') {
        throw new ParseError(`invalid escape token '${value}': the escape directive accepts only \\ or \``, at);
      }
      this.switchEscape(value, token);
    }
    return true;
  }

  private switchEscape(escape: EscapeToken, after: Token): void {
    if (escape === this.escape) return;
    this.escape = escape;
    this.base += after.offset + after.text.length;
    this.lexer = lineLexerFor(escape);
    this.lexer.reset(this.text.slice(this.base), { line: after.line + 1, col: 1, state: 'start' });
  }
}

function commentText(line: string): string {
  const trimmed = line.trim();
  return trimmed.slice(1).trim();
}
