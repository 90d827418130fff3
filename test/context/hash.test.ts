import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import xxhash from 'xxhash-wasm';
import { digestEntries, hashEntry, hashFile, hashStream, type DigestInput } from '../../src/context/hash.js';
import { MemoryStatCache, isRacy, type StatRecord } from '../../src/context/stat-cache.js';
import { statEntry } from '../../src/context/walk.js';
import { makeTree, removeTree } from '../helpers/context-tree.js';

const SECOND = 1_000_000_000n;

describe('content hashes', () => {
  let root: string;
  before(async () => {
    root = await makeTree({ empty: '', 'a.txt': 'hello', 'b.txt': 'hello' });
  });
  after(() => removeTree(root));

  it('are xxh64, deterministic, and equal for equal content', async () => {
    assert.equal(await hashFile(join(root, 'empty')), 'xxh64:ef46db3751d8e999');
    const a = await hashFile(join(root, 'a.txt'));
    assert.equal(a, await hashFile(join(root, 'b.txt')));
    assert.equal(a, await hashFile(join(root, 'a.txt')));
    assert.equal(a, `xxh64:${(await xxhash()).h64Raw(Buffer.from('hello')).toString(16).padStart(16, '0')}`);
  });

  it('streaming over many chunks equals the one-shot hash, also when hashes run concurrently', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 17);
    await writeFile(join(root, 'big.bin'), data);
    const whole = `xxh64:${(await xxhash()).h64Raw(data).toString(16).padStart(16, '0')}`;
    const chunks = Readable.from((function* () {
      for (let i = 0; i < data.length; i += 4093) yield data.subarray(i, i + 4093);
    })());
    const [file, streamed, small] = await Promise.all([hashFile(join(root, 'big.bin')), hashStream(chunks), hashFile(join(root, 'a.txt'))]);
    assert.equal(file, whole);
    assert.equal(streamed, whole);
    assert.equal(small, await hashFile(join(root, 'b.txt')));
  });
});

describe('digestEntries', () => {
  const base: DigestInput[] = [
    { path: 'a', type: 'file', mode: 0o644, hash: 'xxh64:1' },
    { path: 'dir', type: 'directory', mode: 0o755 },
    { path: 'l', type: 'symlink', mode: 0o777, linkTarget: 'a' },
  ];

  it('ignores input order and changes with any field', () => {
    const d = digestEntries(base);
    assert.match(d, /^sha256:[0-9a-f]{64}$/);
    assert.equal(digestEntries([...base].reverse()), d);
    const variants: DigestInput[][] = [
      [{ ...base[0]!, mode: 0o755 }, base[1]!, base[2]!],
      [{ ...base[0]!, hash: 'xxh64:2' }, base[1]!, base[2]!],
      [base[0]!, base[1]!, { ...base[2]!, linkTarget: 'b' }],
      [{ ...base[0]!, path: 'b' }, base[1]!, base[2]!],
      [base[0]!, { ...base[1]!, type: 'file' }, base[2]!],
      base.slice(0, 2),
    ];
    for (const v of variants) assert.notEqual(digestEntries(v), d);
  });

  it('cannot be fooled by moving text between fields', () => {
    assert.notEqual(
      digestEntries([{ path: 'a', type: 'symlink', mode: 0o777, linkTarget: 'b', hash: '' }]),
      digestEntries([{ path: 'a', type: 'symlink', mode: 0o777, linkTarget: '', hash: 'b' }]),
    );
  });
});

describe('stat cache', () => {
  let root: string;
  before(async () => {
    root = await makeTree({ 'f.txt': 'one' });
  });
  after(() => removeTree(root));

  const past = async (path: string) => {
    const t = new Date(Date.now() - 10_000);
    await utimes(path, t, t);
  };

  it('the racy rule: mtime in the same second as the record (or later) is not trusted', () => {
    const rec = (mtime: bigint, recorded: bigint): StatRecord => ({ size: 1, mtimeNs: mtime, ctimeNs: mtime, ino: 1n, hash: 'h', recordedAtNs: recorded });
    assert.equal(isRacy(rec(100n * SECOND + 5n, 100n * SECOND + 900_000_000n)), true);
    assert.equal(isRacy(rec(100n * SECOND + 999_999_999n, 101n * SECOND)), false);
    assert.equal(isRacy(rec(102n * SECOND, 101n * SECOND)), true, 'an mtime in the future is racy too');
  });

  it('a freshly written file is re-hashed (racy), an older one is served from the cache', async () => {
    const path = join(root, 'f.txt');
    await writeFile(path, 'two');
    const cache = new MemoryStatCache();
    let entry = await statEntry(root, 'f.txt');
    // the record is made in the same second as the mtime
    const sameSecond = () => (entry.mtimeNs / SECOND) * SECOND + 999_000_000n;
    assert.equal((await hashEntry(root, entry, cache, sameSecond)).cached, false);
    assert.equal((await hashEntry(root, entry, cache, sameSecond)).cached, false, 'racy: read again');

    await past(path);
    entry = await statEntry(root, 'f.txt');
    const first = await hashEntry(root, entry, cache);
    assert.equal(first.cached, false, 'mtime changed: read again');
    const second = await hashEntry(root, entry, cache);
    assert.deepEqual(second, { hash: first.hash, cached: true });
  });

  it('a same-size rewrite with the old mtime put back is caught by ctime', async () => {
    const path = join(root, 'f.txt');
    await writeFile(path, 'aaa');
    await past(path);
    const cache = new MemoryStatCache();
    const before = await hashEntry(root, await statEntry(root, 'f.txt'), cache);
    const old = await statEntry(root, 'f.txt');
    await writeFile(path, 'bbb');
    await utimes(path, new Date(Number(old.mtimeNs / 1_000_000n)), new Date(Number(old.mtimeNs / 1_000_000n)));
    const after = await hashEntry(root, await statEntry(root, 'f.txt'), cache);
    assert.equal(after.cached, false);
    assert.notEqual(after.hash, before.hash);
  });

  it('survives a round trip through its text form; damaged or foreign data gives an empty cache', async () => {
    const path = join(root, 'f.txt');
    await past(path);
    const entry = await statEntry(root, 'f.txt');
    const cache = new MemoryStatCache();
    const { hash } = await hashEntry(root, entry, cache);
    const odd = 'new\nline sp ace\t\u00e9\u{1f600}';
    cache.set(odd, { size: 2 ** 40, mtimeNs: 1n, ctimeNs: 2n, ino: 2n ** 63n, hash: 'xxh64:00', recordedAtNs: 3n });
    const text = cache.serialize();
    const restored = MemoryStatCache.parse(text);
    assert.equal(restored.size, 2);
    assert.deepEqual(restored.get(odd), cache.get(odd));
    assert.deepEqual(await hashEntry(root, entry, restored), { hash, cached: true });
    assert.equal(MemoryStatCache.parse(text.replace('2\n', '3\n')).size, 0, 'another version');
    assert.equal(MemoryStatCache.parse('{"version":1,"records":{}}').size, 0);
    assert.equal(MemoryStatCache.parse('').size, 0);
    assert.equal(MemoryStatCache.parse(text.slice(0, -3)).size, 1, 'a cut-off record is dropped');
    assert.equal(MemoryStatCache.parse(text.replace(/\0\d+ \d+/, '\0x nan')).size, 1, 'a damaged record is dropped');
  });

  it('is dirty only once a record is set, until marked saved', async () => {
    const cache = MemoryStatCache.parse(new MemoryStatCache().serialize());
    assert.equal(cache.dirty, false);
    const path = join(root, 'f.txt');
    await past(path);
    const entry = await statEntry(root, 'f.txt');
    await hashEntry(root, entry, cache);
    assert.equal(cache.dirty, true);
    cache.markSaved();
    assert.equal((await hashEntry(root, entry, cache)).cached, true);
    assert.equal(cache.dirty, false, 'a cached answer changes nothing');
  });

  it('refuses to hash what is not a regular file', async () => {
    const dir = await statEntry(root, '.');
    await assert.rejects(hashEntry(root, dir), TypeError);
  });
});
