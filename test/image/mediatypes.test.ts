import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  convertLayerMediaType,
  isConfigMediaType,
  isForeignLayer,
  isIndexMediaType,
  isLayerMediaType,
  isManifestMediaType,
  layerCompression,
  layerMediaType,
  MediaType,
} from '../../src/image/index.js';

describe('media types', () => {
  it('tells indexes, manifests and configs apart', () => {
    assert.ok(isIndexMediaType(MediaType.ociIndex));
    assert.ok(isIndexMediaType(MediaType.dockerManifestList));
    assert.ok(!isIndexMediaType(MediaType.ociManifest));
    assert.ok(isManifestMediaType(MediaType.ociManifest));
    assert.ok(isManifestMediaType(MediaType.dockerManifest));
    assert.ok(!isManifestMediaType(MediaType.dockerSchema1Signed));
    assert.ok(isConfigMediaType(MediaType.dockerConfig) && isConfigMediaType(MediaType.ociConfig));
    assert.ok(!isLayerMediaType(MediaType.ociConfig));
  });

  it('knows every layer compression', () => {
    const table: [string, string][] = [
      [MediaType.ociLayer, 'none'],
      [MediaType.ociLayerGzip, 'gzip'],
      [MediaType.ociLayerZstd, 'zstd'],
      [MediaType.ociLayerNondistributableGzip, 'gzip'],
      [MediaType.dockerLayerGzip, 'gzip'],
      [MediaType.dockerLayer, 'none'],
      [MediaType.dockerLayerZstd, 'zstd'],
      [MediaType.dockerForeignLayerGzip, 'gzip'],
    ];
    for (const [type, compression] of table) assert.equal(layerCompression(type), compression, type);
    assert.equal(layerCompression('application/json'), undefined);
  });

  it('flags foreign and nondistributable layers', () => {
    assert.ok(isForeignLayer(MediaType.dockerForeignLayerGzip));
    assert.ok(isForeignLayer(MediaType.ociLayerNondistributable));
    assert.ok(!isForeignLayer(MediaType.ociLayerGzip));
  });

  it('names the layers hull writes', () => {
    assert.equal(layerMediaType('gzip'), MediaType.ociLayerGzip);
    assert.equal(layerMediaType('none'), MediaType.ociLayer);
    assert.equal(layerMediaType('zstd'), MediaType.ociLayerZstd);
    assert.equal(layerMediaType('gzip', 'docker'), MediaType.dockerLayerGzip);
  });

  it('maps layer types between the families where one exists', () => {
    assert.equal(convertLayerMediaType(MediaType.dockerLayerGzip, 'oci'), MediaType.ociLayerGzip);
    assert.equal(convertLayerMediaType(MediaType.dockerForeignLayerGzip, 'oci'), MediaType.ociLayerNondistributableGzip);
    assert.equal(convertLayerMediaType(MediaType.ociLayerGzip, 'docker'), MediaType.dockerLayerGzip);
    assert.equal(convertLayerMediaType(MediaType.ociLayer, 'docker'), MediaType.dockerLayer);
    assert.equal(convertLayerMediaType(MediaType.ociLayerZstd, 'docker'), undefined);
    assert.equal(convertLayerMediaType(MediaType.ociLayerNondistributable, 'docker'), undefined);
    assert.equal(convertLayerMediaType(MediaType.ociLayerGzip, 'oci'), MediaType.ociLayerGzip);
  });
});
