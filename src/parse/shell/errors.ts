import { HullError } from '../../errors.js';

/**
 * A Dockerfile word that cannot be expanded: unterminated quote, `${}`, missing `}`, a
 * `${VAR?message}` whose variable is unset, a bad pattern, … The message follows BuildKit's
 * wording (`failed to process "<word>": <reason>`) so users can search for it.
 */
export class ShellExpansionError extends HullError {
  override name = 'ShellExpansionError';
  /** UTF-16 index in `word` where the problem is (the `$`, quote or modifier at fault). */
  readonly offset: number;
  /** The sentence without the `failed to process` prefix. */
  readonly reason: string;
  /** The word as it was given. */
  readonly word: string;

  constructor(reason: string, offset: number, word: string) {
    super(`failed to process ${JSON.stringify(word)}: ${reason}`);
    this.offset = offset;
    this.reason = reason;
    this.word = word;
  }
}
