import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import { portableCrc32 } from '../../src/layer/crc32.js';

describe('portableCrc32 (for Node 20 before 20.15, which lacks zlib.crc32)', () => {
  it('matches the CRC-32 of a gzip trailer, also when fed in pieces', () => {
    const data = randomBytes(100_000);
    const gz = zlib.gzipSync(data);
    const trailer = gz.readUInt32LE(gz.length - 8);
    assert.equal(portableCrc32(data), trailer);
    assert.equal(portableCrc32(data.subarray(40_000), portableCrc32(data.subarray(0, 40_000))), trailer);
    assert.equal(portableCrc32(Buffer.from('123456789')), 0xcbf43926);
  });
});
