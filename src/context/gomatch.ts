import { BadPatternError } from './errors.js';
import { Automaton, type Token } from './nfa.js';

/**
 * Go's filepath.Match syntax (Unix): `*`, `?`, `[...]` with `^` negation and ranges, `\` escapes.
 * `parseClass` follows Go's matchChunk/getEsc exactly, so the same patterns are rejected
 * (`[]a]`, `[-]`, `[x-]`, `[a-b-c]`, a trailing `\`, an unclosed `[`).
 */

interface ClassParse {
  ranges: Array<[number, number]>;
  negated: boolean;
  /** Index just after the closing ']'. */
  end: number;
}

function getEsc(cps: number[], at: number, pattern: string): [number, number] {
  const c = cps[at];
  if (c === undefined || c === 0x2d /* - */ || c === 0x5d /* ] */) throw new BadPatternError(pattern);
  let i = at;
  if (c === 0x5c /* \ */) {
    i++;
    if (cps[i] === undefined) throw new BadPatternError(pattern);
  }
  const r = cps[i] as number;
  i++;
  if (i >= cps.length) throw new BadPatternError(pattern);
  return [r, i];
}

/** Parses the class whose '[' is at `at`. */
export function parseClass(cps: number[], at: number, pattern: string): ClassParse {
  let i = at + 1;
  let negated = false;
  if (cps[i] === 0x5e /* ^ */) {
    negated = true;
    i++;
  }
  const ranges: Array<[number, number]> = [];
  for (;;) {
    if (cps[i] === 0x5d && ranges.length > 0) return { ranges, negated, end: i + 1 };
    const [lo, afterLo] = getEsc(cps, i, pattern);
    i = afterLo;
    let hi = lo;
    if (cps[i] === 0x2d) {
      const [h, afterHi] = getEsc(cps, i + 1, pattern);
      hi = h;
      i = afterHi;
    }
    ranges.push([lo, hi]);
  }
}

/** Compiles a Go filepath.Match pattern (one that never has to cross '/'); throws BadPatternError. */
export function compileGoMatch(pattern: string): Automaton {
  const cps = Array.from(pattern, (ch) => ch.codePointAt(0) ?? 0);
  const tokens: Token[] = [];
  for (let i = 0; i < cps.length; ) {
    const c = cps[i] as number;
    if (c === 0x2a) {
      // consecutive stars are one star in Go
      if (tokens[tokens.length - 1]?.kind !== 'star') tokens.push({ kind: 'star' });
      i++;
    } else if (c === 0x3f) {
      tokens.push({ kind: 'one' });
      i++;
    } else if (c === 0x5b) {
      const cls = parseClass(cps, i, pattern);
      tokens.push({ kind: 'class', ranges: cls.ranges, negated: cls.negated });
      i = cls.end;
    } else if (c === 0x5c) {
      const next = cps[i + 1];
      if (next === undefined) throw new BadPatternError(pattern);
      tokens.push({ kind: 'lit', cp: next });
      i += 2;
    } else {
      tokens.push({ kind: 'lit', cp: c });
      i++;
    }
  }
  return new Automaton(tokens);
}

/** Go's filepath.Match; a malformed pattern throws BadPatternError (Go returns ErrBadPattern). */
export function goMatch(pattern: string, name: string): boolean {
  return compileGoMatch(pattern).matches(name);
}

/** Whether a COPY source holds wildcard syntax (Go's containsWildcards: `*`, `?`, `[`, skipping `\`-escaped chars). */
export function hasWildcards(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '*' || c === '?' || c === '[') return true;
  }
  return false;
}
