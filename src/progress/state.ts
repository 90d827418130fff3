/**
 * What the build events have said so far, the part every text renderer needs: vertices in order
 * of start, their output cut into lines, their sub-tasks, the warnings.
 */
import type { BuildEvent, BuildWarning } from '../build/events.js';

/** How many of a step's last log lines are kept to show again under its error (buildx keeps 10). */
const RECENT_LINES = 10;

export interface LogLine {
  /** Milliseconds between the vertex's start and the moment the line began. */
  offset: number;
  text: string;
}

export interface SubTask {
  text: string;
  current?: number;
  total?: number;
  done: boolean;
  /** Times of its first and its latest event: how long it has been running. */
  first: number;
  latest: number;
}

export interface Vertex {
  number: number;
  name: string;
  start: number;
  end?: number;
  cached: boolean;
  error?: string;
  /** By id, in order of first appearance. */
  subTasks: Map<string, SubTask>;
  /** The last complete log lines, oldest first. */
  recent: LogLine[];
  /** Output after the last newline: printed once its line is complete, or at the end. */
  partial?: { time: number; text: string };
}

export class BuildState {
  /** By number, in order of start. */
  readonly vertices = new Map<number, Vertex>();
  readonly warnings: BuildWarning[] = [];

  /** When the first vertex started. */
  get began(): number | undefined {
    return this.vertices.values().next().value?.start;
  }

  /** Takes in an event; returns the log lines it completed (a log event's, or an end's last partial line). */
  apply(event: BuildEvent): LogLine[] {
    if (event.kind === 'warning') {
      this.warnings.push(event);
      return [];
    }
    if (event.kind === 'start') {
      if (!this.vertices.has(event.vertex)) {
        this.vertices.set(event.vertex, { number: event.vertex, name: event.name, start: event.time, cached: false, subTasks: new Map(), recent: [] });
      }
      return [];
    }
    // Events for a vertex that never started have nothing to be shown under.
    const vertex = this.vertices.get(event.vertex);
    if (!vertex) return [];
    switch (event.kind) {
      case 'log':
        return this.split(vertex, event.data, event.time);
      case 'status': {
        const first = vertex.subTasks.get(event.id)?.first ?? event.time;
        const { text, current, total, done } = event;
        vertex.subTasks.set(event.id, { text, current, total, done, first, latest: event.time });
        return [];
      }
      case 'end':
        vertex.end = event.time;
        vertex.cached = event.cached === true;
        vertex.error = event.error;
        return this.flush(vertex);
    }
  }

  /** Completes a vertex's partial line, as at its end or the build's. */
  flush(vertex: Vertex): LogLine[] {
    const partial = vertex.partial;
    if (!partial) return [];
    vertex.partial = undefined;
    return [this.keep(vertex, { offset: partial.time - vertex.start, text: partial.text })];
  }

  private split(vertex: Vertex, data: string, time: number): LogLine[] {
    const pieces = data.split('\n');
    const lines: LogLine[] = [];
    // A line is dated by its first piece: the time its output began.
    let begun = vertex.partial ?? { time, text: '' };
    for (const piece of pieces.slice(0, -1)) {
      lines.push(this.keep(vertex, { offset: begun.time - vertex.start, text: (begun.text + piece).replace(/\r$/, '') }));
      begun = { time, text: '' };
    }
    const rest = begun.text + pieces[pieces.length - 1];
    vertex.partial = rest === '' ? undefined : { time: begun.time, text: rest };
    return lines;
  }

  private keep(vertex: Vertex, line: LogLine): LogLine {
    vertex.recent.push(line);
    if (vertex.recent.length > RECENT_LINES) vertex.recent.shift();
    return line;
  }
}
