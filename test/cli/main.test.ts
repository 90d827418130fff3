// The command line: hull parse and hull graph through main() with captured output, and once
// through the real bin/hull process.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { conformanceDir, repoRoot } from '../helpers/paths.js';

const run = runCli;

function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'hull-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test('hull parse --dump prints BuildKit\'s dump', async () => {
  const dir = join(conformanceDir(), 'parser', 'mumble');
  const { code, out } = await run(['parse', '--dump', join(dir, 'Dockerfile')]);
  assert.equal(code, 0);
  assert.equal(out, readFileSync(join(dir, 'result'), 'utf8'));
});

test('hull parse --json prints the tree with positions', async () => {
  const { code, out } = await run(['parse', '--json', '-'], 'FROM alpine\nRUN --network=none echo hi\n');
  assert.equal(code, 0);
  const tree = JSON.parse(out) as { nodes: { name: string; flags: { name: string }[]; range: { start: { line: number } } }[] };
  assert.deepEqual(tree.nodes.map((n) => [n.name, n.range.start.line]), [['from', 1], ['run', 2]]);
  assert.equal(tree.nodes[1]!.flags[0]!.name, 'network');
});

test('a parse error shows file:line:column, the line and a caret, and exits 1', async () => {
  const dir = scratch({ Dockerfile: 'FROM a\nENV  ONLYNAME\n' });
  const { code, err, out } = await run(['parse', join(dir, 'Dockerfile')]);
  assert.equal(code, 1);
  assert.equal(out, '');
  assert.equal(
    err,
    `error: ${join(dir, 'Dockerfile')}:2:6: ENV ONLYNAME has no value: write ENV ONLYNAME=VALUE (or ENV ONLYNAME VALUE)\n` +
      ' 2 | ENV  ONLYNAME\n   |      ^\n',
  );
});

test('a missing Dockerfile is a clear error', async () => {
  const { code, err } = await run(['graph', '-f', '/nonexistent/Dockerfile']);
  assert.equal(code, 1);
  assert.match(err, /cannot read the Dockerfile: \/nonexistent\/Dockerfile does not exist/);
});

test('hull graph reads CONTEXT/Dockerfile and honours --target and --build-arg', async () => {
  const dir = scratch({
    Dockerfile: 'ARG BASE=alpine\nFROM $BASE AS one\nRUN true\nFROM busybox AS two\nCOPY --from=one /a /a\nFROM scratch AS three\n',
  });
  const { code, out, err } = await run(['graph', '--target', 'two', '--build-arg', 'BASE=debian', '--format', 'json', dir]);
  assert.equal(code, 0, err);
  const graph = JSON.parse(out) as { target: number; stages: { name: string; used: boolean; base: unknown }[] };
  assert.equal(graph.target, 1);
  assert.deepEqual(graph.stages.map((s) => [s.name, s.used]), [['one', true], ['two', true], ['three', false]]);
  assert.match(JSON.stringify(graph.stages[0]!.base), /debian/);
});

test('hull graph --format dot renders with Graphviz', async (t) => {
  const { code, out } = await run(['graph', '--format', 'dot', '-f', join(repoRoot(), 'fixtures', 'demo', 'Dockerfile')]);
  assert.equal(code, 0);
  assert.match(out, /^digraph/);
  const dot = spawnSync('dot', ['-Tsvg'], { input: out, encoding: 'utf8' });
  if (dot.error) return t.skip('Graphviz is not installed (test/setup.sh installs it)');
  assert.equal(dot.status, 0, dot.stderr);
  assert.match(dot.stdout, /<svg/);
});

test('hull graph --format mermaid and text', async () => {
  const file = join(repoRoot(), 'fixtures', 'demo', 'Dockerfile');
  assert.match((await run(['graph', '--format', 'mermaid', '-f', file])).out, /^flowchart/);
  assert.match((await run(['graph', '-f', file])).out, /stage 0 "build"/);
});

test('wrong usage exits 2 with the usage text', async () => {
  const bad = await run(['graph', '--format', 'png']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--format png: choose one of text, dot, mermaid, json/);
  assert.match(bad.err, /Usage: hull graph/);
  assert.equal((await run(['parse', '--bogus', 'x'])).code, 2);
  assert.equal((await run(['frobnicate'])).code, 2);
  assert.equal((await run([])).code, 2);
  assert.equal((await run(['--help'])).code, 0);
});

test('bin/hull runs as a process', () => {
  const out = execFileSync(join(repoRoot(), 'bin', 'hull'), ['parse', '-'], { input: 'FROM scratch\nCMD ["x"]\n', encoding: 'utf8' });
  assert.equal(out, '(from "scratch")\n(cmd "x")\n');
  const version = execFileSync(join(repoRoot(), 'bin', 'hull'), ['--version'], { encoding: 'utf8' });
  assert.match(version, /^hull \d+\.\d+\.\d+\n$/);
});
