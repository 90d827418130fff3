/**
 * A tiny pattern automaton shared by `.dockerignore` and COPY wildcards. Patterns are compiled to
 * tokens and simulated as a set of states (Thompson-style), so matching costs O(path × pattern)
 * whatever the pattern: a hostile `.dockerignore` cannot trigger regex backtracking.
 */

const SLASH = 0x2f;
const NEWLINE = 0x0a;

export type Token =
  | { kind: 'lit'; cp: number }
  /** `?`: one code point other than '/'. */
  | { kind: 'one' }
  /** `[...]`: one code point inside (or, negated, outside) the ranges; '/' is not special here, as in Go. */
  | { kind: 'class'; ranges: Array<[number, number]>; negated: boolean }
  /** `*`: any run of code points other than '/'. */
  | { kind: 'star' }
  /** Docker's middle `**`, the regexp `(.* then /)?`; `anyNewline` false mirrors Go's `.` not matching '\n'. */
  | { kind: 'dirs'; anyNewline: boolean }
  /** Docker's trailing `**`, the regexp `.*` (or a plain prefix/suffix test when `anyNewline`). */
  | { kind: 'rest'; anyNewline: boolean };

function classHas(t: { ranges: Array<[number, number]>; negated: boolean }, cp: number): boolean {
  let inside = false;
  for (const [lo, hi] of t.ranges) {
    if (lo <= cp && cp <= hi) {
      inside = true;
      break;
    }
  }
  return inside !== t.negated;
}

/**
 * State 2i is "before token i"; state 2i+1 is "inside the `(.* then /)` of a `dirs` token i".
 * `accept` is state 2n.
 */
export class Automaton {
  readonly tokens: readonly Token[];
  private readonly marks: Uint32Array;
  private generation = 0;

  constructor(tokens: readonly Token[]) {
    this.tokens = tokens;
    this.marks = new Uint32Array(tokens.length * 2 + 2);
  }

  /** Whether the whole of `input` matches. */
  matches(input: string): boolean {
    const end = this.run(input);
    return end.includes(this.tokens.length * 2);
  }

  /**
   * Whether `input` or one of its parent directories (each prefix ending just before a '/')
   * matches, in one pass: `a/b/c` answers for `a`, `a/b` and `a/b/c` at the cost of one match.
   */
  matchesSelfOrParent(input: string): boolean {
    const accept = this.tokens.length * 2;
    let current = this.closure([0]);
    for (const ch of input) {
      if (current.length === 0) return false;
      const cp = ch.codePointAt(0) ?? 0;
      if (cp === SLASH && current.includes(accept)) return true;
      const next: number[] = [];
      for (const s of current) this.step(s, cp, next);
      current = this.closure(next);
    }
    return current.includes(accept);
  }

  /** Whether some continuation of `prefix` could still match (used to decide whether to walk into a directory). */
  alive(prefix: string): boolean {
    return this.run(prefix).length > 0;
  }

  private run(input: string): number[] {
    let current = this.closure([0]);
    for (const ch of input) {
      if (current.length === 0) break;
      const cp = ch.codePointAt(0) ?? 0;
      const next: number[] = [];
      for (const s of current) this.step(s, cp, next);
      current = this.closure(next);
    }
    return current;
  }

  private step(state: number, cp: number, out: number[]): void {
    const i = state >> 1;
    const t = this.tokens[i];
    if (t === undefined) return;
    if (state & 1) {
      // inside `(.* then /)`: '.' keeps us here, a '/' may also close the group
      if (t.kind === 'dirs' && (t.anyNewline || cp !== NEWLINE)) out.push(state);
      if (cp === SLASH) out.push(2 * (i + 1));
      return;
    }
    switch (t.kind) {
      case 'lit':
        if (t.cp === cp) out.push(2 * (i + 1));
        break;
      case 'one':
        if (cp !== SLASH) out.push(2 * (i + 1));
        break;
      case 'class':
        if (classHas(t, cp)) out.push(2 * (i + 1));
        break;
      case 'star':
        if (cp !== SLASH) out.push(state);
        break;
      case 'rest':
        if (t.anyNewline || cp !== NEWLINE) out.push(state);
        break;
      case 'dirs':
        // handled by the closure, which adds the inside state
        break;
    }
  }

  /** Adds the epsilon moves and removes duplicates (generation marks avoid clearing an array per step). */
  private closure(states: number[]): number[] {
    this.generation++;
    if (this.generation === 0xffffffff) {
      this.marks.fill(0);
      this.generation = 1;
    }
    const out: number[] = [];
    const stack = [...states];
    while (stack.length > 0) {
      const s = stack.pop() as number;
      if (this.marks[s] === this.generation) continue;
      this.marks[s] = this.generation;
      out.push(s);
      if (s & 1) continue;
      const t = this.tokens[s >> 1];
      if (t === undefined) continue;
      if (t.kind === 'star' || t.kind === 'rest') stack.push(s + 2);
      if (t.kind === 'dirs') stack.push(s + 1, s + 2);
    }
    return out;
  }
}

/** Tokens matching `text` literally. */
export function literal(text: string): Token[] {
  return Array.from(text, (ch) => ({ kind: 'lit', cp: ch.codePointAt(0) ?? 0 }) as Token);
}
