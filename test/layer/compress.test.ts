import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { deflateRawSync, gunzipSync, inflateRawSync } from 'node:zlib';
import { LayerError } from '../../src/errors.js';
import { createCompressor, decompress, detectFormat, GZIP_BLOCK_SIZE, ParallelGzip } from '../../src/layer/index.js';
import { storedBlocks } from '../../src/layer/pgzip.js';
import { ProcessStream } from '../../src/layer/subprocess.js';
import { hasTool, run, tempDir } from './helpers.js';

/** Mixed data: random blocks (incompressible) and text (compressible), a few MiB. */
function sample(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let at = 0; at < size; at += 4096) {
    x = (x * 1103515245 + 12345) >>> 0;
    const block = x % 3 === 0 ? createHash('sha512').update(String(x)).digest() : Buffer.from(`line ${x % 1000} of a compressible layer\n`);
    for (let i = at; i < Math.min(size, at + 4096); i += block.length) block.copy(out, i, 0, Math.min(block.length, size - i));
  }
  return out;
}

async function gz(data: Buffer, options: { level?: number; concurrency?: number } = {}, chunk = 65536): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) chunks.push(data.subarray(i, i + chunk));
  return buffer(Readable.from(chunks).pipe(new ParallelGzip(options)));
}

describe('parallel gzip', () => {
  const data = sample(5 * GZIP_BLOCK_SIZE + 12345);

  it('produces one gzip member that gzip -t, pigz -t, Python and Node accept', async (t) => {
    const out = await gz(data);
    assert.deepEqual(gunzipSync(out), data);
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const file = join(dir, 'x.gz');
    writeFileSync(file, out);
    run('gzip', ['-t', file]);
    if (hasTool('pigz')) run('pigz', ['-t', file]);
    assert.deepEqual(run('gzip', ['-dc', file]), data);
    if (hasTool('python3')) {
      const py = run('python3', ['-c', 'import gzip,sys,hashlib; print(hashlib.sha256(gzip.open(sys.argv[1]).read()).hexdigest())', file]).toString().trim();
      assert.equal(py, createHash('sha256').update(data).digest('hex'));
    }
    // One member: the header appears once, and gzip -l sees the full uncompressed size.
    assert.equal(out.indexOf(Buffer.from([0x1f, 0x8b, 8]), 1), -1, 'a second gzip header');
    assert.equal(out.readUInt32LE(out.length - 4), data.length);
  });

  it('gives the same bytes whatever the concurrency or the input chunking', async () => {
    const ref = await gz(data, { concurrency: 1 });
    for (const concurrency of [2, 3, 8]) assert.deepEqual(await gz(data, { concurrency }), ref, `concurrency ${concurrency}`);
    assert.deepEqual(await gz(data, { concurrency: 4 }, 777), ref, 'odd chunks');
    assert.deepEqual(await gz(data, { concurrency: 2 }, GZIP_BLOCK_SIZE * 3), ref, 'big chunks');
  });

  it('handles empty input and exact multiples of the block size', async () => {
    for (const input of [Buffer.alloc(0), Buffer.alloc(GZIP_BLOCK_SIZE, 7), sample(2 * GZIP_BLOCK_SIZE)]) {
      const out = await gz(input, { concurrency: 2 });
      assert.deepEqual(gunzipSync(out), input);
      run('gzip', ['-t'], out);
    }
  });

  it('stores incompressible blocks instead of deflating them, in the same valid stream', async () => {
    const random = Buffer.concat(Array.from({ length: 3 * 64 }, (_, i) => createHash('sha512').update(`block ${i}`).digest()).map((d) => Buffer.concat(Array.from({ length: 256 }, (_, j) => createHash('sha512').update(d).update(String(j)).digest()))));
    const mixed = Buffer.concat([random, data, random.subarray(0, 12345)]);
    const out = await gz(mixed, { concurrency: 2 });
    assert.deepEqual(gunzipSync(out), mixed);
    run('gzip', ['-t'], out);
    // the random MiBs cost their bytes and a few of framing each, the text deflates as before
    const textOnly = await gz(data, { concurrency: 2 });
    assert.ok(out.length < random.length + 12345 + textOnly.length + 8 * 1024, `${out.length} bytes`);
    assert.deepEqual(await gz(mixed, { concurrency: 1 }, 999), out, 'same bytes with other threads and chunks');
  });

  it('writes stored blocks that zlib inflates, alone and followed by more blocks', () => {
    const random = createHash('sha512').update('x').digest();
    for (const size of [0, 1, 65535, 65536, 200_000]) {
      const data = Buffer.alloc(size);
      for (let i = 0; i < size; i += 64) random.copy(data, i);
      assert.deepEqual(inflateRawSync(storedBlocks(data, true)), data, `${size} bytes, last`);
      const tail = Buffer.from('and then some text that deflates');
      const joined = Buffer.concat([storedBlocks(data, false), deflateRawSync(tail)]);
      assert.deepEqual(inflateRawSync(joined), Buffer.concat([data, tail]), `${size} bytes, then a deflated block`);
    }
  });

  it('honours the level (1 is bigger than 9, both valid) and rejects bad ones', async () => {
    const fast = await gz(data, { level: 1 });
    const best = await gz(data, { level: 9 });
    assert.ok(fast.length > best.length);
    assert.deepEqual(gunzipSync(fast), data);
    assert.deepEqual(gunzipSync(best), data);
    assert.throws(() => new ParallelGzip({ level: 0 }), RangeError);
  });
});

describe('zstd', { skip: !hasTool('zstd') && 'zstd not installed' }, () => {
  const data = sample(3 * 1024 * 1024, 7);

  it('round-trips through the zstd binary, deterministically', async () => {
    const one = await buffer(Readable.from([data]).pipe(createCompressor({ compression: 'zstd' })));
    const two = await buffer(Readable.from([data.subarray(0, 1000), data.subarray(1000)]).pipe(createCompressor({ compression: 'zstd' })));
    assert.deepEqual(one, two);
    assert.equal(detectFormat(one), 'zstd');
    assert.deepEqual(run('zstd', ['-dc'], one), data);
    const { format, stream } = await decompress(Readable.from([one]));
    assert.equal(format, 'zstd');
    assert.deepEqual(await buffer(stream), data);
  });

  it('reports a corrupt zstd stream as a LayerError with its message', async () => {
    const { stream } = await decompress(Readable.from([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3, 4, 5])]));
    await assert.rejects(buffer(stream), (e: unknown) => e instanceof LayerError && /zstd failed/.test(e.message));
  });
});

describe('decompression', () => {
  it('detects gzip, zstd and plain tar by magic bytes', async () => {
    const data = sample(100_000);
    const gzipped = await gz(data);
    for (const [input, format] of [[gzipped, 'gzip'], [data, 'tar']] as const) {
      const r = await decompress(Readable.from([input.subarray(0, 1), input.subarray(1, 3), input.subarray(3)]));
      assert.equal(r.format, format);
      assert.deepEqual(await buffer(r.stream), data);
    }
  });

  it('refuses xz and bzip2 by name', () => {
    assert.throws(() => detectFormat(Buffer.from('\xfd7zXZ\0', 'latin1')), /xz/);
    assert.throws(() => detectFormat(Buffer.from('BZh91AY', 'latin1')), /bzip2/);
  });

  it('says which package to install when a tool is missing', async () => {
    const s = new ProcessStream('hull-no-such-tool', [], 'hull-pkg');
    await assert.rejects(pipeline(Readable.from([Buffer.from('x')]), s, async function* (src) {
      for await (const _ of src) yield _;
    }), (e: unknown) => e instanceof LayerError && /hull-no-such-tool not found: install the Debian package 'hull-pkg'/.test(e.message));
  });

  it('passes "none" through untouched', async () => {
    const data = randomBytes(10_000);
    assert.deepEqual(await buffer(Readable.from([data]).pipe(createCompressor({ compression: 'none' }))), data);
  });
});
