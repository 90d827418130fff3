/**
 * Shell-glob matching for `${v#p}`, `${v%p}` and `${v/p/r}`, with the results BuildKit gets from
 * turning the pattern into a Go regular expression:
 *
 * - `*` is `.*` and `?` is `.`, so neither matches a newline (Go's `.` does not);
 * - `[`…`]` is NOT a bracket expression: brackets are ordinary characters;
 * - `\*` `\?` `\\` are literal, `\}` and `\/` are the bare character (the backslash only kept the
 *   lexer from ending the `${…}` there); any other escape, or a trailing `\`, is an error;
 * - the escape is always a backslash, whatever the Dockerfile's escape token is.
 *
 * Instead of building a RegExp (JS backtracking turns patterns like `*a*a*a…` exponential or
 * polynomial on long values) the pattern is run as an NFA over code points: every match costs
 * O(value length × pattern length) at worst. The NFA yields the set of possible match ends;
 * leftmost-first regexp semantics with only greedy (or only lazy) stars pick the largest (or
 * smallest) of them, so no backtracking order has to be reproduced.
 */

import { codePointAt, isNameChar } from './chars.js';

/** `*`: any run of characters but newlines. */
const STAR = -1;
/** `?`: any one character but a newline. */
const ANY = -2;
const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;
// Go's text/scanner, which BuildKit reads the pattern with, drops a byte-order mark at the start.
const BOM = 0xfeff;

export type PatternResult = { ok: true; value: string } | { ok: false; reason: string };

/** A compiled pattern: code points for literals, STAR or ANY; runs of stars are collapsed. */
type Program = Int32Array;

function codePointsOf(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) out.push(ch.codePointAt(0) as number);
  return out;
}

/** UTF-16 offset of every code point index of `s`, plus one for the end. */
function utf16Offsets(s: string): Int32Array {
  const offsets: number[] = [];
  for (let i = 0; i < s.length; ) {
    offsets.push(i);
    i += codePointAt(s, i).length;
  }
  offsets.push(s.length);
  return Int32Array.from(offsets);
}

function compile(pattern: string): Program | string {
  const cps = codePointsOf(pattern);
  const items: number[] = [];
  for (let i = cps[0] === BOM ? 1 : 0; i < cps.length; ) {
    const c = cps[i++] as number;
    if (c === 0x2a) {
      if (items[items.length - 1] !== STAR) items.push(STAR);
    } else if (c === 0x3f) {
      items.push(ANY);
    } else if (c === BACKSLASH) {
      const escaped = cps[i];
      if (escaped === 0x7d || escaped === 0x2f) continue;
      if (escaped === undefined) return "dangling escape '\\' at the end of the pattern";
      if (escaped !== 0x2a && escaped !== 0x3f && escaped !== BACKSLASH) {
        return `invalid escape '\\${String.fromCodePoint(escaped)}' (only \\*, \\? and \\\\ may be escaped)`;
      }
      items.push(escaped);
      i++;
    } else {
      items.push(c);
    }
  }
  return Int32Array.from(items);
}

/**
 * The NFA states alive at one position, in the order they were added, each with the start of
 * the match attempt that reached it. A state is kept once, for its first (= leftmost) start.
 */
class Threads {
  readonly states: Int32Array;
  readonly starts: Int32Array;
  length = 0;
  private readonly seen: Int32Array;
  private readonly startOfState: Int32Array;
  private generation = 0;

  constructor(size: number) {
    this.states = new Int32Array(size);
    this.starts = new Int32Array(size);
    this.seen = new Int32Array(size).fill(-1);
    this.startOfState = new Int32Array(size);
  }

  clear(): void {
    this.length = 0;
    this.generation++;
  }

  /** Adds `state`, and the state after it when it is a star (a star may match nothing). */
  add(program: Program, state: number, start: number): void {
    for (let j = state; ; j++) {
      if (this.seen[j] === this.generation) return;
      this.seen[j] = this.generation;
      this.startOfState[j] = start;
      this.states[this.length] = j;
      this.starts[this.length] = start;
      this.length++;
      if (program[j] !== STAR) return;
    }
  }

  /** The start recorded for `state`, or -1 when it is not alive. */
  startOf(state: number): number {
    return this.seen[state] === this.generation ? (this.startOfState[state] as number) : -1;
  }
}

/** Moves every thread of `from` (whose start is at most `maxStart`) over character `c`. */
function step(program: Program, from: Threads, to: Threads, c: number, maxStart: number): void {
  to.clear();
  for (let k = 0; k < from.length; k++) {
    const start = from.starts[k] as number;
    if (start > maxStart) continue;
    const state = from.states[k] as number;
    if (state === program.length) continue;
    const item = program[state] as number;
    if (item === STAR) {
      if (c !== NEWLINE) to.add(program, state, start);
    } else if (item === ANY) {
      if (c !== NEWLINE) to.add(program, state + 1, start);
    } else if (item === c) {
      to.add(program, state + 1, start);
    }
  }
}

/** End of the shortest (or longest) match anchored at 0, or -1. */
function matchPrefix(program: Program, text: readonly number[], longest: boolean): number {
  let cur = new Threads(program.length + 1);
  let next = new Threads(program.length + 1);
  cur.clear();
  cur.add(program, 0, 0);
  let best = -1;
  for (let i = 0; ; i++) {
    if (cur.startOf(program.length) >= 0) {
      best = i;
      if (!longest) return best;
    }
    if (i === text.length || cur.length === 0) return best;
    step(program, cur, next, text[i] as number, 0);
    [cur, next] = [next, cur];
  }
}

/**
 * The leftmost match starting at or after `from`, extended as far as it goes (greedy stars):
 * what Go's unanchored FindStringIndex returns.
 */
function findLeftmost(program: Program, text: readonly number[], from: number): [number, number] | null {
  const accept = program.length;
  let cur = new Threads(program.length + 1);
  let next = new Threads(program.length + 1);
  cur.clear();
  let bestStart = -1;
  let bestEnd = -1;
  for (let i = from; ; i++) {
    // Threads are in start order, so a new attempt never displaces an earlier one.
    if (bestStart < 0) cur.add(program, 0, i);
    const start = cur.startOf(accept);
    if (start >= 0 && (bestStart < 0 || start <= bestStart)) {
      bestStart = start;
      bestEnd = i;
    }
    if (i === text.length) break;
    step(program, cur, next, text[i] as number, bestStart < 0 ? Infinity : bestStart);
    [cur, next] = [next, cur];
    if (cur.length === 0 && bestStart >= 0) break;
  }
  return bestStart < 0 ? null : [bestStart, bestEnd];
}

/**
 * Reverses a pattern but keeps each `\x` pair in order, so `${v%p}` can be run as a prefix match
 * on the reversed value. A trailing lone `\` is moved like any other character, as BuildKit does.
 */
export function reversePattern(pattern: string): string {
  const chars = Array.from(pattern);
  const units: string[] = [];
  for (let i = 0; i < chars.length; ) {
    if (chars[i] === '\\' && i !== chars.length - 1) {
      units.push((chars[i] as string) + (chars[i + 1] as string));
      i += 2;
    } else {
      units.push(chars[i] as string);
      i += 1;
    }
  }
  return units.reverse().join('');
}

/** Whether a pattern is accepted; the reason when it is not. */
export function checkPattern(pattern: string): string | null {
  const program = compile(pattern);
  return typeof program === 'string' ? program : null;
}

/** Does `pattern` match all of `text` (both taken literally as the pattern language says)? */
export function matchesWhole(pattern: string, text: string): boolean {
  const program = compile(pattern);
  if (typeof program === 'string') return false;
  const cps = codePointsOf(text);
  return matchPrefix(program, cps, true) === cps.length;
}

/** `${v#p}` (shortest) and `${v##p}` (longest): drop the matching prefix. */
export function trimPrefix(value: string, pattern: string, longest: boolean): PatternResult {
  const program = compile(pattern);
  if (typeof program === 'string') return { ok: false, reason: program };
  const text = codePointsOf(value);
  const end = matchPrefix(program, text, longest);
  if (end <= 0) return { ok: true, value };
  return { ok: true, value: value.slice(utf16Offsets(value)[end]) };
}

/** `${v%p}` (shortest) and `${v%%p}` (longest): drop the matching suffix. */
export function trimSuffix(value: string, pattern: string, longest: boolean): PatternResult {
  const program = compile(reversePattern(pattern));
  if (typeof program === 'string') {
    // Reversal can move a trailing `\` to the front and blame another character; name the real fault.
    const dangling = /(^|[^\\])(\\\\)*\\$/.test(pattern);
    return { ok: false, reason: dangling ? "dangling escape '\\' at the end of the pattern" : program };
  }
  const text = codePointsOf(value).reverse();
  const end = matchPrefix(program, text, longest);
  if (end <= 0) return { ok: true, value };
  return { ok: true, value: value.slice(0, utf16Offsets(value)[text.length - end]) };
}

/**
 * `${v/p/r}` (first match) and `${v//p/r}` (every match). Like Go's ReplaceAllString, which
 * BuildKit uses for `//`: after each match the search resumes at its end (one character further
 * for an empty match), an empty match right after a match is not replaced, and the replacement
 * is a Go template (`$0` / `${0}` is the match, `$$` a dollar, other names are empty).
 */
export function replace(value: string, pattern: string, replacement: string, all: boolean): PatternResult {
  const program = compile(pattern);
  if (typeof program === 'string') return { ok: false, reason: program };
  const text = codePointsOf(value);
  const offsets = utf16Offsets(value);
  const slice = (a: number, b: number): string => value.slice(offsets[a], offsets[b]);
  if (!all) {
    const found = findLeftmost(program, text, 0);
    if (found === null) return { ok: true, value };
    return { ok: true, value: slice(0, found[0]) + replacement + slice(found[1], text.length) };
  }
  let out = '';
  let lastEnd = 0;
  for (let search = 0; search <= text.length; ) {
    const found = findLeftmost(program, text, search);
    if (found === null) break;
    const [start, end] = found;
    out += slice(lastEnd, start);
    if (end > lastEnd || start === 0) out += expandGoTemplate(replacement, slice(start, end));
    lastEnd = end;
    search = end < search + 1 ? search + 1 : end;
  }
  return { ok: true, value: out + slice(lastEnd, text.length) };
}

/** Go's Regexp.Expand for a regexp whose only group is the whole match. */
export function expandGoTemplate(template: string, match: string): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    const braced = template[i] === '{';
    let j = braced ? i + 1 : i;
    const nameStart = j;
    for (let ch = codePointAt(template, j); ch !== '' && isNameChar(ch); ch = codePointAt(template, j)) {
      j += ch.length;
    }
    if (j === nameStart || (braced && template[j] !== '}')) {
      out += '$';
      continue;
    }
    const name = template.slice(nameStart, j);
    i = braced ? j + 1 : j;
    if (name === '0') out += match;
  }
  return out;
}
