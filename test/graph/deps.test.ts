import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { graphOf, graphRejects } from './helpers.js';

const MULTI = [
  'FROM golang:1.22 AS build', // stage 0
  'RUN go build -o /out/app',
  'FROM alpine AS tools', // stage 1
  'RUN apk add curl',
  'FROM alpine AS unused', // stage 2
  'RUN true',
  'FROM scratch AS final', // stage 3
  'COPY --from=build /out/app /app',
  'COPY --from=1 /usr/bin/curl /curl',
  'COPY --from=busybox:1.36 /bin/busybox /bin/',
  'RUN --mount=type=bind,from=tools,target=/t --mount=type=cache,target=/c,from=node:20 true',
].join('\n');

describe('dependencies', () => {
  it('records COPY --from by name, by index and of images, and mount sources', () => {
    const g = graphOf(MULTI);
    const final = g.stages[3]!;
    assert.deepEqual(
      final.deps.map((d) => [d.kind, d.stage ?? d.image, d.step, d.at.line, d.at.column]),
      [
        ['copy', 0, 0, 8, 6],
        ['copy', 1, 1, 9, 6],
        ['copy', 'busybox:1.36', 2, 10, 6],
        ['mount', 1, 3, 11, 5],
        ['mount', 'node:20', 3, 11, 44],
      ],
    );
  });

  it('lists external images with who uses them', () => {
    const g = graphOf(MULTI);
    assert.deepEqual(g.externalImages, [
      { ref: 'golang:1.22', usedBy: [{ stage: 0, kind: 'from' }] },
      { ref: 'alpine', usedBy: [{ stage: 1, kind: 'from' }, { stage: 2, kind: 'from' }] },
      { ref: 'busybox:1.36', usedBy: [{ stage: 3, kind: 'copy', step: 2 }] },
      { ref: 'node:20', usedBy: [{ stage: 3, kind: 'mount', step: 3 }] },
    ]);
  });

  it('defaults the target to the last stage and prunes what it does not need', () => {
    const g = graphOf(MULTI);
    assert.equal(g.target, 3);
    assert.deepEqual(g.stages.map((s) => [s.used, s.isTarget]), [
      [true, false],
      [true, false],
      [false, false],
      [true, true],
    ]);
    assert.deepEqual(g.buildOrder, [0, 1, 3]);
  });

  it('builds only what --target needs, in dependency order', () => {
    const g = graphOf('FROM a AS x\nFROM x AS y\nCOPY --from=z / /\nFROM a AS z\nFROM a AS last\n', { target: 'Y' });
    assert.equal(g.target, 1);
    assert.deepEqual(g.stages.map((s) => s.used), [true, true, true, false]);
    assert.deepEqual(g.buildOrder, [0, 2, 1]);
  });

  it('rejects an unknown --target, listing the stage names', () => {
    graphRejects('FROM a AS build\nFROM b\nFROM c AS final\n', 1, 1, 'target stage "prod" could not be found: the named stages are build, final', {
      target: 'prod',
    });
    graphRejects('FROM a\n', 1, 1, 'target stage "x" could not be found: no stage has a name (use FROM <image> AS <name>)', { target: 'x' });
  });

  it('expands COPY --from and mount from= with the stage scope', () => {
    const g = graphOf('ARG V=1\nFROM a AS src-1\nFROM b\nARG V\nARG W=src\nCOPY --from=${W}-${V} / /\nRUN --mount=from=$W-$V true\n');
    assert.deepEqual(g.stages[1]!.deps.slice(1).map((d) => [d.kind, d.stage]), [
      ['copy', 0],
      ['mount', 0],
    ]);
  });

  it('takes ENV over ARG when expanding --from', () => {
    const g = graphOf('FROM a AS one\nFROM a AS two\nFROM b\nARG S=one\nENV S=two\nCOPY --from=$S / /\n');
    assert.equal(g.stages[2]!.deps[1]!.stage, 1);
  });

  it('allows COPY --from a later stage, as BuildKit does', () => {
    const g = graphOf('FROM a\nCOPY --from=later / /\nFROM b AS later\n', { target: undefined });
    assert.deepEqual(g.stages[0]!.deps[1]!.stage, 1);
    assert.deepEqual(graphOf('FROM a\nCOPY --from=1 / /\nFROM b AS later\n', { target: '' }).buildOrder, [1]);
  });

  it('rejects COPY --from an index out of range', () => {
    graphRejects('FROM a\nFROM b\nCOPY --from=5 / /\n', 3, 6, 'COPY --from=5 refers to stage 5, but the Dockerfile has only 2 stages (0 to 1)');
    graphRejects('FROM a\nRUN --mount=from=3 x\n', 2, 5, 'RUN --mount from=3 refers to stage 3, but the Dockerfile has only 1 stage (0 to 0)');
  });

  it('rejects a stage using its own files', () => {
    graphRejects('FROM a AS me\nCOPY --from=me / /\n', 2, 6, 'COPY --from=me names the stage it is in: a stage cannot use its own files');
    graphRejects('FROM a\nFROM b\nCOPY --from=1 / /\n', 3, 6, 'COPY --from=1 refers to the stage it is in: a stage cannot use its own files');
    graphRejects('FROM a AS me\nRUN --mount=from=ME,target=/x true\n', 2, 5, 'RUN --mount from=ME names the stage it is in: a stage cannot use its own files');
  });

  it('rejects a --from that expands to nothing', () => {
    graphRejects('FROM a\nCOPY --from=$NOPE / /\n', 2, 6, 'COPY --from=$NOPE expands to an empty name: name a stage, a stage index or an image');
  });

  it('rejects cycles through COPY --from and mounts', () => {
    graphRejects(
      'FROM a AS one\nCOPY --from=two / /\nFROM b AS two\nCOPY --from=one / /\n',
      2,
      6,
      'circular dependency between stages: one → two → one',
    );
    graphRejects(
      'FROM a AS x\nRUN --mount=from=z true\nFROM x AS y\nFROM a AS z\nCOPY --from=y / /\n',
      2,
      5,
      'circular dependency between stages: x → z → y → x',
    );
  });

  it('does not treat ONBUILD triggers as dependencies', () => {
    const g = graphOf('FROM a AS one\nONBUILD COPY --from=nowhere / /\n');
    assert.equal(g.stages[0]!.deps.length, 1);
  });
});
