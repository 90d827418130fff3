/**
 * buildx's live view for a terminal: a block redrawn in place, with a header
 * (`[+] Building 12.3s (5/9)`), one line per vertex with its time (finished ones stay listed,
 * `CACHED` or `ERROR` in front), its sub-tasks under it, and a running vertex's last output lines,
 * dim. At the end the block is drawn once more, whole, and the failed steps' last lines and the
 * warnings follow it.
 */
import type { BuildEvent } from '../build/events.js';
import { duration, sizes } from './format.js';
import type { Renderer } from './index.js';
import { LiveBlock } from './live.js';
import { BuildState, type Vertex } from './state.js';
import { errorLogs, warningSummary, warningText } from './summary.js';

/** Output lines shown under a running vertex: about as many as buildx's live terminal holds. */
const TAIL_LINES = 6;
/** Running timers tick on even when no event comes. */
const TICK_MS = 100;

export interface TtyOptions {
  /** The terminal's size: lines are cut to its width, the live block to its height. */
  columns: number;
  rows: number;
  now: () => number;
  color: boolean;
}

const BLUE = '34';
const RED = '31';
const YELLOW = '33';
const DIM = '2';

export class TtyRenderer implements Renderer {
  private readonly state = new BuildState();
  private readonly block: LiveBlock;
  private readonly ticker: NodeJS.Timeout;

  constructor(
    private readonly write: (text: string) => void,
    private readonly options: TtyOptions,
  ) {
    this.block = new LiveBlock(write, options.now);
    // unref: a renderer that is never finished must not keep the process alive.
    this.ticker = setInterval(() => this.block.due && this.draw(false), TICK_MS).unref();
  }

  onEvent(event: BuildEvent): void {
    this.state.apply(event);
    if (this.block.due) this.draw(false);
  }

  finish(): void {
    clearInterval(this.ticker);
    this.draw(true);
    const after = errorLogs(this.state) + warningSummary(this.state.warnings);
    if (after !== '') this.write(after);
  }

  private draw(final: boolean): void {
    const { columns, rows, now } = this.options;
    const at = now();
    const vertices = [...this.state.vertices.values()];
    const ended = vertices.filter((v) => v.end !== undefined).length;
    const finished = final && ended > 0 && ended === vertices.length ? ' FINISHED' : '';
    const elapsed = at - (this.state.began ?? at);
    const header = fit(`[+] Building ${duration(elapsed)} (${ended}/${vertices.length})${finished}`, columns);
    const groups = vertices.map((v) => ({ lines: this.vertexLines(v, at, final), settled: v.end !== undefined }));
    const warnings = this.state.warnings.map((w) => this.paint(YELLOW, fit(` => WARN: ${clean(warningText(w))}`, columns)));
    groups.push({ lines: warnings, settled: true });
    // Live, the block must fit the screen (the cursor cannot go back up to lines scrolled away):
    // finished vertices give way first, so that running ones stay in sight. The last draw is whole.
    const room = final ? Infinity : Math.max(1, rows - 2);
    let count = groups.reduce((sum, g) => sum + g.lines.length, 0);
    for (let i = 0; count > room && i < groups.length; i++) {
      if (!groups[i]!.settled) continue;
      count -= groups[i]!.lines.length;
      groups[i]!.lines = [];
    }
    const body = groups.flatMap((g) => g.lines);
    this.block.draw([header, ...body.slice(Math.max(0, body.length - room))]);
  }

  private vertexLines(vertex: Vertex, at: number, final: boolean): string[] {
    const { columns } = this.options;
    const state = vertex.error !== undefined ? 'ERROR ' : vertex.cached ? 'CACHED ' : '';
    const line = jobLine(` => ${state}${clean(vertex.name)}`, '', (vertex.end ?? at) - vertex.start, columns);
    const lines = [vertex.end === undefined ? line : this.paint(vertex.error !== undefined ? RED : BLUE, line)];
    for (const task of vertex.subTasks.values()) {
      const taskLine = jobLine(` => => ${clean(task.text)}`, sizes(task.current, task.total), (task.done ? task.latest : at) - task.first, columns);
      lines.push(task.done ? this.paint(BLUE, taskLine) : taskLine);
    }
    if (vertex.end === undefined && !final) {
      const tail = vertex.recent.map((l) => l.text);
      if (vertex.partial) tail.push(vertex.partial.text);
      for (const text of tail.slice(-TAIL_LINES)) lines.push(this.paint(DIM, fit(` => => # ${clean(text)}`, columns)));
    }
    return lines;
  }

  private paint(code: string, text: string): string {
    return this.options.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }
}

/**
 * `label detail` on the left and the time on the right, within the width but one column: writing
 * into the last column makes some terminals wrap, which would break the redraw.
 */
function jobLine(label: string, detail: string, ms: number, columns: number): string {
  const timer = duration(ms);
  const room = columns - 1 - timer.length;
  if (room < 12) return fit(label, columns);
  // Sizes only when the name keeps a fair share of the line, as buildx does.
  const left = detail !== '' && room - detail.length - 1 >= 20 ? `${cut(label, room - detail.length - 2)} ${detail}` : cut(label, room - 1);
  return `${left}${' '.repeat(room - length(left))}${timer}`;
}

/** A whole line cut to the width but one column. */
function fit(text: string, columns: number): string {
  return cut(text, columns - 1);
}

/**
 * Counts code points, so a wide character (CJK, emoji) counts as one column and a line holding
 * some may still wrap; measuring columns exactly takes Unicode's width tables (string-width).
 */
function length(text: string): number {
  return Array.from(text).length;
}

function cut(text: string, columns: number): string {
  const chars = Array.from(text);
  return chars.length <= columns ? text : chars.slice(0, Math.max(0, columns)).join('');
}

/**
 * Program output made safe for one line of a redrawn block: what a carriage return overwrote is
 * gone (progress bars), the program's own colors and cursor moves are dropped, tabs become spaces.
 */
function clean(text: string): string {
  const shown = text.split('\r').filter((piece) => piece !== '').pop() ?? '';
  return shown.replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '').replace(/\t/g, ' ').replace(/[\x00-\x1f\x7f]/g, '');
}
