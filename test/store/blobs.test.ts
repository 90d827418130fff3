import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { InvalidDigestError, MediaType, parseDigest, sha256Of, type Digest } from '../../src/image/index.js';
import { BlobNotFoundError, DigestMismatchError, Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/image.js';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('store blobs', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let store: Store;
  before(async () => {
    ({ dir: root, cleanup } = await tempDir());
    store = await Store.open(root);
  });
  after(async () => {
    await store.close();
    await cleanup();
  });

  const tmpEntries = async (): Promise<string[]> => readdir(join(root, 'tmp'));

  it('creates a valid OCI layout', async () => {
    assert.deepEqual(JSON.parse(await readFile(join(root, 'oci', 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
    assert.deepEqual(JSON.parse(await readFile(join(root, 'oci', 'index.json'), 'utf8')), { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] });
    for (const dir of ['oci/blobs/sha256', 'snapshots', 'meta', 'locks', 'tmp']) assert.ok((await stat(join(root, dir))).isDirectory(), dir);
  });

  it('stores bytes under their digest, read-only', async () => {
    const info = await store.putBlob(Buffer.from('hello'));
    assert.deepEqual(info, { digest: sha256Of('hello'), size: 5 });
    const path = store.blobPath(info.digest);
    assert.equal(path, join(root, 'oci', 'blobs', 'sha256', sha256Of('hello').slice(7)));
    assert.equal(await readFile(path, 'utf8'), 'hello');
    assert.equal((await stat(path)).mode & 0o777, 0o444);
    assert.ok(await store.hasBlob(info.digest));
    assert.deepEqual(await store.statBlob(info.digest), info);
    assert.deepEqual(await tmpEntries(), []);
  });

  it('streams a large blob in, hashing as it goes', async () => {
    const chunk = Buffer.alloc(1 << 20, 7);
    const whole = Buffer.concat(Array.from({ length: 8 }, () => chunk));
    const info = await store.putBlob(Readable.from(Array.from({ length: 8 }, () => chunk)), { digest: sha256Of(whole), size: whole.length });
    assert.equal(info.size, 8 << 20);
    assert.deepEqual(await collect(await store.getBlob(info.digest, { verify: true })), whole);
  });

  it('refuses content that does not match its digest, leaving nothing behind', async () => {
    const wrong = sha256Of('something else');
    await assert.rejects(store.putBlob(Buffer.from('content'), { digest: wrong }), (err: unknown) => {
      assert.ok(err instanceof DigestMismatchError);
      assert.equal(err.expected.digest, wrong);
      assert.equal(err.actual.digest, sha256Of('content'));
      assert.match(err.message, new RegExp(`expected digest ${wrong}, got ${sha256Of('content')}`));
      return true;
    });
    assert.equal(await store.hasBlob(sha256Of('content')), false);
    assert.equal(await store.hasBlob(wrong), false);
    assert.deepEqual(await tmpEntries(), []);
  });

  it('refuses content of the wrong size, stopping as soon as it runs over', async () => {
    await assert.rejects(store.putBlob(Buffer.from('12345'), { size: 4 }), /expected 4 bytes, got more than that/);
    await assert.rejects(store.putBlob(Buffer.from('123'), { digest: sha256Of('123'), size: 4 }), /expected 4 bytes, got 3/);
    let pulled = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      for (;;) {
        pulled++;
        yield Buffer.alloc(1024);
      }
    }
    await assert.rejects(store.putBlob(endless(), { size: 10_000 }), DigestMismatchError);
    assert.ok(pulled <= 11, `read ${pulled} chunks of an endless source`);
    assert.deepEqual(await tmpEntries(), []);
  });

  it('rejects a malformed expected digest before reading anything', async () => {
    await assert.rejects(store.putBlob(Buffer.from('x'), { digest: 'sha256:nope' }), InvalidDigestError);
  });

  it('does not read a source whose blob it already has', async () => {
    const bytes = Buffer.from('dedupe me');
    await store.putBlob(bytes);
    const source = new Readable({ read() { throw new Error('read a source whose blob was already stored'); } });
    assert.deepEqual(await store.putBlob(source, { digest: sha256Of(bytes), size: bytes.length }), { digest: sha256Of(bytes), size: bytes.length });
    assert.ok(source.destroyed, 'the unread source is released');
    assert.deepEqual(await store.putBlob(bytes), { digest: sha256Of(bytes), size: bytes.length }, 'putting it again is fine');
    assert.deepEqual(await tmpEntries(), []);
  });

  it('verifies sha512 digests and files them under blobs/sha512', async () => {
    const { createHash } = await import('node:crypto');
    const digest = parseDigest(`sha512:${createHash('sha512').update('five').digest('hex')}`);
    const info = await store.putBlob(Buffer.from('five'), { digest });
    assert.equal(info.digest, digest);
    assert.equal(await readFile(join(root, 'oci', 'blobs', 'sha512', digest.slice(7)), 'utf8'), 'five');
    assert.equal((await store.readBlob(digest)).toString(), 'five');
  });

  it('stores canonical JSON documents', async () => {
    const d = await store.putJson({ b: 1, a: [true] }, MediaType.ociConfig);
    assert.equal(d.mediaType, MediaType.ociConfig);
    assert.equal((await store.readBlob(d.digest)).toString(), '{"a":[true],"b":1}');
  });

  it('says which blob is missing', async () => {
    const missing = sha256Of('never stored');
    await assert.rejects(store.getBlob(missing), (e: unknown) => e instanceof BlobNotFoundError && e.digest === missing);
    await assert.rejects(store.readBlob(missing), BlobNotFoundError);
    assert.equal(await store.statBlob(missing), undefined);
  });

  it('detects a blob damaged on disk when reading it', async () => {
    const { digest } = await store.putBlob(Buffer.from('pristine'));
    const path = store.blobPath(digest);
    await chmod(path, 0o644);
    await writeFile(path, 'tampered');
    await assert.rejects(store.readBlob(digest), /damaged on disk/);
    await assert.rejects(collect(await store.getBlob(digest, { verify: true })), DigestMismatchError);
    assert.equal((await collect(await store.getBlob(digest))).toString(), 'tampered', 'unverified reads just stream');
    await assert.rejects(store.readBlob(digest, { maxSize: 3 }), /more than the 3 this read allows/);
  });

  it('opens an existing store and refuses a foreign layout version', async () => {
    const again = await Store.open(root);
    assert.ok(await again.hasBlob(sha256Of('hello')));
    await again.close();
    const { dir, cleanup: done } = await tempDir();
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'oci'), { recursive: true });
    await writeFile(join(dir, 'oci', 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}');
    await assert.rejects(Store.open(dir), /declares layout version "2.0.0"; hull reads 1.0.0/);
    await done();
  });

  it('keeps digests typed', () => {
    const d: Digest = sha256Of('typed');
    assert.equal(typeof d, 'string');
  });
});
