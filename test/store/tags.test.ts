import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createIndex, InvalidReferenceError, MediaType, serialize, sha256Of, toOciPlatform, parsePlatform } from '../../src/image/index.js';
import { BlobNotFoundError, REF_NAME_ANNOTATION, Store, StoreError } from '../../src/store/index.js';
import { putImage, tempDir, tinyImage, type TinyImage } from '../helpers/image.js';

describe('store tags', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let store: Store;
  let one: TinyImage;
  let two: TinyImage;
  before(async () => {
    ({ dir: root, cleanup } = await tempDir());
    store = await Store.open(root);
    one = await tinyImage([[{ name: 'a.txt', content: 'a' }]]);
    two = await tinyImage([[{ name: 'b.txt', content: 'b' }], [{ name: 'c.txt', content: 'c' }]], 'linux/arm64');
    await putImage(store, one);
    await putImage(store, two);
  });
  after(async () => {
    await store.close();
    await cleanup();
  });

  it('tags with the full normalised reference in index.json', async () => {
    await store.tag('alpine', one.manifest);
    await store.tag('localhost:5000/team/app:v1', two.manifest);
    const index = JSON.parse(await readFile(join(root, 'oci', 'index.json'), 'utf8')) as { manifests: { digest: string; annotations: Record<string, string> }[] };
    assert.deepEqual(
      index.manifests.map((m) => [m.annotations[REF_NAME_ANNOTATION], m.digest]),
      [
        ['docker.io/library/alpine:latest', one.manifest.digest],
        ['localhost:5000/team/app:v1', two.manifest.digest],
      ],
    );
    assert.deepEqual(await store.listTags(), [
      { reference: 'docker.io/library/alpine:latest', descriptor: one.manifest },
      { reference: 'localhost:5000/team/app:v1', descriptor: two.manifest },
    ]);
  });

  it('moves a tag and keeps other annotations', async () => {
    await store.tag('docker.io/library/alpine:latest', { ...two.manifest, annotations: { 'org.opencontainers.image.created': 'x' } });
    const tags = await store.listTags();
    assert.equal(tags.length, 2);
    assert.deepEqual(tags[0]!.descriptor, { ...two.manifest, annotations: { 'org.opencontainers.image.created': 'x' } });
    await store.tag('alpine:latest', one.manifest);
  });

  it('resolves references, digests, image IDs and ID prefixes', async () => {
    assert.deepEqual(await store.resolve('alpine'), one.manifest);
    assert.deepEqual(await store.resolve('docker.io/library/alpine:latest'), one.manifest);
    assert.deepEqual(await store.resolve('index.docker.io/library/alpine'), one.manifest);
    assert.deepEqual(await store.resolve('localhost:5000/team/app:v1'), two.manifest);
    assert.equal(await store.resolve('alpine:3'), undefined);
    assert.deepEqual(await store.resolve(one.manifest.digest), one.manifest, 'by manifest digest');
    assert.deepEqual(await store.resolve(`alpine@${two.manifest.digest}`), two.manifest, 'by name@digest');
    assert.deepEqual(await store.resolve(one.config.digest), one.manifest, 'by image ID (the config digest)');
    assert.deepEqual(await store.resolve(one.config.digest.slice(7)), one.manifest, 'by bare 64-hex ID');
    assert.deepEqual(await store.resolve(one.config.digest.slice(7, 19)), one.manifest, 'by short ID');
    assert.deepEqual(await store.resolve(two.config.digest.slice(0, 19)), two.manifest, 'by sha256:short ID');
    assert.equal(await store.resolve('0000000'), undefined);
    await assert.rejects(store.resolve('Not/Valid:-'), InvalidReferenceError);
  });

  it('reports an ambiguous ID prefix and resolves a unique one', async () => {
    // IDs here: each image's manifest and config digests. Sort one-digit prefixes by how many images they match.
    const images = [one, two];
    const matches = (p: string) => images.filter((i) => [i.manifest.digest, i.config.digest].some((d) => d.startsWith(`sha256:${p}`)));
    const digits = [...'0123456789abcdef'];
    const shared = digits.find((p) => matches(p).length === 2) ?? (one.config.digest[7]! === two.config.digest[7]! ? one.config.digest[7] : undefined);
    const unique = digits.find((p) => matches(p).length === 1)!;
    assert.deepEqual(await store.resolve(unique), matches(unique)[0]!.manifest);
    if (shared !== undefined) await assert.rejects(store.resolve(shared), /image ID prefix ".*" is ambiguous: it matches sha256:/);
  });

  it('resolves a stored manifest that no tag names', async () => {
    const lone = await tinyImage([[{ name: 'lone', content: 'l' }]]);
    await putImage(store, lone);
    assert.deepEqual(await store.resolve(lone.manifest.digest), lone.manifest);
    assert.equal(await store.resolve(sha256Of('nothing')), undefined);
  });

  it('tags multi-platform indexes and resolves their children', async () => {
    const index = serialize(createIndex([
      { ...one.manifest, platform: toOciPlatform(parsePlatform('linux/amd64')) },
      { ...two.manifest, platform: toOciPlatform(parsePlatform('linux/arm64')) },
    ]));
    await store.putBlob(index.bytes);
    await store.tag('multi:1', index.descriptor);
    assert.deepEqual(await store.resolve('multi:1'), index.descriptor);
    assert.deepEqual(await store.resolve(index.descriptor.digest), index.descriptor);
    const parsed = await store.readManifest(index.descriptor);
    assert.equal(parsed.kind, 'index');
    await store.untag('multi:1');
  });

  it('refuses tags that could not be read back', async () => {
    await assert.rejects(store.tag(`alpine@${one.manifest.digest}`, one.manifest), (e: unknown) => e instanceof StoreError && /a tag cannot contain a digest/.test(e.message));
    await assert.rejects(store.tag('alpine:x', one.config), /is not an image manifest or index/);
    await assert.rejects(store.tag('alpine:x', { ...one.manifest, digest: sha256Of('missing') }), BlobNotFoundError);
    await assert.rejects(store.tag('alpine:x', { ...one.manifest, size: one.manifest.size + 1 }), /the descriptor says \d+ bytes but blob/);
    await assert.rejects(store.tag('UPPER', one.manifest), InvalidReferenceError);
  });

  it('refuses to tag an incomplete image', async () => {
    const partial = await tinyImage([[{ name: 'p', content: 'p' }]]);
    for (const [digest, bytes] of partial.blobs) if (digest !== partial.layers[0]!.digest) await store.putBlob(bytes);
    await assert.rejects(store.tag('partial', partial.manifest), new RegExp(`incomplete, blob ${partial.layers[0]!.digest} \\(${MediaType.ociLayerGzip.replace(/[.+]/g, '\\$&')}\\) is not in the store`));
    assert.equal(await store.resolve('partial'), undefined);
  });

  it('untags', async () => {
    assert.deepEqual(await store.untag('localhost:5000/team/app:v1'), two.manifest);
    assert.equal(await store.untag('localhost:5000/team/app:v1'), undefined);
    assert.deepEqual((await store.listTags()).map((t) => t.reference), ['docker.io/library/alpine:latest']);
  });

  it('records when an image was first tagged', async () => {
    const meta = await store.imageMeta(one.manifest.digest);
    assert.ok(meta && !Number.isNaN(Date.parse(meta.added)));
    await store.tag('again', one.manifest);
    assert.deepEqual(await store.imageMeta(one.manifest.digest), meta);
  });

  it('remembers where blobs came from', async () => {
    await store.addBlobSource(one.layers[0]!.digest, 'docker.io/library/alpine');
    await store.addBlobSource(one.layers[0]!.digest, 'docker.io/library/alpine');
    await store.addBlobSource(one.layers[0]!.digest, 'ghcr.io/x/y');
    assert.deepEqual(await store.blobRecord(one.layers[0]!.digest), { sources: ['docker.io/library/alpine', 'ghcr.io/x/y'] });
    assert.equal(await store.blobRecord(sha256Of('none')), undefined);
  });
});
