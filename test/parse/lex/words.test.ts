// The quote-aware word splitter for ARG/ENV/LABEL: BuildKit's TestParseWords table plus escape-token cases.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { splitWords } from '../../../src/parse/lex/words.js';
import { conformanceDir } from '../../helpers/paths.js';

const table = JSON.parse(readFileSync(join(conformanceDir(), 'parser', 'words.json'), 'utf8')) as {
  cases: { input: string; expected: string[] }[];
};

for (const { input, expected } of table.cases) {
  test(`words of ${JSON.stringify(input)}`, () => {
    assert.deepEqual(splitWords(input, '\\').map((w) => w.value), expected);
  });
}

test('words keep their offsets', () => {
  assert.deepEqual(splitWords('  a="b c"  d', '\\'), [
    { value: 'a="b c"', offset: 2 },
    { value: 'd', offset: 11 },
  ]);
});

test('the escape token keeps a quote from opening, and a lone one at the end is dropped', () => {
  assert.deepEqual(splitWords('a\\"b c\\', '\\').map((w) => w.value), ['a\\"b', 'c']);
  assert.deepEqual(splitWords('a`"b c`', '`').map((w) => w.value), ['a`"b', 'c']);
  // With the backtick escape, a backslash is an ordinary character.
  assert.deepEqual(splitWords('a\\ b', '`').map((w) => w.value), ['a\\', 'b']);
});

test('an unterminated quote runs to the end of the text', () => {
  assert.deepEqual(splitWords('a="b c d', '\\').map((w) => w.value), ['a="b c d']);
  assert.deepEqual(splitWords("x='", '\\').map((w) => w.value), ["x='"]);
});

test('an empty quoted word is still a word', () => {
  assert.deepEqual(splitWords('a "" b', '\\').map((w) => w.value), ['a', '""', 'b']);
});
