import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LayerError } from '../../src/errors.js';
import { encodeHeader, readTar, type TarHeader } from '../../src/layer/index.js';
import { decodePaxRecords, encodePaxRecords } from '../../src/layer/tar/pax.js';
import { endOfArchive, padding } from '../../src/layer/tar/header.js';
import { listWithTarStream, run } from './helpers.js';

function header(over: Partial<TarHeader>): TarHeader {
  return { name: 'f', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1_700_000_000, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map(), ...over };
}

function archive(entries: Array<[TarHeader, Buffer?]>): Buffer {
  const parts: Buffer[] = [];
  for (const [h, data] of entries) {
    parts.push(encodeHeader({ ...h, size: data?.length ?? 0 }));
    if (data) parts.push(data, padding(data.length));
  }
  parts.push(endOfArchive());
  return Buffer.concat(parts);
}

async function readAll(data: Buffer | Buffer[]): Promise<Array<{ header: TarHeader; body: Buffer }>> {
  const out = [];
  for await (const e of readTar(Array.isArray(data) ? data : [data])) {
    const chunks: Buffer[] = [];
    for await (const c of e.body) chunks.push(c);
    out.push({ header: e.header, body: Buffer.concat(chunks) });
  }
  return out;
}

describe('tar headers', () => {
  it('round-trips names, links, numbers, devices and binary xattrs', async () => {
    const cap = Buffer.from('0100000200200000ff00000000000000000000ff', 'hex');
    const long = `${'d'.repeat(120)}/${'e'.repeat(120)}/${'f'.repeat(120)}`;
    const entries: Array<[TarHeader, Buffer?]> = [
      [header({ name: 'dir/', type: 'directory', mode: 0o1755 })],
      [header({ name: 'dir/file', mode: 0o4755, uid: 1000, gid: 1001, xattrs: new Map([['security.capability', cap], ['user.é', Buffer.from('x=y\n')]]) }), Buffer.from('hello')],
      [header({ name: long }), Buffer.from('long')],
      [header({ name: 'ünïcödé' }), Buffer.from('u')],
      [header({ name: 'sym', type: 'symlink', linkname: `/${'t'.repeat(150)}` })],
      [header({ name: 'hard', type: 'link', linkname: 'dir/file' })],
      [header({ name: 'null', type: 'char', mode: 0o666, devmajor: 1, devminor: 3 })],
      [header({ name: 'big-ids', uid: 5_000_000, gid: 4_294_967_294, mtime: 2 ** 34 })],
      [header({ name: 'fifo', type: 'fifo' })],
    ];
    const got = await readAll(archive(entries));
    assert.equal(got.length, entries.length);
    for (let i = 0; i < entries.length; i++) {
      const [want, data] = entries[i]!;
      const { header: h, body } = got[i]!;
      assert.deepEqual({ ...h, xattrs: [...h.xattrs] }, { ...want, size: data?.length ?? 0, xattrs: [...want.xattrs] }, want.name);
      assert.deepEqual(body, data ?? Buffer.alloc(0));
    }
  });

  it('is read the same by GNU tar and tar-stream (independent readers)', async () => {
    const data = archive([
      [header({ name: 'a/', type: 'directory', mode: 0o755 })],
      [header({ name: 'a/b', uid: 7, gid: 8 }), Buffer.from('bee')],
      [header({ name: `${'x'.repeat(200)}`, mode: 0o600 }), Buffer.from('x')],
      [header({ name: 'l', type: 'symlink', linkname: 'a/b' })],
    ]);
    const listing = run('tar', ['--numeric-owner', '-tvf', '-'], data).toString();
    assert.match(listing, /^drwxr-xr-x 0\/0 +0 .* a\/$/m);
    assert.match(listing, /^-rw-r--r-- 7\/8 +3 .* a\/b$/m);
    assert.match(listing, new RegExp(`^-rw------- 0/0 +1 .* ${'x'.repeat(200)}$`, 'm'));
    assert.match(listing, /^lrw-r--r-- 0\/0 +0 .* l -> a\/b$/m);
    const rows = await listWithTarStream(data);
    assert.deepEqual(rows.map((r) => [r.name, r.type, r.size, r.uname]), [
      ['a/', 'directory', 0, ''],
      ['a/b', 'file', 3, ''],
      ['x'.repeat(200), 'file', 1, ''],
      ['l', 'symlink', 0, ''],
    ]);
  });

  it('encodes PAX records deterministically, with the self-inclusive length', () => {
    const a = encodePaxRecords(new Map([['path', Buffer.from('b'.repeat(91))], ['SCHILY.xattr.user.a', Buffer.from([0, 255, 10])]]));
    const b = encodePaxRecords(new Map([['SCHILY.xattr.user.a', Buffer.from([0, 255, 10])], ['path', Buffer.from('b'.repeat(91))]]));
    assert.deepEqual(a, b);
    // 98 bytes after the length: 2 digits would make 100, which has 3, so the record is 101 long.
    assert.ok(a.includes(Buffer.from(`101 path=${'b'.repeat(91)}\n`)));
    const back = decodePaxRecords(a, 'x');
    assert.deepEqual(back.get('SCHILY.xattr.user.a'), Buffer.from([0, 255, 10]));
  });

  it('delivers bodies across arbitrary chunk boundaries', async () => {
    const data = archive([[header({ name: 'a' }), Buffer.alloc(1000, 1)], [header({ name: 'b' }), Buffer.alloc(513, 2)]]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < data.length; i += 7) chunks.push(data.subarray(i, i + 7));
    const got = await readAll(chunks);
    assert.deepEqual(got.map((e) => [e.header.name, e.body.length, e.body[0]]), [['a', 1000, 1], ['b', 513, 2]]);
  });

  it('skips bodies the consumer does not read', async () => {
    const data = archive([[header({ name: 'a' }), Buffer.alloc(5000, 1)], [header({ name: 'b' }), Buffer.from('bb')]]);
    const names = [];
    for await (const e of readTar([data])) names.push(e.header.name);
    assert.deepEqual(names, ['a', 'b']);
  });

  it('rejects corrupt headers, truncation, sparse files and oversized extended headers', async () => {
    const good = archive([[header({ name: 'a' }), Buffer.from('abc')]]);
    const corrupt = Buffer.from(good);
    corrupt[10] = 0x41;
    await assert.rejects(readAll(corrupt), (e: unknown) => e instanceof LayerError && /checksum/.test(e.message));
    await assert.rejects(readAll(good.subarray(0, 600)), (e: unknown) => e instanceof LayerError && /unexpected end of archive/.test(e.message));
    await assert.rejects(readAll(good.subarray(0, 300)), (e: unknown) => e instanceof LayerError && /unexpected end of archive in a header/.test(e.message));
    const sparse = Buffer.from(good);
    sparse[156] = 'S'.charCodeAt(0);
    let sum = 0;
    sparse.fill(0x20, 148, 156);
    for (const b of sparse.subarray(0, 512)) sum += b;
    sparse.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    await assert.rejects(readAll(sparse), /sparse/);
    const hugePax = Buffer.from(encodeHeader(header({ name: 'x' })));
    hugePax[156] = 'x'.charCodeAt(0);
    hugePax.write('77777777777\0', 124, 'latin1');
    sum = 0;
    hugePax.fill(0x20, 148, 156);
    for (const b of hugePax) sum += b;
    hugePax.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    await assert.rejects(readAll(hugePax), /too large/);
  });

  it('accepts an archive that ends without the zero blocks (as Go does)', async () => {
    const data = archive([[header({ name: 'a' }), Buffer.from('abc')]]);
    const got = await readAll(data.subarray(0, 1024));
    assert.equal(got.length, 1);
  });
});
