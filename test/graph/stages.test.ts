import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParseError } from '../../src/errors.js';
import { graphOf, graphRejects } from './helpers.js';

describe('stages', () => {
  it('splits the file at each FROM, numbering and naming stages', () => {
    const g = graphOf('ARG V=1\nFROM alpine AS base\nRUN a\nRUN b\nFROM base\nCOPY x y\nFROM scratch AS Out\n');
    assert.deepEqual(
      g.stages.map((s) => [s.index, s.name, s.id, s.steps.length]),
      [
        [0, 'base', 'base', 2],
        [1, undefined, 'stage-1', 1],
        [2, 'out', 'out', 0],
      ],
    );
    assert.deepEqual(g.stages[0]!.steps.map((s) => s.line), [3, 4]);
    assert.equal(g.globalArgs.length, 1);
  });

  it('resolves FROM to scratch, an image or an earlier stage', () => {
    const g = graphOf('FROM scratch\nFROM alpine:3 AS a\nFROM a\nFROM 1\n');
    assert.deepEqual(g.stages.map((s) => s.base), [
      { kind: 'scratch' },
      { kind: 'image', ref: 'alpine:3' },
      { kind: 'stage', stage: 1 },
      { kind: 'stage', stage: 1 },
    ]);
    assert.deepEqual(g.stages[0]!.deps, []);
    assert.deepEqual(g.stages[2]!.deps.map((d) => [d.kind, d.stage]), [['from', 1]]);
  });

  it('matches stage names without regard to case', () => {
    const g = graphOf('FROM alpine AS Builder\nFROM BUILDER\n');
    assert.deepEqual(g.stages[1]!.base, { kind: 'stage', stage: 0 });
  });

  it('takes FROM x AS x as the image x, not itself', () => {
    const g = graphOf('FROM node AS node\nRUN true\n');
    assert.deepEqual(g.stages[0]!.base, { kind: 'image', ref: 'node' });
  });

  it('takes a FROM naming a later stage as an image, with a warning', () => {
    const g = graphOf('FROM later\nFROM alpine AS later\n');
    assert.deepEqual(g.stages[0]!.base, { kind: 'image', ref: 'later' });
    assert.deepEqual(g.warnings, [
      {
        message: 'FROM later uses the image "later", not the stage of that name defined later (stage 1 "later" at line 2): a stage can only build on an earlier stage',
        at: { file: 'Dockerfile', line: 1, column: 6 },
      },
    ]);
  });

  it('rejects FROM by the index of this or a later stage', () => {
    graphRejects('FROM alpine\nFROM 1\n', 2, 6, 'FROM 1 refers to stage 1, which is not before this one (stage 1): a stage can only build on an earlier stage');
    graphRejects('FROM 2\nFROM a\nFROM b\n', 1, 6, /^FROM 2 refers to stage 2/);
  });

  it('rejects instructions before the first FROM other than ARG', () => {
    graphRejects('ARG A\nRUN echo\nFROM alpine\n', 2, 1, 'RUN cannot come before the first FROM: only ARG instructions may precede FROM');
    graphRejects('# c\nenv A=1\nFROM alpine\n', 2, 1, 'ENV cannot come before the first FROM: only ARG instructions may precede FROM');
  });

  it('rejects a Dockerfile with no FROM', () => {
    graphRejects('ARG A=1\nARG B\n', 1, 1, 'the Dockerfile has no FROM instruction, so there is no stage to build: start a stage with FROM <image>');
  });

  it('rejects duplicate stage names at the second one', () => {
    graphRejects(
      'FROM a AS build\nFROM b AS Build\n',
      2,
      11,
      'duplicate stage name "Build": the stage at line 1 already uses it; stage names must be unique',
    );
  });

  it('rejects "scratch" as a stage name', () => {
    graphRejects('FROM alpine AS scratch\n', 1, 16, '"scratch" cannot be a stage name: it is reserved for the empty base image; pick another name');
  });

  it('passes instruction errors through as ParseErrors', () => {
    assert.throws(() => graphOf('FROM a\nRUNN x\n'), (e: unknown) => e instanceof ParseError && e.line === 2);
  });

  it('warns about stage names not in lower case and AS casing', () => {
    const g = graphOf('FROM alpine as Build\n');
    assert.deepEqual(g.warnings.map((w) => [w.message, w.at?.line, w.at?.column]), [
      ['stage name "Build" should be lower case: stage names are matched as "build"', 1, 16],
      ['"as" and "FROM" keywords\' casing do not match: write both in the same case', 1, 13],
    ]);
    assert.deepEqual(graphOf('from alpine as build\nFROM x AS y\n').warnings, []);
  });

  it('copies the parser warnings with positions', () => {
    const g = graphOf('FROM alpine\nRUN a \\\n\n  b\n');
    assert.equal(g.warnings.length, 1);
    assert.ok(g.warnings[0]!.at);
  });
});
