import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { HullError } from '../../src/errors.js';
import {
  digestAlgorithm,
  digestHex,
  DigestHasher,
  digestOf,
  InvalidDigestError,
  isDigest,
  parseDigest,
  sha256Of,
  shortDigest,
} from '../../src/image/index.js';

const EMPTY = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('digests', () => {
  it('hashes bytes and strings with sha256', () => {
    assert.equal(sha256Of(new Uint8Array()), EMPTY);
    assert.equal(sha256Of('abc'), 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('accepts sha256 and sha512 digests', () => {
    assert.equal(parseDigest(EMPTY), EMPTY);
    const sha512 = `sha512:${'ab'.repeat(64)}`;
    assert.equal(parseDigest(sha512), sha512);
    assert.equal(digestAlgorithm(parseDigest(sha512)), 'sha512');
    assert.equal(digestHex(parseDigest(EMPTY)), EMPTY.slice(7));
    assert.equal(shortDigest(parseDigest(EMPTY)), 'e3b0c44298fc');
  });

  const bad: [string, RegExp][] = [
    ['', /expected algorithm:hex/],
    ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', /expected algorithm:hex/],
    ['sha256:abc', /has 64 hex digits, this one has 3/],
    [`sha256:${'A'.repeat(64)}`, /must be lowercase/],
    [`sha256:${'g'.repeat(64)}`, /must be hexadecimal/],
    [`md5:${'a'.repeat(32)}`, /unsupported algorithm "md5"/],
    [`SHA256:${'a'.repeat(64)}`, /lowercase algorithm/],
    [`sha512:${'a'.repeat(64)}`, /has 128 hex digits, this one has 64/],
    [`sha256:${'a'.repeat(64)} `, /expected algorithm:hex/],
  ];
  for (const [text, message] of bad) {
    it(`rejects ${JSON.stringify(text.slice(0, 24))}`, () => {
      assert.throws(() => parseDigest(text), (err: unknown) => err instanceof InvalidDigestError && err instanceof HullError && message.test(err.message));
      assert.equal(isDigest(text), false);
    });
  }

  it('hashes streams chunk by chunk with their size', async () => {
    const hasher = new DigestHasher();
    hasher.update(Buffer.from('a')).update(Buffer.from('bc'));
    assert.equal(hasher.size, 3);
    assert.equal(hasher.digest(), sha256Of('abc'));
    assert.equal(hasher.digest(), sha256Of('abc'), 'digest() may be called twice');
    assert.throws(() => hasher.update(Buffer.from('x')));
    assert.deepEqual(await digestOf(Readable.from([Buffer.from('a'), 'bc'])), { digest: sha256Of('abc'), size: 3 });
    const big = await digestOf(Readable.from([Buffer.alloc(1 << 20, 1)]), 'sha512');
    assert.match(big.digest, /^sha512:[0-9a-f]{128}$/);
  });
});
