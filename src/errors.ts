/**
 * Every error hull raises on purpose is a HullError subclass, so the CLI can print its message
 * alone (no stack) and pick an exit code, while a bug still shows its stack.
 */
export class HullError extends Error {
  override name = 'HullError';
}

/** Where in a source file something is: 1-based line and column (column counts UTF-16 units). */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** An error at a place in a Dockerfile: the message starts with `file:line:column:`. */
export class LocatedError extends HullError {
  override name = 'LocatedError';
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The sentence without the location prefix. */
  readonly reason: string;

  constructor(reason: string, at: SourcePosition) {
    super(`${at.file}:${at.line}:${at.column}: ${reason}`);
    this.file = at.file;
    this.line = at.line;
    this.column = at.column;
    this.reason = reason;
  }
}

/** A Dockerfile that cannot be read. */
export class ParseError extends LocatedError {
  override name = 'ParseError';
}

/** A Dockerfile that parses but describes an impossible build (unknown stage, cycle, …). */
export class GraphError extends LocatedError {
  override name = 'GraphError';
}

/** Wrong command-line usage: unknown flag, missing argument. */
export class UsageError extends HullError {
  override name = 'UsageError';
}

/** A layer that cannot be written, read or extracted: malformed tar, missing tool, I/O trouble. */
export class LayerError extends HullError {
  override name = 'LayerError';
  /** The tar entry (or file) the error is about, when there is one. */
  readonly entry: string | undefined;

  constructor(message: string, entry?: string) {
    super(message);
    this.entry = entry;
  }
}

/**
 * A layer entry that tries to reach outside the extraction target (traversal, escaping symlink or
 * hardlink, NUL in a name): extraction stops at that entry and nothing outside the target is touched.
 */
export class UnsafeArchiveError extends LayerError {
  override name = 'UnsafeArchiveError';
}

/** A registry said no, or could not be reached: the message names the registry and its answer. */
export class RegistryError extends HullError {
  override name = 'RegistryError';
  /** The HTTP status, when the registry answered. */
  readonly status: number | undefined;
  /** The registry's own error code (`MANIFEST_UNKNOWN`, `DENIED`, …), when it sent one. */
  readonly code: string | undefined;

  constructor(message: string, details: { status?: number; code?: string } = {}) {
    super(message);
    this.status = details.status;
    this.code = details.code;
  }
}

/**
 * A RUN step that failed: the command exited non-zero (`exitCode`), or the container could not be
 * started at all (`exitCode` undefined). `outputTail` holds the step's last output lines so the
 * CLI can show why without replaying the whole log.
 */
export class ExecError extends HullError {
  override name = 'ExecError';
  readonly exitCode: number | undefined;
  readonly outputTail: readonly string[];

  constructor(message: string, details: { exitCode?: number; outputTail?: readonly string[] } = {}) {
    super(message);
    this.exitCode = details.exitCode;
    this.outputTail = details.outputTail ?? [];
  }
}

/**
 * A step of a build that failed: the message names the instruction at its Dockerfile position
 * (`RUN make returned exit code 2`), and `outputTail` holds the step's last output lines so the
 * user sees why without the whole log.
 */
export class BuildError extends LocatedError {
  override name = 'BuildError';
  readonly outputTail: readonly string[];

  constructor(reason: string, at: SourcePosition, outputTail: readonly string[] = []) {
    super(reason, at);
    this.outputTail = outputTail;
  }
}
