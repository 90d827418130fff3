/**
 * push against a real registry (Debian's docker-registry) behind the fault proxy: skipping,
 * mounting, chunked and monolithic uploads, and what happens when the network or the registry
 * misbehaves. Request counts come from the proxy's log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RegistryError } from '../../src/errors.js';
import { createIndex, serialize } from '../../src/image/index.js';
import { push, type PushProgress } from '../../src/registry/push.js';
import type { LoggedRequest } from '../helpers/fault-proxy.js';
import { tinyImage } from '../helpers/image.js';
import { FAST_RETRY, fetchManifest, sampleImage, startRig, storeWith, testClient, verifyBlobs, type Rig } from './push-fixtures.js';

const BLOB_PUT = /\/blobs\/uploads\/[^?]*\?.*digest=/;

describe('push', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(async () => {
    await rig?.stop();
  });

  it('pushes an image whole, then skips every blob the second time', async () => {
    const image = await sampleImage('skip');
    const { store, cleanup } = await storeWith(image, 'skip:1');
    try {
      const session = rig.open('skip');
      const events: PushProgress[] = [];
      const first = await push(store, 'skip:1', { session, tags: ['1'] }, { onProgress: (e) => events.push(e), retry: FAST_RETRY });
      assert.equal(first.descriptor.digest, image.manifest.digest);
      assert.deepEqual(first.blobs.map((b) => b.outcome), ['pushed', 'pushed', 'pushed']);
      const got = await fetchManifest(rig.registry.host, 'skip', '1');
      assert.equal(got.status, 200);
      assert.equal(got.digest, image.manifest.digest);
      assert.deepEqual(got.bytes, image.blobs.get(image.manifest.digest));
      await verifyBlobs(rig.registry.host, 'skip', image);
      assert.ok(events.some((e) => e.kind === 'manifest' && e.reference === '1'));
      assert.ok(events.filter((e) => e.kind === 'blob' && e.state === 'pushed').length === 3);

      rig.proxy.clear();
      const second = await push(store, 'skip:1', { session, tags: ['1', 'again'] }, { retry: FAST_RETRY });
      assert.deepEqual(second.blobs.map((b) => b.outcome), ['exists', 'exists', 'exists']);
      assert.equal(rig.proxy.count('HEAD', /\/blobs\/sha256:/), 3);
      assert.equal(rig.proxy.count('POST'), 0);
      assert.equal(rig.proxy.count('PATCH'), 0);
      assert.equal(rig.proxy.count('PUT', /\/manifests\//), 2);
      assert.equal((await fetchManifest(rig.registry.host, 'skip', 'again')).digest, image.manifest.digest);
    } finally {
      await cleanup();
    }
  });

  it('mounts layers from another repository of the same registry instead of uploading them', async () => {
    const image = await sampleImage('mount');
    const a = await storeWith(image, 'mount:1');
    const b = await storeWith(image, 'mount:1');
    try {
      await push(a.store, 'mount:1', { session: rig.open('team/base'), tags: ['1'] }, { retry: FAST_RETRY });
      // A fresh store knows only what we tell it: that these blobs live in team/base.
      for (const d of [image.config, ...image.layers]) await b.store.addBlobSource(d.digest, `${rig.proxy.host}/team/base`);
      rig.proxy.clear();
      const result = await push(b.store, 'mount:1', { session: rig.open('team/app'), tags: ['1'] }, { retry: FAST_RETRY });
      assert.deepEqual(result.blobs.map((x) => x.outcome), ['mounted', 'mounted', 'mounted']);
      assert.ok(result.blobs.every((x) => x.from === 'team/base'));
      assert.equal(rig.proxy.count('POST', /mount=sha256/), 3);
      assert.equal(rig.proxy.count('PUT', /\/blobs\//), 0);
      assert.equal(rig.proxy.count('PATCH'), 0);
      assert.equal((await fetchManifest(rig.registry.host, 'team/app', '1')).digest, image.manifest.digest);
      await verifyBlobs(rig.registry.host, 'team/app', image);
      // Pushed blobs are remembered for the next mount.
      assert.ok((await b.store.blobRecord(image.layers[0]!.digest))?.sources.includes(`${rig.proxy.host}/team/app`));
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });

  it('falls back to uploading when a mount source does not have the blob', async () => {
    const image = await sampleImage('nomount');
    const { store, cleanup } = await storeWith(image, 'nomount:1');
    try {
      for (const d of [image.config, ...image.layers]) await store.addBlobSource(d.digest, `${rig.proxy.host}/nowhere/empty`);
      const result = await push(store, 'nomount:1', { session: rig.open('nomount'), tags: ['1'] }, { retry: FAST_RETRY });
      assert.deepEqual(result.blobs.map((x) => x.outcome), ['pushed', 'pushed', 'pushed']);
      await verifyBlobs(rig.registry.host, 'nomount', image);
    } finally {
      await cleanup();
    }
  });

  it('sends a large blob in chunks, following each Location', async () => {
    const image = await sampleImage('chunked', 300_000);
    const { store, cleanup } = await storeWith(image, 'chunked:1');
    try {
      rig.proxy.clear();
      const big = image.layers[2]!;
      const sent: number[] = [];
      await push(store, 'chunked:1', { session: rig.open('chunked'), tags: ['1'] }, {
        monolithicMax: 64 << 10,
        chunkSize: 100_000,
        retry: FAST_RETRY,
        onProgress: (e) => e.kind === 'blob' && e.digest === big.digest && e.state === 'uploading' && sent.push(e.sent),
      });
      assert.equal(rig.proxy.count('PATCH'), Math.ceil(big.size / 100_000));
      assert.equal(sent.at(-1), big.size);
      assert.equal((await fetchManifest(rig.registry.host, 'chunked', '1')).digest, image.manifest.digest);
      await verifyBlobs(rig.registry.host, 'chunked', image);
    } finally {
      await cleanup();
    }
  });

  it('falls back to one PUT when the registry refuses chunks', async () => {
    const image = await sampleImage('nochunks', 200_000);
    const { store, cleanup } = await storeWith(image, 'nochunks:1');
    try {
      rig.proxy.clear();
      rig.proxy.add({ method: 'PATCH', times: Infinity, fault: { kind: 'status', status: 416, body: '' } });
      await push(store, 'nochunks:1', { session: rig.open('nochunks'), tags: ['1'] }, { monolithicMax: 64 << 10, chunkSize: 50_000, retry: FAST_RETRY });
      assert.equal(rig.proxy.count('PATCH'), 1);
      await verifyBlobs(rig.registry.host, 'nochunks', image);
      assert.equal((await fetchManifest(rig.registry.host, 'nochunks', '1')).digest, image.manifest.digest);
    } finally {
      rig.proxy.clear();
      await cleanup();
    }
  });

  describe('faults', () => {
    it('a connection reset in the middle of a monolithic blob PUT is retried', async () => {
      const image = await sampleImage('reset', 100_000);
      const { store, cleanup } = await storeWith(image, 'reset:1');
      try {
        rig.proxy.clear();
        rig.proxy.add({ method: 'PUT', path: BLOB_PUT, fault: { kind: 'reset-request', afterBytes: 30_000 } });
        const events: PushProgress[] = [];
        await push(store, 'reset:1', { session: rig.open('reset'), tags: ['1'] }, { retry: FAST_RETRY, concurrency: 1, onProgress: (e) => events.push(e) });
        assert.ok(rig.proxy.log.some((e) => e.outcome === 'reset'));
        assert.ok(events.some((e) => e.kind === 'blob' && e.state === 'retrying'));
        await verifyBlobs(rig.registry.host, 'reset', image);
        assert.equal((await fetchManifest(rig.registry.host, 'reset', '1')).digest, image.manifest.digest);
      } finally {
        rig.proxy.clear();
        await cleanup();
      }
    });

    // Which path push takes after a PATCH is cut depends on what distribution 2.8 kept: it
    // appends whatever bytes arrived to the upload (it ignores Content-Range), and an upload
    // whose size no longer matches the offset in its `_state` is cancelled on the next request
    // (GET → 404). So a cut after some bytes of a chunk restarts with a new POST, a cut before
    // any byte resumes from the registry's Range, and in both cases the digest is sent once, by
    // the final PUT of the upload that holds every byte.

    it('a connection reset in the middle of a chunk resumes or restarts, and the blob is whole', async () => {
      const image = await sampleImage('chunkreset', 300_000);
      const { store, cleanup } = await storeWith(image, 'chunkreset:1');
      try {
        rig.proxy.clear();
        // The second PATCH breaks after 40 000 of its bytes: the first chunk is already in the registry.
        rig.proxy.add({ method: 'PATCH', skip: 1, fault: { kind: 'reset-request', afterBytes: 40_000 } });
        await push(store, 'chunkreset:1', { session: rig.open('chunkreset'), tags: ['1'] }, { monolithicMax: 64 << 10, chunkSize: 100_000, retry: FAST_RETRY, concurrency: 1 });
        assert.ok(rig.proxy.log.some((e) => e.method === 'PATCH' && e.outcome === 'reset'));
        await verifyBlobs(rig.registry.host, 'chunkreset', image);
        assert.equal((await fetchManifest(rig.registry.host, 'chunkreset', '1')).digest, image.manifest.digest);

        // The path taken: the registry dropped the spoilt upload, so push restarted it.
        const big = image.layers[2]!;
        const chunks = Math.ceil(big.size / 100_000);
        const trail = uploadTrail(rig.proxy.log, big.digest);
        assert.deepEqual(trail.statusChecks, ['404']);
        assert.equal(rig.proxy.count('POST', /\/blobs\/uploads\/$/), 4 + 1, 'one POST per blob, and one more for the restart');
        assert.equal(rig.proxy.count('PATCH'), 2 + chunks);
        assert.equal(trail.uploads.length, 2);
        assert.deepEqual(trail.commits, [{ upload: trail.uploads[1], outcome: '201' }], 'the digest goes only with the final PUT of the new upload');
      } finally {
        rig.proxy.clear();
        await cleanup();
      }
    });

    it('a chunk cut before any of its bytes arrived resumes from the Range the registry reports', async () => {
      const image = await sampleImage('chunkresume', 300_000);
      const { store, cleanup } = await storeWith(image, 'chunkresume:1');
      try {
        rig.proxy.clear();
        rig.proxy.add({ method: 'PATCH', skip: 1, fault: { kind: 'reset-request', afterBytes: 0 } });
        await push(store, 'chunkresume:1', { session: rig.open('chunkresume'), tags: ['1'] }, { monolithicMax: 64 << 10, chunkSize: 100_000, retry: FAST_RETRY, concurrency: 1 });
        const big = image.layers[2]!;
        const trail = uploadTrail(rig.proxy.log, big.digest);
        // GET on the upload URL answered 204 with Range 0-99999, and the same upload went on from there.
        assert.deepEqual(trail.statusChecks, ['204']);
        assert.equal(rig.proxy.count('POST', /\/blobs\/uploads\/$/), 4, 'no new upload was started');
        assert.equal(trail.uploads.length, 1);
        assert.equal(rig.proxy.count('PATCH'), 2 + (Math.ceil(big.size / 100_000) - 1), 'the first chunk was not sent again');
        assert.deepEqual(trail.commits, [{ upload: trail.uploads[0], outcome: '201' }]);
        await verifyBlobs(rig.registry.host, 'chunkresume', image);
        assert.equal((await fetchManifest(rig.registry.host, 'chunkresume', '1')).digest, image.manifest.digest);
      } finally {
        rig.proxy.clear();
        await cleanup();
      }
    });

    it('an upload the registry reports as 0-0 (empty, or one byte?) is restarted, not resumed on a guess', async () => {
      const image = await sampleImage('chunkempty', 300_000);
      const { store, cleanup } = await storeWith(image, 'chunkempty:1');
      try {
        rig.proxy.clear();
        // The first PATCH is cut before any byte: distribution then reports `Range: 0-0`.
        rig.proxy.add({ method: 'PATCH', fault: { kind: 'reset-request', afterBytes: 0 } });
        await push(store, 'chunkempty:1', { session: rig.open('chunkempty'), tags: ['1'] }, { monolithicMax: 64 << 10, chunkSize: 100_000, retry: FAST_RETRY, concurrency: 1 });
        const big = image.layers[2]!;
        const trail = uploadTrail(rig.proxy.log, big.digest);
        assert.deepEqual(trail.statusChecks, ['204']);
        assert.equal(trail.uploads.length, 2);
        assert.equal(rig.proxy.count('PATCH'), 1 + Math.ceil(big.size / 100_000));
        assert.deepEqual(trail.commits, [{ upload: trail.uploads[1], outcome: '201' }]);
        await verifyBlobs(rig.registry.host, 'chunkempty', image);
      } finally {
        rig.proxy.clear();
        await cleanup();
      }
    });

    it('a 500 on a blob PUT is retried', async () => {
      const image = await sampleImage('five');
      const { store, cleanup } = await storeWith(image, 'five:1');
      try {
        rig.proxy.clear();
        rig.proxy.add({ method: 'PUT', path: BLOB_PUT, fault: { kind: 'status', status: 500 } });
        await push(store, 'five:1', { session: rig.open('five'), tags: ['1'] }, { retry: FAST_RETRY });
        assert.equal(rig.proxy.log.filter((e) => e.outcome === '500').length, 1);
        await verifyBlobs(rig.registry.host, 'five', image);
        assert.equal((await fetchManifest(rig.registry.host, 'five', '1')).digest, image.manifest.digest);
      } finally {
        rig.proxy.clear();
        await cleanup();
      }
    });

    it('a 429 with Retry-After is waited out', async () => {
      const image = await sampleImage('slow');
      const { store, cleanup } = await storeWith(image, 'slow:1');
      try {
        rig.proxy.clear();
        rig.proxy.add({ method: 'PUT', path: BLOB_PUT, fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' }, body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}' } });
        const started = Date.now();
        await push(store, 'slow:1', { session: rig.open('slow'), tags: ['1'] }, { retry: FAST_RETRY, concurrency: 1 });
        const took = Date.now() - started;
        assert.ok(took >= 950, `took ${took} ms, Retry-After asked for 1 s`);
        assert.equal(rig.proxy.log.filter((e) => e.outcome === '429').length, 1);
        await verifyBlobs(rig.registry.host, 'slow', image);
      } finally {
        rig.proxy.clear();
        await cleanup();
      }
    });

    it('a stalled registry only slows the push down', async () => {
      const image = await sampleImage('stall');
      const { store, cleanup } = await storeWith(image, 'stall:1');
      try {
        rig.proxy.clear();
        rig.proxy.add({ method: 'HEAD', times: 3, fault: { kind: 'stall', ms: 300 } });
        await push(store, 'stall:1', { session: rig.open('stall'), tags: ['1'] }, { retry: FAST_RETRY });
        assert.equal((await fetchManifest(rig.registry.host, 'stall', '1')).digest, image.manifest.digest);
      } finally {
        rig.proxy.clear();
        await cleanup();
      }
    });

    it('when retries run out: a clear RegistryError, and no manifest is PUT', async () => {
      const image = await sampleImage('doomed');
      const { store, cleanup } = await storeWith(image, 'doomed:1');
      // The session retries nothing itself here: every attempt counted is push's own.
      const noSessionRetries = testClient({ attempts: 1 });
      try {
        rig.proxy.clear();
        rig.proxy.add({ method: 'PUT', path: BLOB_PUT, times: Infinity, fault: { kind: 'status', status: 503 } });
        await assert.rejects(
          push(store, 'doomed:1', { session: rig.open('doomed', noSessionRetries), tags: ['1'] }, { retry: FAST_RETRY }),
          (err: unknown) => {
            assert.ok(err instanceof RegistryError, String(err));
            assert.equal(err.status, 503);
            assert.match(err.message, /pushing blob sha256:[0-9a-f]{64} to 127\.0\.0\.1:\d+\/doomed.*503.*gave up after 4 attempts/);
            return true;
          },
        );
        assert.equal(rig.proxy.count('PUT', /\/manifests\//), 0);
        assert.equal((await fetchManifest(rig.registry.host, 'doomed', '1')).status, 404);
      } finally {
        rig.proxy.clear();
        await noSessionRetries.close();
        await cleanup();
      }
    });

    it('a registry that refuses outright is not retried', async () => {
      const image = await sampleImage('denied');
      const { store, cleanup } = await storeWith(image, 'denied:1');
      try {
        rig.proxy.clear();
        rig.proxy.add({ method: 'POST', times: Infinity, fault: { kind: 'status', status: 400, body: '{"errors":[{"code":"NAME_INVALID","message":"no such name"}]}' } });
        await assert.rejects(push(store, 'denied:1', { session: rig.open('denied'), tags: ['1'] }, { retry: FAST_RETRY, concurrency: 1 }), (err: unknown) => {
          assert.ok(err instanceof RegistryError);
          assert.equal(err.code, 'NAME_INVALID');
          assert.match(err.message, /NAME_INVALID: no such name/);
          return true;
        });
        assert.equal(rig.proxy.count('POST'), 1);
        assert.equal(rig.proxy.count('PUT', /\/manifests\//), 0);
      } finally {
        rig.proxy.clear();
        await cleanup();
      }
    });
  });

  it('refuses to push an index whose child is neither here nor in the registry', async () => {
    const here = await sampleImage('partial');
    const gone = await tinyImage([[{ name: 'x', content: 'arm' }]], 'linux/arm/v7');
    const index = serialize(createIndex([
      { ...here.manifest, platform: { os: 'linux', architecture: 'amd64' } },
      { ...gone.manifest, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    ]));
    const { store, cleanup } = await storeWith(here, 'partial:base');
    try {
      await store.putBlob(index.bytes, { digest: index.descriptor.digest });
      // The store's tag check allows index entries that were never pulled.
      await store.tag('partial:1', index.descriptor);
      rig.proxy.clear();
      await assert.rejects(push(store, 'partial:1', { session: rig.open('partial'), tags: ['1'] }, { retry: FAST_RETRY }), (err: unknown) => {
        assert.ok(err instanceof RegistryError);
        assert.match(err.message, /manifest sha256:[0-9a-f]{64} \(linux\/arm\/v7\) is neither in the local store nor in/);
        return true;
      });
      assert.equal(rig.proxy.count('PUT', /\/manifests\/1$/), 0);
      assert.equal((await fetchManifest(rig.registry.host, 'partial', '1')).status, 404);
    } finally {
      await cleanup();
    }
  });

  it(`sends the manifest's exact bytes with its own media type`, async () => {
    const image = await sampleImage('bytes');
    const { store, cleanup } = await storeWith(image, 'bytes:1');
    try {
      const result = await push(store, 'bytes:1', { session: rig.open('bytes'), tags: [] }, { retry: FAST_RETRY });
      const got = await fetchManifest(rig.registry.host, 'bytes', result.descriptor.digest);
      assert.equal(got.status, 200);
      assert.deepEqual(got.bytes, image.blobs.get(image.manifest.digest));
    } finally {
      await cleanup();
    }
  });
});

/**
 * What the proxy saw of one chunked blob's upload(s): the upload ids its PATCHes went to (in
 * order), the answers to GETs on an upload URL (status checks before a resume), and every
 * request that carried its digest (only a final PUT may).
 */
function uploadTrail(log: readonly LoggedRequest[], digest: string): { uploads: string[]; statusChecks: string[]; commits: { upload: string | undefined; outcome: string }[] } {
  const id = (path: string): string | undefined => /\/blobs\/uploads\/([0-9a-f-]+)/.exec(path)?.[1];
  const uploads: string[] = [];
  for (const e of log) {
    const u = id(e.path);
    if (e.method === 'PATCH' && u !== undefined && !uploads.includes(u)) uploads.push(u);
  }
  const statusChecks = log.filter((e) => e.method === 'GET' && id(e.path) !== undefined).map((e) => e.outcome);
  const withDigest = `digest=${encodeURIComponent(digest)}`;
  const commits = log.filter((e) => e.path.includes(withDigest) || e.path.includes(`digest=${digest}`)).map((e) => ({ upload: id(e.path), outcome: e.outcome }));
  return { uploads, statusChecks, commits };
}
