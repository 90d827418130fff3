import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oneOf, rejects } from './helpers.js';

describe('ENV', () => {
  it('reads several key=value pairs, values unexpanded', () => {
    const env = oneOf('ENV A=1 B="two words" C=$A', 'env');
    assert.deepEqual(env.pairs.map((p) => [p.key.value, p.value.value]), [
      ['A', '1'],
      ['B', '"two words"'],
      ['C', '$A'],
    ]);
    assert.deepEqual(env.pairs[1]!.value.range.start, { line: 1, column: 11 });
  });

  it('reads the old "ENV key value" form as one pair', () => {
    const env = oneOf('ENV PATH /usr/local/bin:$PATH', 'env');
    assert.deepEqual(env.pairs.map((p) => [p.key.value, p.value.value]), [['PATH', '/usr/local/bin:$PATH']]);
  });

  it('rejects ENV without a value (the parser already says so)', () => {
    rejects('ENV a', 1, 5, 'ENV a has no value: write ENV a=VALUE (or ENV a VALUE)');
  });

  it('rejects ENV with nothing at all', () => {
    rejects('ENV', 1, 1, 'ENV requires at least one argument: ENV <name>=<value>');
  });

  it('rejects a blank name', () => {
    rejects('ENV =x', 1, 5, 'ENV names can not be blank: write ENV <name>=<value>');
  });

  it('rejects flags', () => {
    rejects('ENV --x=1 A=1', 1, 5, 'ENV takes no flags, but --x was given');
  });
});

describe('LABEL', () => {
  it('reads pairs in both forms', () => {
    const label = oneOf('LABEL org.opencontainers.image.title="hull" version=1', 'label');
    assert.deepEqual(label.pairs.map((p) => [p.key.value, p.value.value]), [
      ['org.opencontainers.image.title', '"hull"'],
      ['version', '1'],
    ]);
    assert.deepEqual(oneOf('LABEL maintainer someone', 'label').pairs.map((p) => p.value.value), ['someone']);
  });

  it('rejects LABEL without arguments', () => {
    rejects('LABEL', 1, 1, 'LABEL requires at least one argument: LABEL <name>=<value>');
  });
});

describe('ARG', () => {
  it('reads names with and without defaults, several per line', () => {
    const arg = oneOf('ARG A B=2 C="x y" D=', 'arg');
    assert.deepEqual(
      arg.args.map((a) => [a.name, a.default]),
      [
        ['A', undefined],
        ['B', '2'],
        ['C', '"x y"'],
        ['D', ''],
      ],
    );
    assert.deepEqual(arg.args[2]!.word.range.start, { line: 1, column: 11 });
  });

  it('splits at the first = only', () => {
    assert.equal(oneOf('ARG URL=a=b', 'arg').args[0]!.default, 'a=b');
  });

  it('rejects ARG without a name', () => {
    rejects('ARG', 1, 1, 'ARG requires at least one argument: ARG <name>[=<default>]');
    rejects('ARG A =1', 1, 7, 'ARG names can not be blank: write ARG <name>[=<default>]');
  });
});
