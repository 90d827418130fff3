import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { parseCompression } from '../../src/cli/compression.js';

describe('--compression and --compression-level', () => {
  it('default to gzip at the writer’s own level', () => {
    assert.deepEqual(parseCompression({}), { compression: 'gzip' });
    assert.deepEqual(parseCompression({ compression: 'zstd' }), { compression: 'zstd' });
  });

  it('take the levels each compressor has', () => {
    assert.deepEqual(parseCompression({ compression: 'gzip', 'compression-level': '6' }), { compression: 'gzip', level: 6 });
    assert.deepEqual(parseCompression({ compression: 'zstd', 'compression-level': '19' }), { compression: 'zstd', level: 19 });
  });

  it('refuse what the compressor would refuse, saying what it takes', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ compression: 'xz' }, /--compression xz: choose gzip, zstd or none/],
      [{ compression: 'gzip', 'compression-level': '0' }, /gzip takes 1–9/],
      [{ compression: 'gzip', 'compression-level': '10' }, /gzip takes 1–9/],
      [{ compression: 'gzip', 'compression-level': '1.5' }, /gzip takes 1–9/],
      [{ compression: 'zstd', 'compression-level': '20' }, /zstd takes 1–19/],
      [{ compression: 'none', 'compression-level': '1' }, /none has no levels/],
    ];
    for (const [values, message] of cases) assert.throws(() => parseCompression(values), (err: unknown) => err instanceof UsageError && message.test(err.message), JSON.stringify(values));
  });
});
