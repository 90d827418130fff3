// Heredocs: BuildKit's heredoc test tables (../shared/conformance/parser/heredoc.json) and our own cases.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ParseError } from '../../src/errors.js';
import { chompHeredoc, heredocMarkers, parseHeredocMarker } from '../../src/parse/heredoc.js';
import { parseDockerfile } from '../../src/parse/parser.js';
import { conformanceDir } from '../helpers/paths.js';

interface ExpectedHeredoc {
  name: string;
  content: string;
  expand: boolean;
  chomp: boolean;
  fileDescriptor: number;
}
const data = JSON.parse(readFileSync(join(conformanceDir(), 'parser', 'heredoc.json'), 'utf8')) as {
  extract: { dockerfile: string; heredocs: (ExpectedHeredoc[] | null)[] };
  jsonForm: { dockerfile: string; instructionsWithoutHeredocs: number[] };
  chompExample: { input: string; expected: string };
  heredocWord: { valid: string[]; invalid: string[]; notHeredoc: string[] };
  fromLine: { cases: { line: string; names: string[] | null }[] };
};

test('heredocs are extracted as BuildKit does (TestParseExtractsHeredoc)', () => {
  const nodes = parseDockerfile(data.extract.dockerfile).nodes;
  assert.equal(nodes.length, data.extract.heredocs.length + 1);
  data.extract.heredocs.forEach((expected, i) => {
    const got = nodes[i + 1]!.heredocs.map(({ name, content, expand, chomp, fileDescriptor }) => ({
      name, content, expand, chomp, fileDescriptor,
    }));
    assert.deepEqual(got, expected ?? [], `instruction ${i + 1}: ${nodes[i + 1]!.original}`);
  });
});

test('exec-form instructions never carry heredocs', () => {
  const nodes = parseDockerfile(data.jsonForm.dockerfile).nodes;
  for (const i of data.jsonForm.instructionsWithoutHeredocs) assert.deepEqual(nodes[i]!.heredocs, []);
});

test('<<- removes leading tabs from every body line', () => {
  assert.equal(chompHeredoc(data.chompExample.input), data.chompExample.expected);
});

for (const word of data.heredocWord.valid) {
  test(`heredoc marker ${JSON.stringify(word)} is valid`, () => {
    assert.equal(parseHeredocMarker(word)?.name, 'EOF');
  });
}
for (const word of data.heredocWord.invalid) {
  test(`heredoc marker ${JSON.stringify(word)} is an error`, () => {
    assert.throws(() => parseHeredocMarker(word));
  });
}
for (const word of data.heredocWord.notHeredoc) {
  test(`${JSON.stringify(word)} is not a heredoc marker`, () => {
    assert.equal(parseHeredocMarker(word), null);
  });
}
for (const { line, names } of data.fromLine.cases) {
  test(`heredocs on the line ${JSON.stringify(line)}`, () => {
    assert.deepEqual(heredocMarkers(line).map((m) => m.name), names ?? []);
  });
}

test('heredocs in ONBUILD, COPY and ADD, with positions', () => {
  const df = parseDockerfile('FROM a\nONBUILD RUN <<EOF\necho hi\nEOF\nADD <<A /a\nx\nA\nCOPY <<B <<C /\nb\nB\nc\nC\nRUN echo done\n');
  const [, onbuild, add, copy, run] = df.nodes;
  assert.equal(onbuild!.heredocs[0]!.content, 'echo hi\n');
  assert.deepEqual(onbuild!.range, { start: { line: 2, column: 1 }, end: { line: 4, column: 1 } });
  assert.equal(add!.heredocs[0]!.name, 'A');
  assert.deepEqual(copy!.heredocs.map((h) => h.content), ['b\n', 'c\n']);
  assert.equal(run!.range.start.line, 13);
});

test('a heredoc body at the end of a file without a final newline keeps its text', () => {
  const df = parseDockerfile('FROM a\nRUN <<EOF\nlast line\nEOF');
  assert.equal(df.nodes[1]!.heredocs[0]!.content, 'last line\n');
});

test('an unterminated heredoc is a ParseError at the instruction', () => {
  assert.throws(
    () => parseDockerfile('FROM a\n\nRUN <<EOF\necho hi\n', { file: 'app/Dockerfile' }),
    (err: unknown) =>
      err instanceof ParseError &&
      err.file === 'app/Dockerfile' &&
      err.line === 3 &&
      err.column === 1 &&
      /unterminated heredoc.*"EOF"/.test(err.message),
  );
});

test('a line with an unbalanced quote has no heredocs (the shell judges it), as in BuildKit', () => {
  const df = parseDockerfile('FROM a\nRUN echo "it\'s <<EOF\nRUN true\n');
  assert.deepEqual(df.nodes[1]!.heredocs, []);
  assert.equal(df.nodes.length, 3);
});
