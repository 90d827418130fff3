import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyChmod } from '../../../src/build/copy/index.js';
import { parseChmod } from '../../../src/parse/instructions/chmod.js';

function apply(text: string, mode: number, isDirectory = false): number {
  const spec = parseChmod(text);
  assert.ok(spec, `${text} parses`);
  return applyChmod(spec, mode, isDirectory);
}

describe('applyChmod', () => {
  it('sets an octal mode as it is, all twelve bits', () => {
    assert.equal(apply('0644', 0o4777), 0o644);
    assert.equal(apply('07421', 0), 0o7421);
    assert.equal(apply('755', 0o600, true), 0o755);
  });

  // BuildKit's mode package's own table (tonistiigi/dchapes-mode), the cases with umask 0
  const table: Array<[string, number, number, boolean?]> = [
    ['=', 0o777, 0o000],
    ['+', 0o421, 0o421],
    ['-', 0o777, 0o777],
    ['+t', 0o421, 0o1421],
    ['-t', 0o1421, 0o421],
    ['u+r', 0, 0o400],
    ['u+X', 0, 0],
    ['u+X', 0o001, 0o101],
    ['u+X', 0, 0o100, true],
    ['u+s', 0, 0o4000],
    ['g+X', 0o100, 0o110],
    ['g+s', 0, 0o2000],
    ['o+s', 0, 0],
    ['+r', 0, 0o444],
    ['+x', 0, 0o111],
    ['+X', 0o010, 0o111],
    ['+X', 0, 0o111, true],
    ['+s', 0, 0o6000],
    ['-w', 0o777, 0o555],
    ['-X', 0o777, 0o777],
    ['-s', 0o6777, 0o777],
    ['u-s', 0o4777, 0o777],
    ['u=rw', 0o777, 0o677],
    ['u=', 0o777, 0o077],
    ['=rw', 0o777, 0o666],
    ['u=g', 0o742, 0o442],
    ['u=g-w', 0o772, 0o572],
    ['u+go', 0o021, 0o321],
    ['a=r,ug=rw,u+x', 0o777, 0o764],
    ['o+r,g+w,a+t,g-s,u+og', 0o2100, 0o1724],
    ['o+r,g+w,a+t,g-s,u+og', 0o6000, 0o5624, true],
    ['go-w', 0o777, 0o755],
    ['=rw,+X', 0o766, 0o777],
    ['=rw,+X', 0o666, 0o666],
    ['u=rwx,go=rx', 0, 0o755],
    ['u=rwx,go=u-w', 0, 0o755],
    ['go=', 0o777, 0o700],
    ['go=u-w', 0o370, 0o311],
    ['u=rwx,g=rx,o=', 0o644, 0o750],
  ];
  for (const [text, from, to, dir] of table) {
    it(`${text} turns ${from.toString(8)} into ${to.toString(8)}${dir ? ' (directory)' : ''}`, () => {
      assert.equal(apply(text, from, dir ?? false).toString(8), to.toString(8));
    });
  }

  it('judges X on the mode before the change, as BSD getmode', () => {
    // the x added by the first clause does not make +X apply
    assert.equal(apply('u+x,+X', 0o644), 0o744);
    assert.equal(apply('a-x,+X', 0o755), 0o755);
  });
});
