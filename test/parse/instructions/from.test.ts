import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oneOf, rejects } from './helpers.js';

describe('FROM', () => {
  it('reads a bare image', () => {
    const from = oneOf('FROM alpine:3.20', 'from');
    assert.equal(from.image.value, 'alpine:3.20');
    assert.equal(from.stageName, undefined);
    assert.equal(from.platform, undefined);
    assert.deepEqual(from.image.range.start, { line: 1, column: 6 });
  });

  it('reads AS name, lower-casing it but keeping the word as written', () => {
    const from = oneOf('FROM golang:1.22 as Builder', 'from');
    assert.equal(from.stageName, 'builder');
    assert.equal(from.stageNameWord?.value, 'Builder');
    assert.equal(from.asWord?.value, 'as');
  });

  it('reads --platform unexpanded', () => {
    const from = oneOf('FROM --platform=$BUILDPLATFORM golang AS build', 'from');
    assert.equal(from.platform?.value, '$BUILDPLATFORM');
    assert.deepEqual(from.platform?.range.start, { line: 1, column: 6 });
  });

  it('accepts names with digits, dots, dashes and underscores', () => {
    assert.equal(oneOf('FROM a AS b1-2_3.4', 'from').stageName, 'b1-2_3.4');
  });

  it('rejects a missing image', () => {
    rejects('FROM', 1, 1, 'FROM needs an image or a stage to start from: FROM <image> [AS <name>]');
  });

  it('rejects two words without AS', () => {
    rejects('FROM a b', 1, 8, 'FROM takes one image, optionally followed by AS <name>, but found "b" after the image');
  });

  it('rejects AS without a name, pointing after AS', () => {
    rejects('FROM a AS', 1, 10, 'FROM a AS needs a stage name after AS');
  });

  it('rejects extra words after the name', () => {
    rejects('FROM a AS b c d', 1, 13, 'FROM has extra words after the stage name "b": c d');
  });

  it('rejects a stage name starting with a digit', () => {
    rejects(
      'FROM a AS 1st',
      1,
      11,
      'invalid stage name "1st": a stage name starts with a letter and contains only letters, digits, "-", "_" and "."',
    );
  });

  it('rejects a stage name with symbols', () => {
    rejects('FROM a AS b$c', 1, 11, /^invalid stage name "b\$c"/);
    rejects('FROM a AS b/c', 1, 11, /^invalid stage name "b\/c"/);
  });

  it('rejects flags other than --platform', () => {
    rejects('FROM --plat=x a', 1, 6, 'unknown flag --plat for FROM; FROM accepts --platform');
    rejects('FROM --platfrom=x a', 1, 6, 'unknown flag --platfrom for FROM (did you mean --platform?); FROM accepts --platform');
  });

  it('rejects --platform without a value and given twice', () => {
    rejects('FROM --platform a', 1, 6, '--platform needs a value: --platform=<value>');
    rejects('FROM --platform=a --platform=b c', 1, 19, '--platform is given more than once; FROM takes it once');
  });
});
