/**
 * What a build reports while it runs, in BuildKit's vertex shape: every unit of work (loading the
 * Dockerfile, a FROM, a step, exporting) is a vertex with a number, a name, a start and an end,
 * and output or status lines in between. Renderers (src/progress) turn these into tty, plain or
 * json output; the solver never formats text for a terminal.
 */

export interface VertexStart {
  kind: 'start';
  /** 1-based, in order of first start: the `#N` of plain output. */
  vertex: number;
  /** `[build 2/5] RUN make`, `[internal] load build definition from Dockerfile`, `exporting to image`. */
  name: string;
  /** Milliseconds since the epoch. */
  time: number;
}

export interface VertexLog {
  kind: 'log';
  vertex: number;
  stream: 'stdout' | 'stderr';
  /** Output as it came; may hold several lines or part of one. */
  data: string;
  time: number;
}

/** A sub-task of a vertex with its own progress: pulling a layer, writing a layer, pushing. */
export interface VertexStatus {
  kind: 'status';
  vertex: number;
  /** Stable per sub-task (a digest, `writing layer`): later events with the same id replace it. */
  id: string;
  text: string;
  /** Bytes (or items) done and expected, when known. */
  current?: number;
  total?: number;
  done: boolean;
  time: number;
}

export interface VertexEnd {
  kind: 'end';
  vertex: number;
  time: number;
  /** The step's result came from the cache. */
  cached?: boolean;
  /** The step failed: the message shown under it. */
  error?: string;
}

export interface BuildWarning {
  kind: 'warning';
  message: string;
  /** `file:line` when the warning is about a line of the Dockerfile. */
  location?: string;
  time: number;
}

export type BuildEvent = VertexStart | VertexLog | VertexStatus | VertexEnd | BuildWarning;

export type BuildEventListener = (event: BuildEvent) => void;
