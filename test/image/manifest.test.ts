import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createIndex,
  createManifest,
  dockerToOciIndex,
  dockerToOciManifest,
  ImageError,
  ManifestError,
  MediaType,
  ociToDockerIndex,
  ociToDockerManifest,
  parseDescriptor,
  parseIndex,
  parseManifest,
  parseManifestOrIndex,
  serialize,
  sha256Of,
  type Descriptor,
  type Digest,
} from '../../src/image/index.js';

const d = (s: string): Digest => sha256Of(s);
const config: Descriptor = { mediaType: MediaType.ociConfig, digest: d('config'), size: 100 };
const layer: Descriptor = { mediaType: MediaType.ociLayerGzip, digest: d('layer'), size: 2000 };

const ociManifest = { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [layer], annotations: { a: 'b' } };
const dockerManifest = {
  schemaVersion: 2,
  mediaType: MediaType.dockerManifest,
  config: { ...config, mediaType: MediaType.dockerConfig },
  layers: [{ ...layer, mediaType: MediaType.dockerLayerGzip }, { mediaType: MediaType.dockerForeignLayerGzip, digest: d('win'), size: 5, urls: ['https://x/y'] }],
};
const ociIndex = {
  schemaVersion: 2,
  mediaType: MediaType.ociIndex,
  manifests: [
    { mediaType: MediaType.ociManifest, digest: d('m1'), size: 10, platform: { architecture: 'amd64', os: 'linux' } },
    { mediaType: MediaType.ociManifest, digest: d('m2'), size: 11, platform: { architecture: 'arm', os: 'linux', variant: 'v7' } },
  ],
};
const json = (v: unknown): string => JSON.stringify(v);

describe('manifests and indexes', () => {
  it('reads an OCI manifest', () => {
    const parsed = parseManifestOrIndex(json(ociManifest));
    assert.equal(parsed.kind, 'manifest');
    assert.equal(parsed.flavor, 'oci');
    assert.equal(parsed.mediaType, MediaType.ociManifest);
    assert.deepEqual(parsed.kind === 'manifest' && parsed.manifest, ociManifest);
  });

  it('reads a Docker schema 2 manifest with a foreign layer', () => {
    const parsed = parseManifestOrIndex(Buffer.from(json(dockerManifest)), MediaType.dockerManifest);
    assert.equal(parsed.kind, 'manifest');
    assert.equal(parsed.flavor, 'docker');
    assert.deepEqual(parsed.kind === 'manifest' && parsed.manifest.layers[1]!.urls, ['https://x/y']);
  });

  it('reads indexes and manifest lists', () => {
    const parsed = parseManifestOrIndex(json(ociIndex));
    assert.equal(parsed.kind, 'index');
    assert.deepEqual(parsed.kind === 'index' && parsed.index, ociIndex);
    const list = parseManifestOrIndex(json({ ...ociIndex, mediaType: MediaType.dockerManifestList }));
    assert.equal(list.kind, 'index');
    assert.equal(list.flavor, 'docker');
  });

  it('takes the type from the hint, then from the shape, when the document has none', () => {
    const { mediaType: _m, ...bare } = ociManifest;
    assert.equal(parseManifestOrIndex(json(bare), MediaType.dockerManifest).mediaType, MediaType.dockerManifest);
    assert.equal(parseManifestOrIndex(json(bare), 'application/json; charset=utf-8').mediaType, MediaType.ociManifest);
    const { mediaType: _i, ...bareIndex } = ociIndex;
    assert.equal(parseManifestOrIndex(json(bareIndex)).kind, 'index');
    assert.equal('mediaType' in parseManifest(json(bare)), false, 'an absent mediaType stays absent');
  });

  it('ignores unknown fields and treats null as absent', () => {
    const m = parseManifest(json({ ...ociManifest, extra: 1, annotations: null, config: { ...config, urls: null } }));
    assert.deepEqual(m, { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [layer] });
  });

  it('reads OCI 1.1 fields', () => {
    const withSubject = { ...ociManifest, artifactType: 'application/x.sig', subject: { mediaType: MediaType.ociManifest, digest: d('s'), size: 1 } };
    assert.deepEqual(parseManifest(json(withSubject)), withSubject);
    const desc = parseDescriptor({ mediaType: 'a/b', digest: d('x'), size: 0, data: 'e30=', artifactType: 'x/y', platform: { os: 'linux', architecture: 'arm64', variant: '' } });
    assert.deepEqual(desc.platform, { os: 'linux', architecture: 'arm64' });
    assert.equal(desc.data, 'e30=');
  });

  const bad: [string, string, string | undefined, RegExp][] = [
    ['not JSON', '{', undefined, /manifest: is not valid JSON/],
    ['an array', '[]', undefined, /must be a JSON object, not an array/],
    ['schema 1', json({ schemaVersion: 1, name: 'x' }), undefined, /Docker schema 1 manifest, which hull does not read/],
    ['schema 1 by type', json({}), MediaType.dockerSchema1Signed, /schema 1/],
    ['a type contradicting the hint', json(ociManifest), MediaType.dockerManifest, /mediaType is "application\/vnd.oci.image.manifest.v1\+json" but the document was served as "application\/vnd.docker/],
    ['an unknown type', json({ ...ociManifest, mediaType: 'application/x-foo' }), undefined, /neither an image manifest nor an index/],
    ['no shape', json({ schemaVersion: 2 }), undefined, /has no mediaType and neither "manifests"/],
    ['schemaVersion 3', json({ ...ociManifest, schemaVersion: 3 }), undefined, /OCI image manifest: schemaVersion must be 2, not 3/],
    ['a bad layer digest', json({ ...ociManifest, layers: [{ ...layer, digest: 'sha256:xyz' }] }), undefined, /layers\[0\]\.digest "sha256:xyz" is not a valid digest/],
    ['a negative size', json({ ...ociManifest, config: { ...config, size: -1 } }), undefined, /config\.size must be at least 0, not -1/],
    ['a fractional size', json({ ...ociManifest, config: { ...config, size: 1.5 } }), undefined, /config\.size must be an integer/],
    ['a missing media type', json({ ...ociManifest, config: { digest: config.digest, size: 1 } }), undefined, /config\.mediaType must be a string, not missing/],
    ['layers not an array', json({ ...ociManifest, layers: {} }), undefined, /layers must be an array, not an object/],
    ['a bad annotation', json({ ...ociManifest, annotations: { a: 1 } }), undefined, /annotations\["a"\] must be a string, not number 1/],
    ['a platform without os', json({ ...ociIndex, manifests: [{ ...ociIndex.manifests[0], platform: { architecture: 'amd64' } }] }), undefined, /manifests\[0\]\.platform\.os must be a string, not missing/],
    ['a manifest served as an index', json({ ...ociManifest, mediaType: undefined }), MediaType.ociIndex, /OCI image index: manifests must be an array, not missing/],
  ];
  for (const [what, body, hint, message] of bad) {
    it(`refuses ${what}`, () => {
      assert.throws(() => parseManifestOrIndex(body, hint), (err: unknown) => err instanceof ManifestError && message.test(err.message));
    });
  }

  it('insists on the kind asked for', () => {
    assert.throws(() => parseManifest(json(ociIndex)), /expected an image manifest, got OCI image index/);
    assert.throws(() => parseIndex(json(ociManifest)), /expected an image index, got OCI image manifest/);
    assert.equal(parseIndex(json(ociIndex)).manifests.length, 2);
  });

  it('builds and serialises documents canonically', () => {
    const m = createManifest(config, [layer]);
    assert.deepEqual(m, { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [layer] });
    const { bytes, descriptor } = serialize(m);
    assert.equal(descriptor.digest, sha256Of(bytes));
    assert.equal(descriptor.size, bytes.length);
    assert.equal(descriptor.mediaType, MediaType.ociManifest);
    assert.deepEqual(parseManifest(bytes), m, 'round trip');
    const reordered = { layers: [layer], config, mediaType: MediaType.ociManifest, schemaVersion: 2 as const };
    assert.equal(serialize(reordered).descriptor.digest, descriptor.digest, 'key order does not change the digest');
    const index = createIndex([{ ...descriptor, platform: { os: 'linux', architecture: 'amd64' } }], { 'org.opencontainers.image.created': 'now' });
    assert.equal(index.mediaType, MediaType.ociIndex);
    assert.equal(index.annotations?.['org.opencontainers.image.created'], 'now');
    assert.throws(() => serialize({}), ManifestError);
    assert.equal(serialize({ a: 1 }, MediaType.ociConfig).descriptor.mediaType, MediaType.ociConfig);
  });
});

describe('Docker ⇄ OCI conversion', () => {
  it('converts a Docker manifest to OCI and back without loss', () => {
    const docker = parseManifest(json(dockerManifest));
    const oci = dockerToOciManifest(docker);
    assert.equal(oci.mediaType, MediaType.ociManifest);
    assert.equal(oci.config.mediaType, MediaType.ociConfig);
    assert.deepEqual(oci.layers.map((l) => l.mediaType), [MediaType.ociLayerGzip, MediaType.ociLayerNondistributableGzip]);
    assert.deepEqual(oci.layers.map((l) => [l.digest, l.size]), docker.layers.map((l) => [l.digest, l.size]));
    assert.deepEqual(ociToDockerManifest(oci), docker);
  });

  it('refuses conversions that would lose something', () => {
    assert.throws(() => ociToDockerManifest(parseManifest(json(ociManifest))), /without losing its annotations/);
    const zstd = { ...ociManifest, annotations: undefined, layers: [{ ...layer, mediaType: MediaType.ociLayerZstd }] };
    assert.throws(() => ociToDockerManifest(parseManifest(json(zstd))), (e: unknown) => e instanceof ImageError && /layers\[0\].*zstd.*no equivalent/.test(e.message));
    assert.throws(() => dockerToOciManifest(parseManifest(json(ociManifest))), /expected a Docker schema 2 manifest/);
    const odd = { ...dockerManifest, config: { ...config, mediaType: 'application/x-other' } };
    assert.throws(() => dockerToOciManifest(parseManifest(json(odd))), /cannot convert a config of type application\/x-other/);
  });

  it('converts indexes, swapping in converted manifests', () => {
    const index = parseIndex(json(ociIndex));
    assert.throws(() => ociToDockerIndex(index), /manifests\[0\] is application\/vnd.oci.image.manifest.v1\+json; convert that manifest first/);
    const converted = new Map(index.manifests.map((m, i) => [m.digest, { mediaType: MediaType.dockerManifest, digest: d(`docker${i}`), size: 9 }]));
    const list = ociToDockerIndex(index, converted);
    assert.equal(list.mediaType, MediaType.dockerManifestList);
    assert.deepEqual(list.manifests.map((m) => m.platform), index.manifests.map((m) => m.platform), 'platforms carried over');
    assert.deepEqual(list.manifests.map((m) => m.digest), [d('docker0'), d('docker1')]);
    const back = dockerToOciIndex(list);
    assert.equal(back.mediaType, MediaType.ociIndex);
    assert.deepEqual(back.manifests, list.manifests, 'OCI indexes may list Docker manifests as they are');
    const noPlatform = { ...ociIndex, manifests: [{ mediaType: MediaType.dockerManifest, digest: d('x'), size: 1 }] };
    assert.throws(() => ociToDockerIndex(parseIndex(json(noPlatform))), /manifests\[0\] has no platform/);
  });
});
