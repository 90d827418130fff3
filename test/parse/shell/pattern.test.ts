import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import {
  checkPattern,
  expandGoTemplate,
  matchesWhole,
  replace,
  reversePattern,
  trimPrefix,
  trimSuffix,
  type PatternResult,
} from '../../../src/parse/shell/pattern.js';
import { conformanceDir } from '../../helpers/paths.js';
import { mulberry32 } from '../../helpers/random.js';

function value(result: PatternResult): string {
  assert.ok(result.ok, result.ok ? '' : result.reason);
  return result.value;
}


interface PatternToRegex {
  cases: { pattern: string; regex: string }[];
  bad: string[];
}

describe('cases.json patternToRegex (as behaviour: same matches as the Go regexp)', () => {
  const section = (
    JSON.parse(readFileSync(join(conformanceDir(), 'shell', 'cases.json'), 'utf8')) as { patternToRegex: PatternToRegex }
  ).patternToRegex;
  for (const c of section.cases) {
    test(`${c.pattern} ~ ${c.regex}`, () => {
      assert.equal(checkPattern(c.pattern), null);
      // These Go regexps are valid JS regexps with the same meaning (no newlines involved).
      const re = new RegExp(c.regex, 'u');
      const samples = ['', 'x', 'xy', '*', '**', '?', '\\', '(()[]{}^$.*?|\\', '(()[]{}^$.*?|\\tail', 'a*b'];
      for (const sample of samples) {
        const m = re.exec(sample);
        const expected = m === null ? sample : sample.slice(m[0].length);
        assert.equal(value(trimPrefix(sample, c.pattern, true)), expected, `on ${JSON.stringify(sample)}`);
      }
    });
  }
  for (const bad of section.bad) {
    test(`rejects ${JSON.stringify(bad)}`, () => {
      assert.notEqual(checkPattern(bad), null);
      assert.equal(trimPrefix('abc', bad, false).ok, false);
      assert.equal(replace('abc', bad, 'x', true).ok, false);
    });
  }
});

describe('reversePattern keeps escape pairs', () => {
  const cases: [string, string][] = [
    ['a\\*c', 'c\\*a'],
    ['\\\\\\ab', 'b\\a\\\\'],
    ['ab\\', '\\ba'],
    ['👽\\🚀🖖', '🖖\\🚀👽'],
    ['\\\\b', 'b\\\\'],
  ];
  for (const [input, expected] of cases) {
    test(input, () => assert.equal(reversePattern(input), expected));
  }
});

describe('glob semantics', () => {
  test('brackets are literal, not a character class', () => {
    assert.ok(matchesWhole('[ab]', '[ab]'));
    assert.ok(!matchesWhole('[ab]', 'a'));
  });
  test('? is one code point, not one UTF-16 unit', () => {
    assert.equal(value(trimPrefix('👽x', '?', false)), 'x');
    assert.equal(value(trimSuffix('x👽', '?', false)), 'x');
    assert.equal(value(replace('a👽b', '?', '.', true)), '...');
  });
  test('* and ? do not match a newline (Go regexp "." semantics)', () => {
    assert.equal(value(trimPrefix('ab\ncd', '*', true)), '\ncd');
    assert.equal(value(trimPrefix('\nx', '?', false)), '\nx');
    assert.equal(value(trimPrefix('\nx', '\n', false)), 'x');
  });
  test('\\} and \\/ are the bare character', () => {
    assert.ok(matchesWhole('a\\}b\\/c', 'a}b/c'));
  });
  test('a trailing backslash is reported as dangling, also for suffixes', () => {
    assert.match((trimPrefix('a', 'a\\', false) as { reason: string }).reason, /dangling/);
    assert.match((trimSuffix('a', 'ab\\', false) as { reason: string }).reason, /dangling/);
  });
  test('a replacement is a Go template only for //', () => {
    assert.equal(value(replace('abc', 'b', '[$0]', true)), 'a[b]c');
    assert.equal(value(replace('abc', 'b', '[$0]', false)), 'a[$0]c');
  });
  test('Go ReplaceAll: no empty match right after a match', () => {
    assert.equal(value(replace('abc', '*', '-', true)), '-');
    assert.equal(value(replace('', '*', '-', true)), '-');
    assert.equal(value(replace('ab', '', '-', true)), '-a-b-');
    assert.equal(value(replace('a\nb', '*', '-', true)), '-\n-');
  });
});

describe('expandGoTemplate (Regexp.Expand with only group 0)', () => {
  const cases: [string, string][] = [
    ['$0', 'M'],
    ['${0}', 'M'],
    ['[$0$0]', '[MM]'],
    ['$$', '$'],
    ['$$0', '$0'],
    ['$1', ''],
    ['$00', ''],
    ['$name', ''],
    ['${name}x', 'x'],
    ['$0x', ''],
    ['${0x', '${0x'],
    ['$', '$'],
    ['a$-b', 'a$-b'],
    ['$é', ''],
    ['\\$0', '\\M'],
  ];
  for (const [template, expected] of cases) {
    test(template, () => assert.equal(expandGoTemplate(template, 'M'), expected));
  }
});

/** The pattern as a JS regexp with Go's meaning (inputs only use a, b, newline). */
function toRegExpSource(pattern: string, greedy: boolean): string {
  let out = '';
  for (const ch of pattern) {
    if (ch === '*') out += greedy ? '.*' : '.*?';
    else if (ch === '?') out += '.';
    else if (ch === '\n') out += '\\n';
    else out += ch;
  }
  return out;
}

/** Go's ReplaceAllString loop, driven by a JS regexp (independent of the NFA under test). */
function goReplaceAll(text: string, source: string, replacement: string): string {
  const re = new RegExp(source, 'g');
  let out = '';
  let lastEnd = 0;
  for (let search = 0; search <= text.length; ) {
    re.lastIndex = search;
    const m = re.exec(text);
    if (m === null) break;
    const start = m.index;
    const end = start + m[0].length;
    out += text.slice(lastEnd, start);
    if (end > lastEnd || start === 0) out += replacement;
    lastEnd = end;
    search = end < search + 1 ? search + 1 : end;
  }
  return out + text.slice(lastEnd);
}

describe('differential: NFA against backtracking regexps on random inputs', () => {
  const rnd = mulberry32(20240611);
  const pick = (alphabet: string, max: number): string => {
    let s = '';
    const n = Math.floor(rnd() * (max + 1));
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
    return s;
  };
  const trials: [string, string][] = [];
  for (let i = 0; i < 3000; i++) trials.push([pick('ab*?\n', 6), pick('aab\n', 10)]);

  test('prefix: leftmost-first lazy/greedy equals shortest/longest', () => {
    for (const [pattern, text] of trials) {
      for (const greedy of [false, true]) {
        const m = new RegExp(`^(?:${toRegExpSource(pattern, greedy)})`).exec(text);
        const expected = m === null ? text : text.slice(m[0].length);
        assert.equal(value(trimPrefix(text, pattern, greedy)), expected, JSON.stringify({ pattern, text, greedy }));
      }
    }
  });

  test('suffix: shortest/longest suffix the whole pattern matches', () => {
    for (const [pattern, text] of trials) {
      const whole = new RegExp(`^(?:${toRegExpSource(pattern, true)})$`);
      const lengths: number[] = [];
      for (let k = 0; k <= text.length; k++) if (whole.test(text.slice(text.length - k))) lengths.push(k);
      for (const longest of [false, true]) {
        const k = lengths.length === 0 ? 0 : longest ? Math.max(...lengths) : Math.min(...lengths);
        const expected = text.slice(0, text.length - k);
        assert.equal(value(trimSuffix(text, pattern, longest)), expected, JSON.stringify({ pattern, text, longest }));
      }
    }
  });

  test('replace first and all: same as Go FindStringIndex / ReplaceAllString', () => {
    for (const [pattern, text] of trials) {
      const source = toRegExpSource(pattern, true);
      const first = text.replace(new RegExp(source), () => 'R');
      assert.equal(value(replace(text, pattern, 'R', false)), first, JSON.stringify({ pattern, text }));
      assert.equal(value(replace(text, pattern, 'R', true)), goReplaceAll(text, source, 'R'), JSON.stringify({ pattern, text }));
    }
  });
});

describe('no catastrophic cost on long inputs', () => {
  const long = 'a'.repeat(10_000);
  const cases: [string, string][] = [
    ['10,000 stars', '*'.repeat(10_000)],
    ['10,000 stars then b', '*'.repeat(10_000) + 'b'],
    ['5,000 ?', '?'.repeat(5_000)],
    ['(*a) x 200 then b', '*a'.repeat(200) + 'b'],
    ['a 5,000 long literal that almost matches', 'a'.repeat(4_999) + 'b'],
  ];
  for (const [name, pattern] of cases) {
    test(name, () => {
      const started = performance.now();
      for (const longest of [false, true]) {
        assert.ok(trimPrefix(long, pattern, longest).ok);
        assert.ok(trimSuffix(long, pattern, longest).ok);
      }
      assert.ok(replace(long, pattern, 'x', false).ok);
      assert.ok(replace(long, pattern, 'x', true).ok);
      // Generous: these are O(value × pattern); exponential backtracking would take ages.
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 10_000, `${name} took ${elapsed.toFixed(0)} ms`);
    });
  }
  test('replace-all over a long value with many matches', () => {
    const text = 'ab'.repeat(10_000);
    const started = performance.now();
    assert.equal(value(replace(text, 'a', '', true)), 'b'.repeat(10_000));
    assert.equal(value(replace(text, '?', '', true)), '');
    assert.equal(value(replace(text, 'a*b', '', true)), '');
    assert.ok(performance.now() - started < 3000);
  });
});
