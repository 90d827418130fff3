// Pulls through the fault proxy in front of the real registry: a blob whose download breaks off
// is fetched again and the image arrives verified; when retries run out, a clear error and no tag.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RegistryError } from '../../src/errors.js';
import { pull } from '../../src/registry/pull.js';
import { push } from '../../src/registry/push.js';
import { Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/image.js';
import { sampleImage, startRig, storeWith, testClient, type Rig } from './push-fixtures.js';

describe('pull under faults', () => {
  let rig: Rig;
  let layer: string;

  before(async () => {
    rig = await startRig();
    const image = await sampleImage('pullfaults', 600_000);
    layer = image.layers[image.layers.length - 1]!.digest;
    const source = await storeWith(image, 'local/pf:1');
    try {
      await push(source.store, 'local/pf:1', { session: rig.open('pf'), tags: ['1'] });
    } finally {
      await source.cleanup();
    }
  });
  after(() => rig.stop());

  async function freshStore() {
    const dir = await tempDir();
    const store = await Store.open(dir.dir);
    return { store, cleanup: async () => { await store.close(); await dir.cleanup(); } };
  }

  it('a connection reset in the middle of a blob is retried, and the image is whole', async () => {
    rig.proxy.clear();
    rig.proxy.add({ method: 'GET', path: new RegExp(`/blobs/${layer}`), fault: { kind: 'reset-response', afterBytes: 100_000 }, times: 2 });
    const { store, cleanup } = await freshStore();
    try {
      const result = await pull(store, `${rig.proxy.host}/pf:1`, { client: rig.client });
      assert.ok(result.digest.startsWith('sha256:'));
      assert.equal(rig.proxy.count('GET', new RegExp(`/blobs/${layer}`)), 3, 'two cut downloads, then a whole one');
      const blob = await store.readBlob(layer as never, { maxSize: 4 << 20 });
      assert.ok(blob.length > 400_000);
      assert.ok(await store.resolve(`${rig.proxy.host}/pf:1`));
    } finally {
      await cleanup();
    }
  });

  it('when every attempt breaks off: a RegistryError naming the blob, and no tag', async () => {
    rig.proxy.clear();
    rig.proxy.add({ method: 'GET', path: new RegExp(`/blobs/${layer}`), fault: { kind: 'reset-response', afterBytes: 1000 }, times: Infinity });
    const client = testClient({ attempts: 2, baseDelayMs: 10, maxDelayMs: 20 });
    const { store, cleanup } = await freshStore();
    try {
      await assert.rejects(pull(store, `${rig.proxy.host}/pf:1`, { client }), (err: unknown) => {
        assert.ok(err instanceof RegistryError, String(err));
        assert.match(err.message, new RegExp(`${layer}.*gave up after 2 attempts`));
        return true;
      });
      assert.equal(await store.resolve(`${rig.proxy.host}/pf:1`), undefined);
      assert.equal(await store.hasBlob(layer as never), false, 'no partial blob is kept');
    } finally {
      await client.close();
      await cleanup();
      rig.proxy.clear();
    }
  });

  it('a 503 then a 429 with Retry-After on a blob are waited out', async () => {
    rig.proxy.clear();
    rig.proxy.add({ method: 'GET', path: new RegExp(`/blobs/${layer}`), fault: { kind: 'status', status: 503 } });
    rig.proxy.add({ method: 'GET', path: new RegExp(`/blobs/${layer}`), fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' } } });
    const { store, cleanup } = await freshStore();
    const started = Date.now();
    try {
      await pull(store, `${rig.proxy.host}/pf:1`, { client: rig.client });
      assert.ok(Date.now() - started >= 1000, 'Retry-After: 1 was honoured');
      assert.ok(await store.hasBlob(layer as never));
    } finally {
      await cleanup();
    }
  });
});
