/**
 * Live progress on a terminal, shared by push and pull: each transfer keeps its row, rows are
 * redrawn in place at most every 100 ms (a settled row at once), and a moving row shows a bar,
 * bytes and speed. Off a terminal, commands print one plain line per settled transfer instead.
 */
import { humanSize } from './image.js';

export class LiveRows {
  private readonly rows = new Map<string, string>();
  private drawn = 0;
  private last = 0;

  constructor(private readonly write: (text: string) => void) {}

  update(key: string, text: string, settled: boolean): void {
    this.rows.set(key, text);
    if (settled || Date.now() - this.last >= 100) this.draw();
  }

  /** Leaves the final state on screen. */
  finish(): void {
    this.draw();
  }

  private draw(): void {
    this.last = Date.now();
    // Up to the first row, then rewrite every row, clearing what a longer old text left behind.
    let out = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const text of this.rows.values()) out += `\r\x1b[2K${text}\n`;
    this.drawn = this.rows.size;
    this.write(out);
  }
}

/** `[=====>      ] 1MB/2MB 500kB/s` for a transfer that started at `startedMs`. */
export function transferBar(done: number, total: number, startedMs: number): string {
  const seconds = Math.max(0.001, (Date.now() - startedMs) / 1000);
  const width = 30;
  const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : width;
  const bar = `${'='.repeat(filled)}${filled < width ? '>' : ''}${' '.repeat(Math.max(0, width - filled - 1))}`;
  return `[${bar}] ${humanSize(done)}/${humanSize(total)} ${humanSize(Math.round(done / seconds))}/s`;
}

/** Whether live rows fit: `--progress tty|plain|auto` (auto: when standard output is a terminal). */
export function wantsTty(mode: string): boolean {
  return mode === 'tty' || (mode === 'auto' && process.stdout.isTTY === true);
}
