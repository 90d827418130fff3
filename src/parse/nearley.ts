import nearley from 'nearley';

/**
 * A nearley parser whose syntax errors are one short line. nearley's own message walks the
 * parse table back to the start for every expected symbol: quadratic (and deeply recursive)
 * on hostile input such as thousands of nested `[`, while hull only needs to know that the
 * text did not parse (the exec form then falls back to shell form).
 */
export class QuietParser extends nearley.Parser {
  constructor(grammar: nearley.Grammar) {
    // keepHistory off: columns already parsed are dropped, so a huge line is not kept twice.
    super(grammar, { keepHistory: false });
  }
}

interface ErrorReporting {
  reportErrorCommon(lexerMessage: string, tokenDisplay: string): string;
}

(QuietParser.prototype as unknown as ErrorReporting).reportErrorCommon = (lexerMessage, tokenDisplay) =>
  `${lexerMessage.split('\n')[0]} (unexpected ${tokenDisplay})`;
