// BuildKit's own parser cases (../shared/conformance/parser*): every positive case must dump
// byte for byte as its `result`, every negative case must fail with a ParseError.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ParseError } from '../../src/errors.js';
import { dumpDockerfile } from '../../src/parse/dump.js';
import { parseDockerfile } from '../../src/parse/parser.js';
import { conformanceDir } from '../helpers/paths.js';

const positive = join(conformanceDir(), 'parser');
const negative = join(conformanceDir(), 'parser-negative');
const cases = (dir: string) => readdirSync(dir).filter((n) => statSync(join(dir, n)).isDirectory()).sort();

test('the conformance data is there', () => {
  assert.ok(cases(positive).length >= 30, `expected BuildKit's parser cases in ${positive}`);
  assert.ok(cases(negative).length >= 4, `expected BuildKit's negative cases in ${negative}`);
});

for (const name of cases(positive)) {
  test(`parser case ${name} dumps as its result`, () => {
    const text = readFileSync(join(positive, name, 'Dockerfile'), 'utf8');
    const expected = readFileSync(join(positive, name, 'result'), 'utf8');
    assert.equal(dumpDockerfile(parseDockerfile(text, { file: `${name}/Dockerfile` })), expected);
  });
}

for (const name of cases(negative)) {
  test(`negative parser case ${name} is a ParseError`, () => {
    const text = readFileSync(join(negative, name, 'Dockerfile'), 'utf8');
    assert.throws(() => parseDockerfile(text, { file: `${name}/Dockerfile` }), (err: unknown) => {
      assert.ok(err instanceof ParseError, `expected a ParseError, got ${String(err)}`);
      assert.equal(err.file, `${name}/Dockerfile`);
      assert.ok(err.line >= 1 && err.column >= 1);
      return true;
    });
  });
}
