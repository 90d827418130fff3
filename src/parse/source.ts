import type { Position, Range } from './ast.js';

/**
 * A logical instruction line glued together from physical lines (continuations drop the escape
 * and the line break). Errors must point into the file, so each glued piece remembers where
 * it came from and any offset in the logical text maps back to a file line and column.
 */
export class LogicalLine {
  text = '';
  private readonly pieces: { offset: number; line: number; column: number }[] = [];

  /** Appends `text`, which starts at `line`:`column` of the file. */
  append(text: string, line: number, column: number): void {
    if (text.length === 0) return;
    this.pieces.push({ offset: this.text.length, line, column });
    this.text += text;
  }

  positionAt(offset: number): Position {
    if (this.pieces.length === 0) return { line: 1, column: 1 };
    const piece = this.pieces[this.pieceIndexAt(offset)]!;
    return { line: piece.line, column: piece.column + (offset - piece.offset) };
  }

  rangeAt(start: number, end: number): Range {
    return { start: this.positionAt(start), end: this.positionAt(Math.max(start, end)) };
  }

  /** A view of `text.slice(start, end)` whose offsets still map to the file. */
  slice(start: number, end = this.text.length): LogicalLine {
    const view = new LogicalLine();
    const pieces = this.pieces;
    for (let i = this.pieceIndexAt(start); i < pieces.length && pieces[i]!.offset < end; i++) {
      const piece = pieces[i]!;
      const from = Math.max(start, piece.offset);
      const to = Math.min(end, i + 1 < pieces.length ? pieces[i + 1]!.offset : this.text.length);
      view.append(this.text.slice(from, to), piece.line, piece.column + (from - piece.offset));
    }
    return view;
  }

  private pieceIndexAt(offset: number): number {
    // Binary search: a continued instruction can have thousands of pieces.
    let lo = 0;
    let hi = this.pieces.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.pieces[mid]!.offset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** Go's unicode.IsSpace, which BuildKit uses to split and trim (JS `\s` differs: it has U+FEFF, lacks U+0085). */
export const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const goSpaceRun = new RegExp(`[${GO_SPACE}]+`, 'y');
const leadingGoSpace = new RegExp(`^[${GO_SPACE}]+`);

export function isGoSpace(ch: string): boolean {
  goSpaceRun.lastIndex = 0;
  return goSpaceRun.test(ch);
}

/** Length of the Go-whitespace prefix of `text`. */
export function leadingSpaceLength(text: string): number {
  const m = leadingGoSpace.exec(text);
  return m ? m[0].length : 0;
}

/**
 * `text` without its trailing `\r`/`\n` characters (Go's `TrimRight(s, "\r\n")`).
 * A loop, not `/[\r\n]+$/`, which is quadratic on a long run of `\r` inside a line.
 */
export function trimLineEnd(text: string): string {
  let end = text.length;
  while (end > 0 && (text.charCodeAt(end - 1) === 0x0d || text.charCodeAt(end - 1) === 0x0a)) end--;
  return text.slice(0, end);
}

/** Length of `text` without its Go-whitespace suffix. */
export function trimmedEnd(text: string): number {
  // A backwards loop: `/\s+$/` backtracks quadratically on long runs of inner spaces.
  let end = text.length;
  while (end > 0 && isGoSpace(text[end - 1]!)) end--;
  return end;
}
