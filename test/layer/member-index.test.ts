// The member index (its JSON and its checks), where members are cut, the store's sidecar for it,
// and commitUpperDir, which writes the index and reuses the previous layer's members.
import assert from 'node:assert/strict';
import { createCipheriv, createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { commitUpperDir, type LayerRef } from '../../src/build/layers.js';
import { parseDigest } from '../../src/image/digest.js';
import { endsMember, LARGE_ENTRY, MEMBER_LIMIT, MEMBER_TARGET, MemberCutter, PIECE, type TarMember } from '../../src/layer/member-cut.js';
import { MEMBER_INDEX_FORMAT, MemberIndexError, parseMemberIndex, serializeMemberIndex, type MemberIndex } from '../../src/layer/member-index.js';
import { Store } from '../../src/store/store.js';
import { tempDir } from './helpers.js';

const hex = (s: string): string => createHash('sha256').update(s).digest('hex');

const INDEX: MemberIndex = {
  encoder: { level: 6, zlib: '1.3.1' },
  members: [
    { tarOffset: 0, tarSize: 1536, gzOffset: 0, gzSize: 300, sha256: hex('a'), first: 'a/', last: 'a/b' },
    { tarOffset: 1536, tarSize: 2048, gzOffset: 300, gzSize: 700, sha256: hex('b'), first: 'a/c', last: 'z' },
  ],
};

describe('member index', () => {
  it('reads back what it writes', () => {
    const text = serializeMemberIndex(INDEX);
    assert.equal(JSON.parse(text).format, MEMBER_INDEX_FORMAT);
    assert.deepEqual(parseMemberIndex(text), INDEX);
  });

  it('refuses what does not describe one contiguous blob', () => {
    const doc = JSON.parse(serializeMemberIndex(INDEX)) as { members: Array<Record<string, unknown>> } & Record<string, unknown>;
    const variants: Array<[string, string]> = [
      ['not JSON', '{'],
      ['another format', JSON.stringify({ ...doc, format: 'other' })],
      ['no encoder', JSON.stringify({ ...doc, encoder: undefined })],
      ['no members', JSON.stringify({ ...doc, members: [] })],
      ['a gap in the tar', JSON.stringify({ ...doc, members: [doc.members[0], { ...doc.members[1], tarOffset: 2000 }] })],
      ['a gap in the blob', JSON.stringify({ ...doc, members: [doc.members[0], { ...doc.members[1], gzOffset: 299 }] })],
      ['an empty member', JSON.stringify({ ...doc, members: [{ ...doc.members[0], tarSize: 0 }] })],
      ['a short hash', JSON.stringify({ ...doc, members: [{ ...doc.members[0], sha256: 'abc' }] })],
      ['a negative size', JSON.stringify({ ...doc, members: [{ ...doc.members[0], gzSize: -1 }] })],
      ['a name that is not text', JSON.stringify({ ...doc, members: [{ ...doc.members[0], first: 7 }] })],
    ];
    for (const [what, text] of variants) assert.throws(() => parseMemberIndex(text), MemberIndexError, what);
  });
});

/** Feeds entries (name, size; bytes = 512 + size) to a cutter and returns its members. */
function cut(entries: Array<[string, number]>): TarMember[] {
  const cutter = new MemberCutter();
  const out: TarMember[] = [];
  for (const [name, size] of entries) {
    out.push(...cutter.entry(name, size));
    out.push(...cutter.bytes(Buffer.alloc(512)));
    // Big data in 1 MB chunks, as files are read.
    for (let at = 0; at < size; at += 1_000_000) out.push(...cutter.bytes(Buffer.alloc(Math.min(1_000_000, size - at))));
  }
  out.push(...cutter.end());
  return out;
}

describe('member cuts', () => {
  it('keep every byte in order when members are gathered in reused slabs, read in place or copied', () => {
    const cutter = new MemberCutter();
    const fed: Buffer[] = [];
    const got: Buffer[] = [];
    // a member handed on is released as the gzip writer does once it is encoded: its slab is reused
    const take = (members: TarMember[]): void => {
      for (const m of members) {
        const bytes = Buffer.concat(m.parts);
        assert.equal(bytes.length, m.size);
        if (m.data) assert.ok(m.data.equals(bytes), 'data is the parts joined');
        got.push(bytes);
        m.release();
      }
    };
    let seed = 7;
    const feed = (buf: Buffer): void => {
      for (let i = 0; i < buf.length; i++) buf[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
      fed.push(Buffer.from(buf));
      take(cutter.bytes(buf));
    };
    for (let i = 0; i < 400; i++) {
      const size = i % 50 === 0 ? 3 * PIECE + 777 : 1 + ((i * 7919) % 60_000);
      take(cutter.entry(`f${i}`, size));
      feed(Buffer.alloc(512));
      // as the layer writer reads: into room the cutter gives, in 1 MB chunks
      for (let at = 0; at < size; at += 1 << 20) feed(cutter.alloc(Math.min(1 << 20, size - at)));
    }
    take(cutter.end());
    assert.ok(Buffer.concat(got).equals(Buffer.concat(fed)), 'the members are the bytes fed, in order');
  });

  it('end a member after about one entry in MEMBER_TARGET / (512 + size), decided by the name alone', () => {
    const size = 10_000;
    let fired = 0;
    for (let i = 0; i < 20_000; i++) if (endsMember(`dir/file-${i}.txt`, size)) fired++;
    const expected = (20_000 * (512 + size)) / MEMBER_TARGET;
    assert.ok(Math.abs(fired - expected) < expected * 0.25, `${fired} cuts, about ${expected.toFixed(0)} expected`);
    assert.equal(endsMember('dir/file-1.txt', size), endsMember('dir/file-1.txt', size));
    assert.ok(endsMember('any', MEMBER_TARGET));
  });

  it('give a large entry members of its own, PIECE bytes each', () => {
    const small = Array.from({ length: 5 }, (_, i): [string, number] => [`s${i}`, 100]);
    const members = cut([...small, ['big', 2 * PIECE + 10], ['after', 100]]);
    const big = members.filter((m) => m.first === 'big' && m.last === 'big');
    assert.deepEqual(big.map((m) => m.size), [PIECE, PIECE, 512 + 10]);
    // The entries before and after are never in the large entry's members.
    assert.ok(members.some((m) => m.last === 's4' && m.first !== 'big'));
    assert.equal(members[members.length - 1]!.last, 'after');
    assert.equal(members.reduce((n, m) => n + m.size, 0), 6 * 612 + 512 + 2 * PIECE + 10);
    assert.ok(LARGE_ENTRY <= 2 * PIECE + 10);
  });

  it('end a member of small entries once it holds MEMBER_LIMIT bytes', () => {
    // Names that never fire on their own: the limit is what cuts.
    const names: string[] = [];
    for (let i = 0; names.length < 200; i++) if (!endsMember(`n${i}`, 60_000)) names.push(`n${i}`);
    const members = cut(names.map((n): [string, number] => [n, 60_000]));
    assert.ok(members.length >= 2);
    for (const m of members) assert.ok(m.size <= MEMBER_LIMIT + 60_512, `${m.size}`);
    assert.equal(members[0]!.first, names[0]);
  });
});

function randomFile(path: string, seed: string, size: number): void {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  writeFileSync(path, createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size)));
}

/** An upper dir of 400 files (about 3 MB), `changed` rewritten. */
function upperDir(dir: string, changed?: number): string {
  mkdirSync(join(dir, 'app'), { recursive: true });
  for (let i = 0; i < 400; i++) randomFile(join(dir, 'app', `f${i}`), i === changed ? `${i}-changed` : `${i}`, 8_000);
  return dir;
}

describe('the store keeps member indexes beside layer blobs', () => {
  it('writes, reads and prunes them with their blob', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    let store = await Store.open(join(dir, 'store'));
    const { digest } = await store.putBlob(Buffer.from('a layer'));
    assert.equal(await store.layerIndex(digest), undefined);
    await store.putLayerIndex(digest, serializeMemberIndex(INDEX));
    assert.deepEqual(parseMemberIndex((await store.layerIndex(digest))!), INDEX);
    await store.close();
    store = await Store.open(join(dir, 'store'));
    const report = await store.prune();
    assert.ok(report.blobs.some((b) => b.digest === digest));
    assert.equal(await store.layerIndex(digest), undefined);
    await store.close();
  });
});

describe('commitUpperDir', () => {
  it("stores the index and copies the previous layer's unchanged members, writing the same blob", async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const store = await Store.open(join(dir, 'store'));
    const other = await Store.open(join(dir, 'other'));
    t.after(async () => {
      await store.close();
      await other.close();
    });
    const counts: Array<{ reused: number; compressed: number }> = [];
    const onMembers = (c: { reused: number; compressed: number }): number => counts.push(c);
    // The three trees are written at different times: only their contents may count.
    const sourceDateEpoch = 1_000_000_000;

    const first = (await commitUpperDir(store, upperDir(join(dir, 'up1')), { sourceDateEpoch, onMembers }))!;
    assert.ok(await store.layerIndex(first.blob.digest));
    assert.equal(counts[0]!.reused, 0);

    const second = (await commitUpperDir(store, upperDir(join(dir, 'up2'), 123), { sourceDateEpoch, previous: first, onMembers }))!;
    const fresh = (await commitUpperDir(other, upperDir(join(dir, 'up3'), 123), { sourceDateEpoch }))!;
    assert.deepEqual(second, fresh);
    assert.notEqual(second.blob.digest, first.blob.digest);
    assert.equal(counts[1]!.compressed, 1);
    assert.equal(counts[1]!.reused, parseMemberIndex((await store.layerIndex(second.blob.digest))!).members.length - 1);
  });

  it('writes without reuse when the previous layer has no index, or is not gzip', async (t) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    const store = await Store.open(join(dir, 'store'));
    t.after(() => store.close());
    const counts: Array<{ reused: number; compressed: number }> = [];
    const onMembers = (c: { reused: number; compressed: number }): number => counts.push(c);
    const plain = (await commitUpperDir(store, upperDir(join(dir, 'up1')), { compression: 'none', onMembers }))!;
    assert.equal(await store.layerIndex(plain.blob.digest), undefined);
    assert.equal(counts.length, 0);
    const unknown: LayerRef = { ...plain, blob: { ...plain.blob, digest: parseDigest(`sha256:${hex('not stored')}`) } };
    await commitUpperDir(store, upperDir(join(dir, 'up2'), 7), { previous: plain, onMembers });
    await commitUpperDir(store, upperDir(join(dir, 'up3'), 8), { previous: unknown, onMembers });
    assert.deepEqual(counts.map((c) => c.reused), [0, 0]);
  });
});
