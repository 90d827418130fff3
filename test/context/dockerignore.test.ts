import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BadPatternError } from '../../src/context/errors.js';
import { IgnorePattern, PatternMatcher, matchesDeprecated, matchesOrParentMatches, readDockerignore } from '../../src/context/dockerignore.js';
import { conformanceDir } from '../helpers/paths.js';

interface PairCase { pattern: string; path: string; match: boolean; badPattern?: boolean; unixOnly?: boolean }
interface MultiCase { patterns: string[]; path: string; match?: boolean; error?: boolean }
interface Cases {
  matchesOrParentMatches: PairCase[];
  multiPattern: MultiCase[];
  match: PairCase[];
  matchesSimple: { cases: MultiCase[] };
  newPatterns: { cases: Array<{ patterns: string[]; count?: number; exclusions?: boolean; error?: boolean }> };
  malformedAtMatchTime: { patterns: string[]; path: string; calls: number };
  compile: { cases: Array<{ pattern: string; matchType: string }> };
}
interface ReadCase { content: string | null; expected: string[] }

const dir = join(conformanceDir(), 'dockerignore');
const cases = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as Cases;
const readfile = JSON.parse(readFileSync(join(dir, 'readfile.json'), 'utf8')) as { upstream: ReadCase[]; derived: ReadCase[] };

describe('dockerignore conformance: matchesOrParentMatches', () => {
  for (const c of cases.matchesOrParentMatches) {
    it(`${c.pattern} vs ${c.path} → ${c.match}`, () => {
      assert.equal(new PatternMatcher([c.pattern]).matchesOrParentMatches(c.path), c.match);
    });
  }
});

describe('dockerignore conformance: multiPattern', () => {
  for (const c of cases.multiPattern) {
    it(`${JSON.stringify(c.patterns)} vs ${c.path} → ${c.match}`, () => {
      assert.equal(new PatternMatcher(c.patterns).matchesOrParentMatches(c.path), c.match);
    });
  }
});

describe('dockerignore conformance: match (filepath.Match rules)', () => {
  for (const c of cases.match) {
    it(`${c.pattern} vs ${c.path} → ${c.badPattern ? 'bad pattern' : c.match}`, () => {
      if (c.badPattern) {
        assert.throws(() => matchesOrParentMatches(c.path, [c.pattern]), BadPatternError);
      } else {
        assert.equal(matchesOrParentMatches(c.path, [c.pattern]), c.match);
      }
    });
  }
});

describe('dockerignore conformance: matchesSimple (deprecated Matches)', () => {
  for (const c of cases.matchesSimple.cases) {
    it(`${JSON.stringify(c.patterns)} vs ${c.path} → ${c.error ? 'error' : c.match}`, () => {
      if (c.error) assert.throws(() => matchesDeprecated(c.path, c.patterns), BadPatternError);
      else assert.equal(matchesDeprecated(c.path, c.patterns), c.match);
    });
  }
});

describe('dockerignore conformance: newPatterns', () => {
  for (const c of cases.newPatterns.cases) {
    it(JSON.stringify(c.patterns), () => {
      if (c.error) return void assert.throws(() => new PatternMatcher(c.patterns), BadPatternError);
      const pm = new PatternMatcher(c.patterns);
      if (c.count !== undefined) assert.equal(pm.patterns.length, c.count);
      if (c.exclusions !== undefined) assert.equal(pm.exclusions, c.exclusions);
    });
  }
});

describe('dockerignore conformance: malformed at match time', () => {
  const c = cases.malformedAtMatchTime;
  it(`${JSON.stringify(c.patterns)} passes New, fails on every match`, () => {
    const pm = new PatternMatcher(c.patterns);
    for (let i = 0; i < c.calls; i++) assert.throws(() => pm.matchesOrParentMatches(c.path), BadPatternError);
  });
});

describe('dockerignore conformance: compile strategy', () => {
  for (const c of cases.compile.cases) {
    it(`${c.pattern} → ${c.matchType}`, () => {
      assert.equal(new IgnorePattern(c.pattern, false).matchType, c.matchType);
    });
  }
});

describe('dockerignore conformance: ignorefile reader', () => {
  for (const c of [...readfile.upstream, ...readfile.derived]) {
    it(JSON.stringify(c.content), () => assert.deepEqual(readDockerignore(c.content), c.expected));
  }
});

describe('dockerignore: beyond the vectors', () => {
  it('a later plain pattern excludes again after an exception (BEHAVIOURS 18)', () => {
    const pm = new PatternMatcher(readDockerignore('*.tmp\n**/*.log\n!keep.log\n/abs\n'));
    assert.equal(pm.matchesOrParentMatches('a.tmp'), true);
    assert.equal(pm.matchesOrParentMatches('sub/a.tmp'), false, '*.tmp only matches at the root');
    assert.equal(pm.matchesOrParentMatches('deep/er/x.log'), true);
    assert.equal(pm.matchesOrParentMatches('keep.log'), false);
    assert.equal(pm.matchesOrParentMatches('abs/x'), true, 'a leading / is ignored');
  });

  it('suffix strategy keeps upstream meaning: **file matches xfile, **/dir does not match xdir', () => {
    assert.equal(new PatternMatcher(['**file']).matchesOrParentMatches('a/xfile'), true);
    assert.equal(new PatternMatcher(['**/dir']).matchesOrParentMatches('a/xdir'), false);
  });

  it('walk state agrees with matchesOrParentMatches, and exceptions keep excluded dirs open', () => {
    const pm = new PatternMatcher(['docs', '!docs/**/*.md', 'build', '**/*.o']);
    const paths = ['docs', 'docs/a', 'docs/a/b.md', 'docs/a/c.txt', 'build', 'build/x.md', 'src/m.o', 'src/m.c'];
    for (const p of paths) {
      const parent = p.includes('/') ? pm.stateOf(p.slice(0, p.lastIndexOf('/'))) : pm.rootState();
      assert.equal(pm.evaluate(p, parent).excluded, pm.matchesOrParentMatches(p), p);
    }
    assert.equal(pm.mayIncludeBelow('docs'), true);
    assert.equal(pm.mayIncludeBelow('build'), false);
  });

  it('trims as Go does: Unicode spaces go, a BOM after the first byte stays; a huge blank line is cheap', () => {
    assert.deepEqual(readDockerignore('\u00a0x\u3000\nb\n\ufeffc\n'), ['x', 'b', '\ufeffc']);
    assert.deepEqual(readDockerignore(' '.repeat(200_000) + 'y' + ' '.repeat(200_000)), ['y']);
  });

  it('hostile patterns match in linear time (no backtracking)', () => {
    const pattern = 'a*'.repeat(40) + 'b';
    const path = 'a'.repeat(5000);
    const started = process.hrtime.bigint();
    assert.equal(new PatternMatcher([pattern]).matchesOrParentMatches(path), false);
    const deep = '**/'.repeat(30) + 'x';
    assert.equal(new PatternMatcher([deep]).matchesOrParentMatches('a/'.repeat(2000) + 'y'), false);
    // a backtracking engine takes astronomically long here; generous bound, not a timing benchmark
    assert.ok(process.hrtime.bigint() - started < 10_000_000_000n);
  });
});
