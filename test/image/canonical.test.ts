import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, ImageError } from '../../src/image/index.js';

describe('canonical JSON', () => {
  it('sorts keys at every level and writes no whitespace', () => {
    const a = canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } });
    assert.equal(a.toString(), '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  });

  it('gives the same bytes whatever order an object was built in', () => {
    const one = { architecture: 'amd64', os: 'linux', config: { Env: ['A=1'], Cmd: ['sh'] } };
    const two = { config: { Cmd: ['sh'], Env: ['A=1'] }, os: 'linux', architecture: 'amd64' };
    assert.deepEqual(canonicalJson(one), canonicalJson(two));
  });

  it('leaves out undefined members', () => {
    assert.equal(canonicalJson({ a: undefined, b: 2 }).toString(), '{"b":2}');
  });

  it('escapes strings as JSON does and keeps non-ASCII as UTF-8', () => {
    assert.equal(canonicalJson({ s: 'a"b\\c\n\u0001é' }).toString(), '{"s":"a\\"b\\\\c\\n\\u0001é"}');
    assert.equal(canonicalJson('é').length, 4);
  });

  it('sorts keys by code unit (uppercase before lowercase)', () => {
    assert.equal(canonicalJson({ b: 1, B: 2, a: 3, _: 4 }).toString(), '{"B":2,"_":4,"a":3,"b":1}');
  });

  it('refuses what JSON cannot hold exactly', () => {
    for (const bad of [[undefined], NaN, Infinity, 1n, () => 1, Symbol('x'), new Date(0), new Map()]) {
      assert.throws(() => canonicalJson({ v: bad }), ImageError);
    }
    assert.throws(() => canonicalJson([1, undefined]), /\$\[1\] is undefined/);
  });

  it('accepts null-prototype objects', () => {
    const o = Object.create(null) as Record<string, number>;
    o.z = 1;
    o.a = 2;
    assert.equal(canonicalJson(o).toString(), '{"a":2,"z":1}');
  });
});
