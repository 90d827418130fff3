/**
 * A block of lines redrawn in place on a terminal: the cursor goes back up to the block's first
 * line and every line is rewritten, so the screen shows the latest state instead of a scroll.
 * Shared by the build's tty view and push/pull's transfer rows (src/cli/progress.ts).
 * Lines must fit the terminal's width: a wrapped line would throw the count of lines off.
 */

/** Moving state is redrawn at most this often: a busy build must not flood the terminal. */
const REDRAW_INTERVAL_MS = 100;

export class LiveBlock {
  private drawn = 0;
  private last = -Infinity;

  constructor(
    private readonly write: (text: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the last draw is old enough to draw moving state again. */
  get due(): boolean {
    return this.now() - this.last >= REDRAW_INTERVAL_MS;
  }

  draw(lines: readonly string[]): void {
    this.last = this.now();
    // Up to the first line, then rewrite every line, clearing what a longer old text left behind.
    let out = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const line of lines) out += `\r\x1b[2K${line}\n`;
    // A shorter block leaves old lines under it: erase down to the end of the screen.
    if (lines.length < this.drawn) out += '\x1b[J';
    this.drawn = lines.length;
    this.write(out);
  }
}
