/**
 * Live progress on a terminal, shared by push and pull: each transfer keeps its row, rows are
 * redrawn in place (a LiveBlock, as the build's tty view) at most every 100 ms (a settled row at
 * once), and a moving row shows a bar, bytes and speed. Off a terminal, commands print one plain
 * line per settled transfer instead.
 */
import { LiveBlock } from '../progress/live.js';
import { humanSize } from './image.js';

export class LiveRows {
  private readonly rows = new Map<string, string>();
  private readonly block: LiveBlock;

  constructor(write: (text: string) => void) {
    this.block = new LiveBlock(write);
  }

  update(key: string, text: string, settled: boolean): void {
    this.rows.set(key, text);
    if (settled || this.block.due) this.draw();
  }

  /** Leaves the final state on screen. */
  finish(): void {
    this.draw();
  }

  private draw(): void {
    this.block.draw([...this.rows.values()]);
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
