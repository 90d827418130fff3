/**
 * The syntax tree of a Dockerfile as BuildKit's parser sees it: one node per instruction, with
 * flags and arguments split by the per-keyword rules but nothing expanded or validated yet.
 * Typed, validated instructions are built from these by `instructions/`.
 */

/** 1-based line and column inside the Dockerfile. */
export interface Position {
  line: number;
  column: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface Heredoc {
  /** The terminator word with quotes removed (`EOF` for `<<'EOF'`). */
  name: string;
  /** Body lines as read, each with its newline; leading tabs are NOT yet removed for `<<-`. */
  content: string;
  /** False when any part of the marker was quoted: the body is then taken literally. */
  expand: boolean;
  /** `<<-`: the terminator may be indented by tabs and the body's leading tabs are removed. */
  chomp: boolean;
  /** The digits before `<<` (`3<<EOF`), 0 when absent. */
  fileDescriptor: number;
  /** The body lines (empty body: start = end = the terminator line). */
  range: Range;
}

/** A `--name=value` flag as written before the arguments (quotes and escapes resolved). */
export interface Flag {
  /** `--from=builder` exactly as BuildKit keeps it. */
  raw: string;
  /** `from` */
  name: string;
  /** `builder`; null for a bare `--link`. */
  value: string | null;
  range: Range;
}

export interface Argument {
  value: string;
  range: Range;
}

export interface Node {
  /** The keyword as written (`run`, `RUN`, `Run`). */
  keyword: string;
  /** The keyword lower-cased: the instruction kind (`run`), also for unknown ones. */
  name: string;
  flags: Flag[];
  /** The argument strings (BuildKit's `Next` chain). Empty when `child` is set. */
  args: Argument[];
  /** ONBUILD's nested instruction. */
  child?: Node;
  /** Exec form: the arguments came from a JSON array. */
  json: boolean;
  heredocs: Heredoc[];
  /** The logical line after continuations were joined, as BuildKit's `Original`. */
  original: string;
  /** Comment lines directly above the instruction (text after `#`, trimmed). */
  comments: string[];
  /** From the keyword to the end of the last line (heredoc terminators included). */
  range: Range;
  /** Where the text after the keyword and flags starts. */
  argsStart: Position;
}

export interface Directives {
  syntax?: string;
  escape?: string;
  check?: string;
}

export interface Warning {
  message: string;
  range: Range;
}

export interface Dockerfile {
  /** Name used in error messages and positions (the path given, or `Dockerfile`). */
  file: string;
  directives: Directives;
  escapeToken: '\\' | '`';
  nodes: Node[];
  warnings: Warning[];
}
