import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildGraph, renderDot, renderJson, renderMermaid, renderText, toJson } from '../../src/graph/index.js';
import { parseDockerfile } from '../../src/parse/parser.js';
import { conformanceDir } from '../helpers/paths.js';
import { graphOf } from './helpers.js';

const MULTI = [
  'ARG GO=1.22',
  'FROM golang:${GO} AS build',
  'RUN go build -o /out/app "quoted" \\\\ back',
  'FROM alpine AS tools',
  'RUN apk add curl',
  'FROM alpine AS unused',
  'RUN true',
  'FROM --platform=linux/arm64 scratch AS final',
  'COPY --from=build /out/app /app',
  'COPY --from=1 /usr/bin/curl /curl',
  'COPY --from=busybox:1.36 /bin/busybox /bin/',
  'RUN --mount=type=bind,from=tools,target=/t --mount=type=cache,target=/c,from=node:20 echo "<a|b>#x" `y`',
].join('\n');

const hasDot = spawnSync('dot', ['-V'], { encoding: 'utf8' }).status === 0;

function dotAccepts(source: string): void {
  const r = spawnSync('dot', ['-Tsvg'], { input: source, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '', 'dot printed warnings');
  assert.match(r.stdout, /<svg/);
}

describe('renderText', () => {
  it('shows one block per stage with base, platform, steps, needs and marks', () => {
    const text = renderText(graphOf(MULTI, { buildArgs: { X: '1' } }));
    assert.match(text, /^Dockerfile: 4 stages, 3 to build for target stage 3 "final", platform linux\/amd64\n/);
    assert.match(text, /\nglobal ARGs:\n {5}1 {2}GO=1\.22\n/);
    assert.match(text, /\nstage 0 "build" {2}\(line 2\)\n {2}FROM golang:\$\{GO\} AS build\n {2}base: {5}image golang:1\.22\n {2}steps:\n {7}3 {2}RUN go build/);
    assert.match(text, /\nstage 2 "unused" {2}\(line 6\) {2}\[not built: the target does not need it\]\n/);
    assert.match(text, /\nstage 3 "final" {2}\(line 8\) {2}\[target\]\n[^]*\n {2}base: {5}scratch \(empty\)\n {2}platform: linux\/arm64\n/);
    assert.match(text, /\n {2}needs:\n {7}9 {2}stage 0 "build" \(COPY --from\)\n {6}10 {2}stage 1 "tools" \(COPY --from\)\n {6}11 {2}image busybox:1\.36 \(COPY --from\)\n {6}12 {2}stage 1 "tools" \(mount\)\n {6}12 {2}image node:20 \(mount\)\n/);
    assert.match(text, /\nbuild order: build, tools, final\n/);
    assert.match(text, /\nwarnings:\n {2}one or more build-args were not consumed by any ARG of the stages that build: X\n$/);
  });

  it('shows a stage built on another stage and unset global ARGs', () => {
    const text = renderText(graphOf('ARG U\nFROM a AS one\nFROM one\n'));
    assert.match(text, /\n {5}1 {2}U \(unset\)\n/);
    assert.match(text, /\nstage 1 {2}\(line 3\) {2}\[target\]\n {2}FROM one\n {2}base: {5}stage 0 "one"\n/);
  });

  it('cuts long lines', () => {
    const text = renderText(graphOf(`FROM a\nRUN ${'x'.repeat(200)}\n`));
    assert.match(text, / {7}2 {2}RUN x{67}…\n/);
  });
});

describe('renderDot', () => {
  const dot = renderDot(graphOf(MULTI));

  it('draws a cluster per stage, with steps in order', () => {
    assert.match(dot, /^digraph hull \{\n/);
    for (let i = 0; i < 4; i++) assert.match(dot, new RegExp(`subgraph cluster_${i} \\{`));
    assert.match(dot, /label="stage 3 \\"final\\" \[linux\/arm64\] \(target\)";\n {4}style=rounded;\n {4}penwidth=2;/);
    assert.match(dot, /s3_0 -> s3_1 \[arrowhead=none\];/);
  });

  it('labels dependency edges and draws external images as their own nodes', () => {
    assert.match(dot, /img0 \[label="golang:1\.22", shape=cylinder\];/);
    assert.match(dot, /img0 -> s0 \[label="FROM"\];/);
    assert.match(dot, /s0_0 -> s3_0 \[label="COPY --from", style=dashed\];/);
    assert.match(dot, /s1_0 -> s3_3 \[label="mount", style=dashed\];/);
    assert.match(dot, /img3 -> s3_3 \[label="mount", style=dashed\];/);
  });

  it('greys out pruned stages', () => {
    assert.match(dot, /label="stage 2 \\"unused\\" \(not built\)";\n {4}style="rounded,dashed";\n {4}color=gray60;/);
    assert.match(dot, /s2_0 \[label="7: RUN true", color=gray60, fontcolor=gray60\];/);
    assert.match(dot, /img1 -> s2 \[label="FROM", color=gray60, fontcolor=gray60, style=dotted\];/);
  });

  it('escapes quotes and backslashes in labels', () => {
    assert.match(dot, /s0_0 \[label="3: RUN go build -o \/out\/app \\"quoted\\" \\\\\\\\ back"\];/);
  });

  it('is accepted by Graphviz', { skip: hasDot ? false : 'Graphviz `dot` is not installed (apt-get install graphviz)' }, () => {
    dotAccepts(dot);
    dotAccepts(renderDot(graphOf('FROM scratch\n')));
    const buildkit = join(conformanceDir(), 'realworld', 'moby__buildkit__Dockerfile');
    const g = buildGraph(parseDockerfile(readFileSync(buildkit, 'utf8'), { file: 'Dockerfile' }), { platform: 'linux/arm/v7', buildPlatform: 'linux/amd64' });
    dotAccepts(renderDot(g));
  });
});

describe('renderMermaid', () => {
  const mm = renderMermaid(graphOf(MULTI));

  it('draws a flowchart with a subgraph per stage', () => {
    assert.match(mm, /^flowchart TB\n/);
    assert.match(mm, /\n {2}subgraph stage0\["stage 0 #quot;build#quot;"\]\n {4}direction TB\n {4}s0\["2: FROM golang:\$\{GO\} AS build"\]\n/);
    assert.match(mm, /\n {4}s3_0 --- s3_1\n/);
    assert.equal(mm.match(/^ {2}end$/gm)?.length, 4);
  });

  it('labels edges and draws images as cylinders', () => {
    assert.match(mm, /\n {2}img2\[\("busybox:1\.36"\)\]\n/);
    assert.match(mm, /\n {2}img0 -->\|FROM\| s0\n/);
    assert.match(mm, /\n {2}s0_0 -\.->\|COPY --from\| s3_0\n/);
    assert.match(mm, /\n {2}img3 -\.->\|mount\| s3_3\n/);
  });

  it('greys out pruned stages and marks the target', () => {
    assert.match(mm, /\n {2}class s2,s2_0 unused\n/);
    assert.match(mm, /\n {2}style stage2 fill:#f6f6f6/);
    assert.match(mm, /\n {2}style stage3 stroke-width:3px\n/);
  });

  it('escapes characters that would break a label', () => {
    const odd = renderMermaid(graphOf('FROM a AS x\nRUN echo "<a|b>#x" `y`\n'));
    assert.match(odd, /RUN echo #quot;#lt;a#124;b#gt;#35;x#quot; #96;y#96;"\]/);
    const labels = [...odd.matchAll(/\["([^"]*)"\]/g)].map((m) => m[1]!);
    assert.equal(labels.length, 3);
    for (const l of labels) assert.doesNotMatch(l, /["<>|`]/);
  });
});

describe('renderJson', () => {
  it('renders the documented shape with nulls, not missing fields', () => {
    const g = graphOf(MULTI, { buildArgs: { X: '1' } });
    const json = JSON.parse(renderJson(g));
    assert.deepEqual(json, JSON.parse(JSON.stringify(toJson(g))));
    assert.equal(json.version, 1);
    assert.equal(json.target, 3);
    assert.deepEqual(json.globalArgs, [{ name: 'GO', value: '1.22', line: 1 }]);
    assert.deepEqual(json.stages[3].deps[3], { kind: 'mount', stage: 1, image: null, step: 3, line: 12, column: 5 });
    assert.deepEqual(json.stages[0].deps[0], { kind: 'from', stage: null, image: 'golang:1.22', step: null, line: 2, column: 6 });
    assert.deepEqual(json.stages[3].base, { kind: 'scratch' });
    assert.equal(json.stages[3].platform, 'linux/arm64');
    assert.equal(json.stages[0].platform, null);
    assert.deepEqual(json.stages.map((s: { used: boolean }) => s.used), [true, true, false, true]);
    assert.deepEqual(json.stages[0].steps, [{ index: 0, line: 3, kind: 'run', text: 'RUN go build -o /out/app "quoted" \\\\ back' }]);
    assert.deepEqual(json.buildOrder, [0, 1, 3]);
    assert.deepEqual(json.externalImages[2], { ref: 'busybox:1.36', usedBy: [{ stage: 3, kind: 'copy', step: 2 }] });
    assert.deepEqual(json.warnings, [
      { message: 'one or more build-args were not consumed by any ARG of the stages that build: X', line: null, column: null },
    ]);
    assert.deepEqual(Object.keys(json.stages[0]), ['index', 'name', 'id', 'line', 'baseName', 'base', 'platform', 'used', 'target', 'steps', 'deps']);
  });

  it('is stable: the same input renders the same bytes', () => {
    assert.equal(renderJson(graphOf(MULTI)), renderJson(graphOf(MULTI)));
  });
});
