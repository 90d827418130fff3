/** Keeps the last lines of a step's output (for error messages) while the whole of it streams on. */
export class OutputTail {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(private readonly max = 20) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop()!;
    for (const line of parts) this.add(line);
    // A runaway line without newlines must not grow without bound.
    if (this.partial.length > 64 * 1024) this.partial = this.partial.slice(-64 * 1024);
  }

  /** The last lines, the unterminated one included. */
  tail(): string[] {
    const out = this.partial === '' ? [...this.lines] : [...this.lines, this.partial];
    return out.slice(-this.max);
  }

  private add(line: string): void {
    this.lines.push(line.endsWith('\r') ? line.slice(0, -1) : line);
    if (this.lines.length > this.max) this.lines.shift();
  }
}
