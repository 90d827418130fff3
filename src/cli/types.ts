/** Where a command writes and reads: the process in production, buffers in tests. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** All of standard input (for `-f -`). */
  stdin(): Promise<string>;
  /** Source text already read, by file name, so error reports can quote the line. */
  sources: Map<string, string>;
}

export interface Command {
  summary: string;
  usage: string;
  run(args: readonly string[], io: Io): Promise<number>;
}
