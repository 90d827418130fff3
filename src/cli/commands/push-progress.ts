/**
 * What `hull push` prints while it works: on a terminal, one live line per blob (bytes and
 * speed, redrawn in place); elsewhere (CI logs), one plain line per blob when it is settled, in
 * docker's words.
 */
import { shortDigest } from '../../image/digest.js';
import type { PushProgress } from '../../registry/push.js';
import { humanSize as formatBytes } from '../image.js';

/** The settled line of a blob, or undefined while it is still moving. */
export function plainLine(e: PushProgress): string | undefined {
  if (e.kind !== 'blob') return undefined;
  const id = shortDigest(e.digest);
  switch (e.state) {
    case 'pushed':
      return `${id}: Pushed ${formatBytes(e.size)}`;
    case 'exists':
      return `${id}: Layer already exists`;
    case 'mounted':
      return `${id}: Mounted from ${e.from ?? 'another repository'}`;
    case 'retrying':
      return `${id}: Retrying (attempt ${(e.attempt ?? 0) + 1}): ${e.reason ?? ''}`;
    default:
      return undefined;
  }
}

/** Live lines on a terminal: each blob keeps its row; rows are redrawn at most every 100 ms. */
export class TtyProgress {
  private readonly rows = new Map<string, { text: string; started: number }>();
  private drawn = 0;
  private last = 0;

  constructor(private readonly write: (text: string) => void) {}

  update(e: PushProgress): void {
    if (e.kind !== 'blob') return;
    const row = this.rows.get(e.digest) ?? { text: '', started: Date.now() };
    this.rows.set(e.digest, row);
    row.text = plainLine(e) ?? this.moving(e, row.started);
    const settled = e.state !== 'uploading' && e.state !== 'checking';
    if (settled || Date.now() - this.last >= 100) this.draw();
  }

  /** Leaves the final state on screen. */
  finish(): void {
    this.draw();
  }

  private moving(e: Extract<PushProgress, { kind: 'blob' }>, started: number): string {
    const id = shortDigest(e.digest);
    if (e.state === 'checking') return `${id}: Preparing`;
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    const width = 30;
    const done = e.size > 0 ? Math.min(width, Math.round((e.sent / e.size) * width)) : width;
    return `${id}: Pushing [${'='.repeat(done)}${done < width ? '>' : ''}${' '.repeat(Math.max(0, width - done - 1))}] ${formatBytes(e.sent)}/${formatBytes(e.size)} ${formatBytes(Math.round(e.sent / seconds))}/s`;
  }

  private draw(): void {
    this.last = Date.now();
    // Up to the first row, then rewrite every row, clearing what a longer old text left behind.
    let out = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const row of this.rows.values()) out += `\r\x1b[2K${row.text}\n`;
    this.drawn = this.rows.size;
    this.write(out);
  }
}
