import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { argsAt, graphOf, graphRejects } from './helpers.js';

describe('ARG scoping', () => {
  it('expands global ARGs in FROM image and --platform', () => {
    const g = graphOf('ARG IMG=alpine\nARG TAG=3.20\nARG P=linux/arm64\nFROM --platform=$P ${IMG}:${TAG}\n');
    assert.equal(g.stages[0]!.baseName, 'alpine:3.20');
    assert.deepEqual(g.stages[0]!.base, { kind: 'image', ref: 'alpine:3.20' });
    assert.equal(g.stages[0]!.platform, 'linux/arm64');
  });

  it('expands global defaults with the globals before them', () => {
    const g = graphOf('ARG A=1\nARG B=${A}-2\nFROM img:$B\n');
    assert.equal(g.stages[0]!.baseName, 'img:1-2');
    assert.deepEqual(Object.fromEntries([...g.globalArgValues].filter(([k]) => k.length === 1)), { A: '1', B: '1-2' });
  });

  it('keeps global ARGs out of a stage unless re-declared', () => {
    const g = graphOf('ARG V=1\nARG W=2\nFROM a\nRUN one\nARG V\nRUN two\n');
    assert.deepEqual(argsAt(g, 0, 0), {});
    assert.deepEqual(argsAt(g, 0, 2), { V: '1' });
  });

  it('lets a stage default win over the global value', () => {
    const g = graphOf('ARG V=global\nFROM a\nARG V=local\nRUN x\n');
    assert.deepEqual(argsAt(g, 0, 1), { V: 'local' });
  });

  it('lets --build-arg override defaults, global and in-stage, unexpanded', () => {
    const g = graphOf('ARG IMG=alpine\nFROM $IMG\nARG A=1\nARG IMG\nRUN x\n', { buildArgs: { IMG: 'debian', A: '$NOT' } });
    assert.equal(g.stages[0]!.baseName, 'debian');
    assert.deepEqual(argsAt(g, 0, 2), { A: '$NOT', IMG: 'debian' });
  });

  it('accepts build args as a Map too', () => {
    const g = graphOf('FROM a\nARG X\nRUN x\n', { buildArgs: new Map([['X', 'y']]) });
    assert.deepEqual(argsAt(g, 0, 1), { X: 'y' });
  });

  it('leaves an ARG without default or value unset', () => {
    const g = graphOf('FROM a\nARG X\nRUN x\n');
    assert.deepEqual(argsAt(g, 0, 1), {});
  });

  it('expands an in-stage default with ARGs and ENV before it, ENV winning', () => {
    const g = graphOf('FROM a\nARG A=arg\nENV E=env A=envA\nARG B=$A-$E\nRUN x\n');
    assert.deepEqual(argsAt(g, 0, 3), { A: 'arg', B: 'envA-env' });
  });

  it('expands every pair of one ENV line with the values from before it', () => {
    const g = graphOf('FROM a\nENV A=old\nENV A=new B=$A\nARG C=$B\nRUN x\n');
    assert.deepEqual(argsAt(g, 0, 3), { C: 'old' });
  });

  it('gives a child stage the ARGs of its parent stage (BuildKit)', () => {
    const g = graphOf('FROM a AS base\nARG NAME=joe\nFROM base\nRUN echo $NAME\nFROM a\nRUN x\n');
    assert.deepEqual(argsAt(g, 1, 0), { NAME: 'joe' });
    assert.deepEqual(argsAt(g, 2, 0), {});
  });

  it('shows each step the ARGs from before it', () => {
    const g = graphOf('FROM a\nARG A=1\nARG B=2\nRUN x\n');
    assert.deepEqual(argsAt(g, 0, 0), {});
    assert.deepEqual(argsAt(g, 0, 1), { A: '1' });
    assert.deepEqual(argsAt(g, 0, 2), { A: '1', B: '2' });
  });

  it('honours the escape directive when expanding', () => {
    const g = graphOf('# escape=`\nARG V=1\nFROM img:`$V-$V\n');
    assert.equal(g.stages[0]!.baseName, 'img:$V-1');
  });

  it('does not expand inside single quotes', () => {
    const g = graphOf("FROM a\nARG Q='$HOME'\nRUN x\n");
    assert.deepEqual(argsAt(g, 0, 1), { Q: '$HOME' });
  });
});

describe('predefined ARGs', () => {
  it('provides the platform ARGs in the global scope', () => {
    const g = graphOf('FROM --platform=$BUILDPLATFORM img:$TARGETOS-$TARGETARCH$TARGETVARIANT\n', {
      platform: 'linux/arm/v7',
      buildPlatform: 'linux/amd64',
    });
    assert.equal(g.stages[0]!.baseName, 'img:linux-armv7');
    assert.equal(g.stages[0]!.platform, 'linux/amd64');
    assert.deepEqual(
      Object.fromEntries([...g.globalArgValues].filter(([k]) => /^(TARGET|BUILD)/.test(k))),
      {
        TARGETPLATFORM: 'linux/arm/v7',
        TARGETOS: 'linux',
        TARGETARCH: 'arm',
        TARGETVARIANT: 'v7',
        BUILDPLATFORM: 'linux/amd64',
        BUILDOS: 'linux',
        BUILDARCH: 'amd64',
        BUILDVARIANT: '',
      },
    );
  });

  it('lets a stage see a platform ARG after ARG NAME only', () => {
    const g = graphOf('FROM a\nRUN x\nARG TARGETARCH\nRUN y\n', { platform: 'linux/arm64' });
    assert.deepEqual(argsAt(g, 0, 0), {});
    assert.deepEqual(argsAt(g, 0, 2), { TARGETARCH: 'arm64' });
  });

  it('defaults both platforms to the host', () => {
    const g = graphOf('FROM a\n', { platform: undefined, buildPlatform: undefined });
    assert.equal(g.platform.os, process.platform === 'win32' ? 'windows' : 'linux');
    assert.deepEqual(g.platform, g.buildPlatform);
  });

  it('collects proxy build args without an ARG line and does not warn about them', () => {
    const g = graphOf('FROM a\nRUN x\n', { buildArgs: { HTTP_PROXY: 'http://p:3128', no_proxy: 'localhost' } });
    assert.deepEqual(Object.fromEntries(g.proxyArgs), { HTTP_PROXY: 'http://p:3128', no_proxy: 'localhost' });
    assert.deepEqual(g.warnings, []);
    assert.deepEqual(argsAt(g, 0, 0), {});
  });
});

describe('build-arg warnings and expansion errors', () => {
  it('warns about build args no ARG of a built stage declares', () => {
    const g = graphOf('ARG G\nFROM a AS one\nARG USED\nFROM b AS two\nARG PRUNED\n', {
      target: 'one',
      buildArgs: { G: '1', USED: '1', PRUNED: '1', TYPO: '1' },
    });
    assert.deepEqual(g.warnings, [
      { message: 'one or more build-args were not consumed by any ARG of the stages that build: PRUNED, TYPO' },
    ]);
  });

  it('warns about a FROM using an undeclared variable', () => {
    const g = graphOf('FROM alpine:${TAG:-3}\n');
    assert.deepEqual(g.warnings, [
      {
        message: 'FROM uses $TAG, but no ARG before the first FROM declares it, so it expands to an empty string',
        at: { file: 'Dockerfile', line: 1, column: 6 },
      },
    ]);
    assert.equal(g.stages[0]!.baseName, 'alpine:3');
  });

  it('does not warn for a declared global without a value', () => {
    assert.deepEqual(graphOf('ARG SUFFIX\nFROM alpine$SUFFIX\n').warnings, []);
  });

  it('rejects a FROM that expands to nothing', () => {
    graphRejects(
      'ARG IMG\nFROM $IMG\n',
      2,
      6,
      'FROM $IMG expands to an empty image name: give the ARG a default before the first FROM, or pass --build-arg',
    );
  });

  it('reports expansion errors at the word', () => {
    graphRejects('FROM img:${X\n', 1, 10, /^failed to process "img:\$\{X"/);
    graphRejects('FROM a\nARG B=${A:?needs_A}\n', 2, 7, /needs_A/);
  });

  it('rejects an invalid platform after expansion', () => {
    graphRejects('ARG P=linux//x\nFROM --platform=$P a\n', 2, 6, /^FROM --platform=linux\/\/x: invalid platform/);
  });
});
