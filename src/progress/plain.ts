/**
 * buildx's `--progress=plain`, for CI logs: every line says which vertex it belongs to (`#5 …`),
 * a vertex's block opens with its name and closes with DONE, CACHED or ERROR, and when parallel
 * vertices take turns the block being left says `#5 ...` and the one resumed repeats its name.
 * Nothing is ever rewritten, so the log reads the same in a file as it did live.
 */
import type { BuildEvent, BuildWarning, VertexStatus } from '../build/events.js';
import { duration, logOffset, sizes } from './format.js';
import type { Renderer } from './index.js';
import { BuildState, type LogLine, type Vertex } from './state.js';
import { errorLogs, warningSummary, warningText } from './summary.js';

/** A moving sub-task (a download) prints at most this often: CI logs stay short. */
const STATUS_INTERVAL_MS = 1000;

export class PlainRenderer implements Renderer {
  private readonly state = new BuildState();
  /** The open vertex whose lines came last: its next lines need no header. */
  private current: number | undefined;
  private readonly shown = new Set<number>();
  /** When each moving sub-task was last printed, by `vertex id`. */
  private readonly printed = new Map<string, number>();
  private started = false;
  private out = '';

  constructor(private readonly write: (text: string) => void) {}

  onEvent(event: BuildEvent): void {
    const lines = this.state.apply(event);
    if (event.kind === 'warning') this.warning(event);
    else {
      const vertex = this.state.vertices.get(event.vertex);
      if (vertex) this.vertexEvent(event, vertex, lines);
    }
    this.flushOut();
  }

  finish(): void {
    for (const vertex of this.state.vertices.values()) {
      const lines = vertex.end === undefined ? this.state.flush(vertex) : [];
      if (lines.length > 0) {
        this.show(vertex);
        this.logLines(vertex, lines);
      }
    }
    this.out += errorLogs(this.state) + warningSummary(this.state.warnings);
    this.flushOut();
  }

  private vertexEvent(event: Exclude<BuildEvent, BuildWarning>, vertex: Vertex, lines: LogLine[]): void {
    switch (event.kind) {
      case 'start':
        // A vertex starting beside a busy one waits for its first output, or for the busy one to end.
        if (this.current === undefined) this.show(vertex);
        return;
      case 'log':
        if (lines.length === 0) return;
        this.show(vertex);
        this.logLines(vertex, lines);
        return;
      case 'status':
        if (!this.statusDue(event)) return;
        this.show(vertex);
        this.line(vertex, this.subTaskLine(vertex, event.id));
        return;
      case 'end': {
        this.show(vertex);
        this.logLines(vertex, lines);
        this.line(vertex, vertex.error !== undefined ? `ERROR: ${vertex.error}` : vertex.cached ? 'CACHED' : `DONE ${duration(event.time - vertex.start)}`);
        this.current = undefined;
        // A vertex that started beside a busy one is named once that one ends: the log says what
        // is running, not only what has spoken.
        const waiting = [...this.state.vertices.values()].find((v) => v.end === undefined && !this.shown.has(v.number));
        if (waiting) this.show(waiting);
      }
    }
  }

  /** One line where it happens, in no vertex's block: it has no `#N`, so it cannot be taken for a step's output. */
  private warning(warning: BuildWarning): void {
    this.out += `WARNING: ${warningText(warning)}\n`;
    this.started = true;
  }

  /** Makes `vertex` the one the next lines belong to, printing its header if another spoke last. */
  private show(vertex: Vertex): void {
    if (this.current === vertex.number) return;
    if (this.current !== undefined) this.out += `#${this.current} ...\n`;
    if (this.started) this.out += '\n';
    this.started = true;
    this.line(vertex, vertex.name);
    this.shown.add(vertex.number);
    this.current = vertex.end === undefined ? vertex.number : undefined;
  }

  private logLines(vertex: Vertex, lines: readonly LogLine[]): void {
    for (const line of lines) this.line(vertex, `${logOffset(line.offset)} ${line.text}`);
  }

  private statusDue(event: VertexStatus): boolean {
    const key = `${event.vertex} ${event.id}`;
    const last = this.printed.get(key);
    if (!event.done && last !== undefined && event.time - last < STATUS_INTERVAL_MS) return false;
    this.printed.set(key, event.time);
    return true;
  }

  /** `sha256:ab… 1.05MB / 3.20MB 0.4s done`. */
  private subTaskLine(vertex: Vertex, id: string): string {
    const task = vertex.subTasks.get(id)!;
    const parts = [task.text, sizes(task.current, task.total)];
    // buildx leaves out times too short to mean anything.
    if (task.latest - task.first > 10) parts.push(duration(task.latest - task.first));
    if (task.done) parts.push('done');
    return parts.filter((part) => part !== '').join(' ');
  }

  private line(vertex: Vertex, text: string): void {
    this.out += `#${vertex.number} ${text}\n`;
  }

  /** One write per event: a CI log gets whole lines at once. */
  private flushOut(): void {
    if (this.out === '') return;
    this.write(this.out);
    this.out = '';
  }
}
