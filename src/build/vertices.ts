/** Numbering vertices and stamping their events: the solver's side of events.ts. */
import type { BuildEventListener } from './events.js';

export class Vertex {
  private ended = false;

  constructor(
    readonly id: number,
    readonly name: string,
    private readonly emit: BuildEventListener,
  ) {}

  log(stream: 'stdout' | 'stderr', data: string): void {
    this.emit({ kind: 'log', vertex: this.id, stream, data, time: Date.now() });
  }

  status(id: string, text: string, done: boolean, progress: { current?: number; total?: number } = {}): void {
    this.emit({ kind: 'status', vertex: this.id, id, text, done, ...progress, time: Date.now() });
  }

  /** Ends the vertex once; later calls (a cleanup path after an error) are ignored. */
  end(result: { cached?: boolean; error?: string } = {}): void {
    if (this.ended) return;
    this.ended = true;
    this.emit({ kind: 'end', vertex: this.id, time: Date.now(), ...result });
  }
}

export class Vertices {
  private next = 1;

  constructor(private readonly emit: BuildEventListener) {}

  start(name: string): Vertex {
    const vertex = new Vertex(this.next++, name, this.emit);
    this.emit({ kind: 'start', vertex: vertex.id, name, time: Date.now() });
    return vertex;
  }

  warn(message: string, location?: string): void {
    this.emit({ kind: 'warning', message, ...(location !== undefined ? { location } : {}), time: Date.now() });
  }

  /** Runs `work` as a vertex: ended when it settles, with the error's message when it throws. */
  async run<T>(name: string, work: (vertex: Vertex) => Promise<T>): Promise<T> {
    const vertex = this.start(name);
    try {
      const result = await work(vertex);
      vertex.end();
      return result;
    } catch (err) {
      vertex.end({ error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  }
}
