import { BadPatternError } from './errors.js';
import { compileGoMatch, parseClass } from './gomatch.js';
import { cleanPath, dirName } from './gopath.js';
import { goTrimSpace } from './ignorefile.js';
import { Automaton, literal, type Token } from './nfa.js';

/**
 * `.dockerignore` patterns exactly as Docker applies them (moby/patternmatcher). Matching semantics follow upstream's four strategies (exact, prefix, suffix, regexp);
 * the regexp one runs on our own automaton instead of a backtracking regex engine.
 */

export type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

interface Compiled {
  type: MatchType;
  automaton: Automaton;
  /** Set when upstream's Go regexp would fail to compile: every match is then an error. */
  bad: boolean;
}

/** Mirrors patternmatcher's Pattern.compile: which strategy, and the regexp's meaning as tokens. */
function compileIgnore(pattern: string): Compiled {
  const cps = Array.from(pattern, (ch) => ch.codePointAt(0) ?? 0);
  const tokens: Token[] = [];
  let type: MatchType = 'exact';
  let bad = false;
  let pos = 0;
  for (let i = 0; pos < cps.length; i++) {
    const ch = cps[pos++] as number;
    if (ch === 0x2a) {
      if (cps[pos] === 0x2a) {
        pos++;
        if (cps[pos] === 0x2f) pos++;
        if (pos >= cps.length) {
          if (type === 'exact') type = 'prefix';
          else {
            tokens.push({ kind: 'rest', anyNewline: false });
            type = 'regexp';
          }
        } else {
          tokens.push({ kind: 'dirs', anyNewline: false });
          type = 'regexp';
        }
        if (i === 0) type = 'suffix';
      } else {
        tokens.push({ kind: 'star' });
        type = 'regexp';
      }
    } else if (ch === 0x3f) {
      tokens.push({ kind: 'one' });
      type = 'regexp';
    } else if (ch === 0x5c) {
      const next = cps[pos];
      if (next !== undefined) {
        // upstream emits `\c` into a Go regexp; we take c literally (filepath.Match's meaning)
        tokens.push({ kind: 'lit', cp: next });
        pos++;
        type = 'regexp';
      } else tokens.push({ kind: 'lit', cp: ch });
    } else if (ch === 0x5b) {
      const cls = parseClass(cps, pos - 1, pattern);
      // Go's regexp rejects a reversed range such as [l-O] (moby/moby#52203); filepath.Match does not
      if (cls.ranges.some(([lo, hi]) => lo > hi)) bad = true;
      tokens.push({ kind: 'class', ranges: cls.ranges, negated: cls.negated });
      pos = cls.end;
      type = 'regexp';
    } else if (ch === 0x5d) {
      tokens.push({ kind: 'lit', cp: ch });
      type = 'regexp';
    } else tokens.push({ kind: 'lit', cp: ch });
  }
  return { type, automaton: new Automaton(automatonTokens(type, pattern, tokens)), bad };
}

/** exact/prefix/suffix are plain string tests upstream; express them as tokens too, for `alive`. */
function automatonTokens(type: MatchType, pattern: string, regexpTokens: Token[]): Token[] {
  switch (type) {
    case 'exact':
      return literal(pattern);
    case 'prefix':
      return [...literal(pattern.slice(0, -2)), { kind: 'rest', anyNewline: true }];
    case 'suffix': {
      const suffix = pattern.slice(2);
      if (suffix.startsWith('/')) return [{ kind: 'dirs', anyNewline: true }, ...literal(suffix.slice(1))];
      return [{ kind: 'rest', anyNewline: true }, ...literal(suffix)];
    }
    case 'regexp':
      return regexpTokens;
  }
}

/** One cleaned pattern of a matcher. */
export class IgnorePattern {
  readonly cleaned: string;
  readonly exclusion: boolean;
  readonly dirs: readonly string[];
  private compiled: Compiled | undefined;

  constructor(cleaned: string, exclusion: boolean) {
    this.cleaned = cleaned;
    this.exclusion = exclusion;
    this.dirs = cleaned.split('/');
  }

  /** The strategy upstream would pick (compiled on first use, as upstream does). */
  get matchType(): MatchType {
    return this.compile().type;
  }

  private compile(): Compiled {
    this.compiled ??= compileIgnore(this.cleaned);
    return this.compiled;
  }

  /** Whether `path` itself matches; throws BadPatternError when upstream's regexp would not compile. */
  match(path: string): boolean {
    const c = this.compile();
    if (c.bad) throw new BadPatternError(this.cleaned, 'syntax error in pattern');
    if (c.type === 'exact') return path === this.cleaned;
    return c.automaton.matches(path);
  }

  /**
   * `match(path) || match(any parent)` for a clean relative path, in one pass (upstream tries every
   * parent separately, which is quadratic in the depth). Errors as `match` does.
   */
  matchSelfOrParent(path: string): boolean {
    const c = this.compile();
    if (c.bad) throw new BadPatternError(this.cleaned, 'syntax error in pattern');
    return c.automaton.matchesSelfOrParent(path);
  }

  /** Whether the pattern could match some path below directory `dir` (conservative: may say yes). */
  mayMatchBelow(dir: string): boolean {
    const c = this.compile();
    return !c.bad && c.automaton.alive(dir + '/');
  }

  toString(): string {
    return (this.exclusion ? '!' : '') + this.cleaned;
  }
}

/** Per-pattern "matched this directory or an ancestor", carried down a walk. */
export type IgnoreState = readonly boolean[];

/** patternmatcher.New plus the ways Docker asks it questions. */
export class PatternMatcher {
  readonly patterns: readonly IgnorePattern[];
  readonly exclusions: boolean;

  /** Throws BadPatternError for a lone `!` or a pattern filepath.Match rejects. */
  constructor(patterns: readonly string[]) {
    const kept: IgnorePattern[] = [];
    let exclusions = false;
    for (const raw of patterns) {
      let p = goTrimSpace(raw);
      if (p === '') continue;
      p = cleanPath(p);
      let exclusion = false;
      if (p.startsWith('!')) {
        if (p.length === 1) throw new BadPatternError('!', 'illegal exclusion pattern');
        exclusion = true;
        exclusions = true;
        p = p.slice(1);
      }
      compileGoMatch(p); // upstream validates with filepath.Match(p, ".") and keeps only the error
      kept.push(new IgnorePattern(p, exclusion));
    }
    this.patterns = kept;
    this.exclusions = exclusions;
  }

  /** MatchesOrParentMatches: `file` or one of its parent directories is excluded (later patterns win). */
  matchesOrParentMatches(file: string): boolean {
    let matched = false;
    const parent = dirName(file);
    const parentDirs = parent.split('/');
    // for a clean relative path the parents are exactly the prefixes before each '/'
    const onePass = !file.startsWith('/') && cleanPath(file) === file;
    for (const pattern of this.patterns) {
      // an inclusion is moot once matched, an exception until matched (upstream's shortcut)
      if (pattern.exclusion !== matched) continue;
      if (onePass) {
        if (pattern.matchSelfOrParent(file)) matched = !pattern.exclusion;
        continue;
      }
      let match = pattern.match(file);
      if (!match && parent !== '.') {
        for (let i = 1; i <= parentDirs.length && !match; i++) {
          match = swallow(() => pattern.match(parentDirs.slice(0, i).join('/')));
        }
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  /** The deprecated Matches: only the parent with as many components as the pattern is tried. */
  matchesDeprecated(file: string): boolean {
    let matched = false;
    const parent = dirName(file);
    const parentDirs = parent.split('/');
    for (const pattern of this.patterns) {
      if (pattern.exclusion !== matched) continue;
      let match = pattern.match(file);
      if (!match && parent !== '.' && pattern.dirs.length <= parentDirs.length) {
        match = swallow(() => pattern.match(parentDirs.slice(0, pattern.dirs.length).join('/')));
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  /** The state of the context root, for a walk starting there. */
  rootState(): IgnoreState {
    return this.patterns.map(() => false);
  }

  /** The state of `path` computed from scratch (for a walk starting below the root). */
  stateOf(path: string): IgnoreState {
    let state = this.rootState();
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) state = this.evaluate(parts.slice(0, i).join('/'), state).state;
    return state;
  }

  /**
   * One step of a walk: `path`'s verdict given its parent directory's state. The verdict is the
   * one MatchesOrParentMatches gives (the last pattern matching the path or an ancestor decides).
   */
  evaluate(path: string, parent: IgnoreState): { excluded: boolean; state: IgnoreState } {
    let excluded = false;
    const state = this.patterns.map((pattern, i) => {
      const match = (parent[i] ?? false) || pattern.match(path);
      if (match) excluded = !pattern.exclusion;
      return match;
    });
    return { excluded, state };
  }

  /**
   * Whether an excluded directory must still be walked because an exception could re-include
   * something below it (Docker's "walk into excluded dir" rule, made exact by the automaton).
   */
  mayIncludeBelow(dir: string): boolean {
    return this.exclusions && this.patterns.some((p) => p.exclusion && p.mayMatchBelow(dir));
  }

  /** Fails now, rather than in the middle of a walk, when a pattern cannot be applied at all. */
  assertUsable(): void {
    for (const p of this.patterns) p.match('');
  }
}

/** Upstream ignores the error when testing parent directories (`match, _ = pattern.match(...)`). */
function swallow(test: () => boolean): boolean {
  try {
    return test();
  } catch {
    return false;
  }
}

/** The package-level MatchesOrParentMatches: builds a matcher, cleans the path, never excludes ".". */
export function matchesOrParentMatches(file: string, patterns: readonly string[]): boolean {
  const pm = new PatternMatcher(patterns);
  const clean = cleanPath(file);
  return clean === '.' ? false : pm.matchesOrParentMatches(clean);
}

/** The package-level deprecated Matches (kept for the conformance cases that use it). */
export function matchesDeprecated(file: string, patterns: readonly string[]): boolean {
  const pm = new PatternMatcher(patterns);
  const clean = cleanPath(file);
  return clean === '.' ? false : pm.matchesDeprecated(clean);
}

export { goTrimSpace, readDockerignore } from './ignorefile.js';
