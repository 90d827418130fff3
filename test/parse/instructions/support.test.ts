import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { didYouMean, editDistance, formatGoDuration, parseGoDuration, suggest } from '../../../src/parse/instructions/index.js';

describe('parseGoDuration', () => {
  it('reads Go durations in nanoseconds', () => {
    const cases: [string, number][] = [
      ['0', 0],
      ['30s', 30e9],
      ['1m30s', 90e9],
      ['1.5h', 5400e9],
      ['100ms', 100e6],
      ['2us', 2000],
      ['2µs', 2000],
      ['2μs', 2000],
      ['7ns', 7],
      ['.5s', 5e8],
      ['1.s', 1e9],
      ['-1s', -1e9],
      ['+2m', 120e9],
      ['1h2m3s4ms5us6ns', 3723004005006],
    ];
    for (const [text, ns] of cases) assert.equal(parseGoDuration(text), ns, text);
  });

  it('rejects what Go rejects', () => {
    for (const text of ['', '5', '1d', 's', '.s', '1.2.3s', '-', '1s ', ' 1s', '10000000h']) {
      assert.equal(parseGoDuration(text), undefined, text);
    }
  });

  it('formats like Go', () => {
    assert.equal(formatGoDuration(90e9), '1m30s');
    assert.equal(formatGoDuration(5400e9), '1h30m0s');
    assert.equal(formatGoDuration(500_000), '500µs');
    assert.equal(formatGoDuration(1_500_000), '1.5ms');
    assert.equal(formatGoDuration(0), '0s');
    assert.equal(formatGoDuration(-5e9), '-5s');
  });
});

describe('suggest', () => {
  it('counts a transposition as one edit', () => {
    assert.equal(editDistance('ENTRYPIONT', 'ENTRYPOINT'), 1);
    assert.equal(editDistance('abc', 'abc'), 0);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });

  it('suggests only close candidates', () => {
    assert.equal(suggest('RUNN', ['RUN', 'ARG']), 'RUN');
    assert.equal(suggest('xyz', ['RUN', 'ARG']), undefined);
    assert.equal(suggest('', ['RUN']), undefined);
    assert.equal(didYouMean('form', ['from'], (s) => `--${s}`), ' (did you mean --from?)');
    assert.equal(didYouMean('zzzz', ['from']), '');
  });
});
