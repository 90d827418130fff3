import { HullError } from '../errors.js';

/** Something about the build context is wrong: the message names the file or source concerned. */
export class ContextError extends HullError {
  override name = 'ContextError';
}

/** A `.dockerignore` (or COPY) pattern that Go's filepath.Match syntax rejects, as Docker does. */
export class BadPatternError extends ContextError {
  override name = 'BadPatternError';
  readonly pattern: string;

  constructor(pattern: string, reason = 'syntax error in pattern') {
    super(`${reason}: ${JSON.stringify(pattern)}`);
    this.pattern = pattern;
  }
}

/** A COPY/ADD source that is absent, ignored, or reaches outside the context. */
export class SourceError extends ContextError {
  override name = 'SourceError';
  /** The source exactly as written in the Dockerfile. */
  readonly source: string;

  constructor(message: string, source: string) {
    super(message);
    this.source = source;
  }
}
