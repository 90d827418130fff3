import assert from 'node:assert/strict';
import { createCipheriv, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { isIncompressible, MIN_JUDGED } from '../../src/layer/incompressible.js';

function random(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

const text = (size: number): Buffer => Buffer.from('the quick brown fox jumps over the lazy dog 0123456789\n'.repeat(Math.ceil(size / 55))).subarray(0, size);

describe('isIncompressible', () => {
  it('says yes to random bytes and to deflate output, as deflate itself would', () => {
    for (const size of [MIN_JUDGED, 10_000, 1 << 20]) {
      const data = random(`r${size}`, size);
      assert.equal(isIncompressible(data), true, `${size} random bytes`);
      // the judgement agrees with deflate: nothing to gain
      assert.ok(deflateRawSync(data, { level: 6 }).length >= data.length);
    }
    const gz = gzipSync(Buffer.concat([text(300_000), random('mixed', 300_000)]));
    assert.equal(isIncompressible(gz.subarray(gz.length >> 1)), true);
  });

  it('says no to text, zeros, machine code, short pieces and pieces compressible anywhere it samples', () => {
    assert.equal(isIncompressible(text(1 << 20)), false);
    assert.equal(isIncompressible(Buffer.alloc(1 << 20)), false);
    assert.equal(isIncompressible(readFileSync(process.execPath).subarray(0, 1 << 20)), false, 'the node binary');
    assert.equal(isIncompressible(random('short', MIN_JUDGED - 1)), false);
    const size = 1 << 20;
    for (const at of [0, size / 2, size - 4096]) {
      const data = random('holes', size);
      text(4096).copy(data, at);
      assert.equal(isIncompressible(data), false, `text at ${at}`);
    }
  });

  it('depends on the bytes alone', () => {
    const data = random('same', 300_000);
    assert.equal(isIncompressible(data), isIncompressible(Buffer.from(data)));
    assert.equal(isIncompressible(new Uint8Array(data)), true);
  });
});
