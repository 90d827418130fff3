/**
 * The renderers of `hull build --progress=…`: they turn the solver's events (src/build/events.ts)
 * into text and know nothing of what a step does. Progress goes where docker and buildx send it,
 * to standard error: the CLI passes a writer for it.
 */
import type { BuildEvent } from '../build/events.js';
import { PlainRenderer } from './plain.js';
import { TtyRenderer } from './tty.js';

export const PROGRESS_MODES = ['auto', 'tty', 'plain', 'json', 'quiet'] as const;

/** `auto`: tty on a terminal, else plain. `json`: one event per line, for tools. `quiet`: nothing. */
export type ProgressMode = (typeof PROGRESS_MODES)[number];

export interface Renderer {
  onEvent(event: BuildEvent): void;
  /** Flush and leave the final state on screen; called once at the end, also after a failure. */
  finish(): void;
}

export interface RendererOptions {
  /** Whether the output is a terminal, for `auto` (default: standard error's). */
  isTty?: boolean;
  /** The terminal's width and height for `tty` (default: standard error's, else 80 wide, unbounded). */
  columns?: number;
  rows?: number;
  /** The clock of the live view's timers (default: Date.now). */
  now?: () => number;
}

export function createRenderer(mode: ProgressMode, write: (text: string) => void, options: RendererOptions = {}): Renderer {
  if (mode === 'quiet') return { onEvent() {}, finish() {} };
  // NDJSON: the events as they are, one per line.
  if (mode === 'json') return { onEvent: (event) => write(`${JSON.stringify(event)}\n`), finish() {} };
  const tty = mode === 'tty' || (mode === 'auto' && (options.isTty ?? process.stderr.isTTY === true));
  if (!tty) return new PlainRenderer(write);
  return new TtyRenderer(write, {
    // A pseudo-terminal whose size was never set reports 0 columns and rows: treat as unknown.
    columns: options.columns ?? (process.stderr.columns || 80),
    rows: options.rows ?? (process.stderr.rows || Infinity),
    now: options.now ?? Date.now,
    // https://no-color.org, which buildx honours too.
    color: !process.env['NO_COLOR'],
  });
}
