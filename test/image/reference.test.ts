import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  familiarName,
  familiarString,
  formatReference,
  InvalidReferenceError,
  isValidTag,
  normalizeReference,
  parseReference,
  repositoryName,
  withDigest,
  withTag,
} from '../../src/image/index.js';

const H = 'f'.repeat(64);
const D = `sha256:${H}`;
const D512 = `sha512:${'f'.repeat(128)}`;

/** input → full normalised form, domain, path, tag, familiar form. */
const GOOD: [string, string, string, string, string | undefined, string][] = [
  ['alpine', 'docker.io/library/alpine:latest', 'docker.io', 'library/alpine', 'latest', 'alpine:latest'],
  ['alpine:3.19', 'docker.io/library/alpine:3.19', 'docker.io', 'library/alpine', '3.19', 'alpine:3.19'],
  ['user/app', 'docker.io/user/app:latest', 'docker.io', 'user/app', 'latest', 'user/app:latest'],
  ['library/ubuntu', 'docker.io/library/ubuntu:latest', 'docker.io', 'library/ubuntu', 'latest', 'ubuntu:latest'],
  ['docker.io/ubuntu', 'docker.io/library/ubuntu:latest', 'docker.io', 'library/ubuntu', 'latest', 'ubuntu:latest'],
  ['docker.io/library/ubuntu', 'docker.io/library/ubuntu:latest', 'docker.io', 'library/ubuntu', 'latest', 'ubuntu:latest'],
  ['index.docker.io/fooo/bar', 'docker.io/fooo/bar:latest', 'docker.io', 'fooo/bar', 'latest', 'fooo/bar:latest'],
  ['index.docker.io/debian', 'docker.io/library/debian:latest', 'docker.io', 'library/debian', 'latest', 'debian:latest'],
  ['library/foo/bar', 'docker.io/library/foo/bar:latest', 'docker.io', 'library/foo/bar', 'latest', 'library/foo/bar:latest'],
  ['other/library', 'docker.io/other/library:latest', 'docker.io', 'other/library', 'latest', 'other/library:latest'],
  ['localhost/x', 'localhost/x:latest', 'localhost', 'x', 'latest', 'localhost/x:latest'],
  ['localhost:5000/x', 'localhost:5000/x:latest', 'localhost:5000', 'x', 'latest', 'localhost:5000/x:latest'],
  ['localhost:5000/a/b:v1', 'localhost:5000/a/b:v1', 'localhost:5000', 'a/b', 'v1', 'localhost:5000/a/b:v1'],
  ['registry.example.com:443/a/b:tag', 'registry.example.com:443/a/b:tag', 'registry.example.com:443', 'a/b', 'tag', 'registry.example.com:443/a/b:tag'],
  ['example.com/privatebase', 'example.com/privatebase:latest', 'example.com', 'privatebase', 'latest', 'example.com/privatebase:latest'],
  ['127.0.0.1:8000/private/moonbase', '127.0.0.1:8000/private/moonbase:latest', '127.0.0.1:8000', 'private/moonbase', 'latest', '127.0.0.1:8000/private/moonbase:latest'],
  ['192.168.1.1/repo', '192.168.1.1/repo:latest', '192.168.1.1', 'repo', 'latest', '192.168.1.1/repo:latest'],
  ['[2001:db8::1]/repo', '[2001:db8::1]/repo:latest', '[2001:db8::1]', 'repo', 'latest', '[2001:db8::1]/repo:latest'],
  ['[2001:db8::1]:5000/repo:tag', '[2001:db8::1]:5000/repo:tag', '[2001:db8::1]:5000', 'repo', 'tag', '[2001:db8::1]:5000/repo:tag'],
  ['[::1]:5000/repo', '[::1]:5000/repo:latest', '[::1]:5000', 'repo', 'latest', '[::1]:5000/repo:latest'],
  ['xn--n3h.com/myimage:xn--n3h.com', 'xn--n3h.com/myimage:xn--n3h.com', 'xn--n3h.com', 'myimage', 'xn--n3h.com', 'xn--n3h.com/myimage:xn--n3h.com'],
  ['b.gcr.io/test.example.com/my-app:test.example.com', 'b.gcr.io/test.example.com/my-app:test.example.com', 'b.gcr.io', 'test.example.com/my-app', 'test.example.com', 'b.gcr.io/test.example.com/my-app:test.example.com'],
  ['sub-dom1.foo.com/bar/baz/quux:some-long-tag', 'sub-dom1.foo.com/bar/baz/quux:some-long-tag', 'sub-dom1.foo.com', 'bar/baz/quux', 'some-long-tag', 'sub-dom1.foo.com/bar/baz/quux:some-long-tag'],
  // A name with a dot and no slash is a repository on Docker Hub, the part after ":" a tag.
  ['test.com:5000', 'docker.io/library/test.com:5000', 'docker.io', 'library/test.com', '5000', 'test.com:5000'],
  ['localhost:5000', 'docker.io/library/localhost:5000', 'docker.io', 'library/localhost', '5000', 'localhost:5000'],
  ['foo_bar.com:8080', 'docker.io/library/foo_bar.com:8080', 'docker.io', 'library/foo_bar.com', '8080', 'foo_bar.com:8080'],
  ['foo/foo_bar.com:8080', 'docker.io/foo/foo_bar.com:8080', 'docker.io', 'foo/foo_bar.com', '8080', 'foo/foo_bar.com:8080'],
  ['lowercase:Uppercase', 'docker.io/library/lowercase:Uppercase', 'docker.io', 'library/lowercase', 'Uppercase', 'lowercase:Uppercase'],
  ['dock__er/docker', 'docker.io/dock__er/docker:latest', 'docker.io', 'dock__er/docker', 'latest', 'dock__er/docker:latest'],
  ['docker---rules/docker', 'docker.io/docker---rules/docker:latest', 'docker.io', 'docker---rules/docker', 'latest', 'docker---rules/docker:latest'],
  ['d/docker', 'docker.io/d/docker:latest', 'docker.io', 'd/docker', 'latest', 'd/docker:latest'],
  ['a:_tag', 'docker.io/library/a:_tag', 'docker.io', 'library/a', '_tag', 'a:_tag'],
  // An uppercase first segment is taken for a registry host, as Docker does.
  ['Foo/bar', 'Foo/bar:latest', 'Foo', 'bar', 'latest', 'Foo/bar:latest'],
  // 64 hex digits are refused only as a whole reference: with a registry they are a name.
  [`docker.io/${'1a3f'.repeat(16)}`, `docker.io/library/${'1a3f'.repeat(16)}:latest`, 'docker.io', `library/${'1a3f'.repeat(16)}`, 'latest', `${'1a3f'.repeat(16)}:latest`],
  [`${H.slice(1)}`, `docker.io/library/${H.slice(1)}:latest`, 'docker.io', `library/${H.slice(1)}`, 'latest', `${H.slice(1)}:latest`],
  [`${'a'.repeat(247)}`, `docker.io/library/${'a'.repeat(247)}:latest`, 'docker.io', `library/${'a'.repeat(247)}`, 'latest', `${'a'.repeat(247)}:latest`],
  [`a:${'t'.repeat(128)}`, `docker.io/library/a:${'t'.repeat(128)}`, 'docker.io', 'library/a', 't'.repeat(128), `a:${'t'.repeat(128)}`],
];

describe('image references', () => {
  for (const [input, full, domain, path, tag, familiar] of GOOD) {
    it(`normalises ${input.length > 60 ? `${input.slice(0, 60)}…` : input}`, () => {
      const ref = parseReference(input);
      assert.equal(ref.domain, domain);
      assert.equal(ref.path, path);
      assert.equal(ref.tag, tag);
      assert.equal(ref.digest, undefined);
      assert.equal(formatReference(ref), full);
      assert.equal(normalizeReference(input), full);
      assert.equal(familiarString(ref), familiar);
      assert.deepEqual(parseReference(full), ref, 'the full form parses to the same reference');
      assert.deepEqual(parseReference(familiar), ref, 'the familiar form parses to the same reference');
    });
  }

  it('keeps digests, alone or with a tag', () => {
    const pinned = parseReference(`alpine@${D}`);
    assert.deepEqual(pinned, { domain: 'docker.io', path: 'library/alpine', digest: D });
    assert.equal(formatReference(pinned), `docker.io/library/alpine@${D}`);
    assert.equal(familiarString(pinned), `alpine@${D}`);
    const both = parseReference(`busybox:latest@${D}`);
    assert.deepEqual(both, { domain: 'docker.io', path: 'library/busybox', tag: 'latest', digest: D });
    assert.equal(familiarString(both), `busybox:latest@${D}`);
    assert.equal(formatReference(parseReference(`test:5000/repo:tag@${D}`)), `test:5000/repo:tag@${D}`);
    assert.equal(parseReference(`xn--7o8h.com/myimage:xn--7o8h.com@${D512}`).digest, D512);
  });

  it('adds :latest only when asked', () => {
    assert.equal(parseReference('alpine', { defaultTag: false }).tag, undefined);
    assert.equal(formatReference(parseReference('alpine', { defaultTag: false })), 'docker.io/library/alpine');
  });

  it('names repositories in full and familiar forms', () => {
    const ref = parseReference('docker.io/library/alpine:3');
    assert.equal(repositoryName(ref), 'docker.io/library/alpine');
    assert.equal(familiarName(ref), 'alpine');
    assert.equal(familiarName(parseReference('quay.io/library/x')), 'quay.io/library/x');
    assert.equal(familiarName(parseReference('user/x')), 'user/x');
  });

  it('retags and pins', () => {
    const ref = parseReference('alpine:3');
    assert.equal(formatReference(withTag(ref, 'edge')), 'docker.io/library/alpine:edge');
    assert.equal(formatReference(withDigest(ref, D)), `docker.io/library/alpine:3@${D}`);
    assert.throws(() => withTag(ref, '-x'), InvalidReferenceError);
    assert.throws(() => withDigest(ref, 'sha256:1'), InvalidReferenceError);
    assert.ok(isValidTag('v1.0_rc-2') && !isValidTag('') && !isValidTag('.x') && !isValidTag('t'.repeat(129)));
  });

  /** input → a pattern the reason must match. */
  const BAD: [string, RegExp][] = [
    ['', /the reference is empty/],
    [':justtag', /repository name is missing before ":"/],
    [`@${D}`, /repository name is missing before "@"/],
    ['repo@sha256:ffffffffffffffffffffffffffffffffff', /digest "sha256:f+": a sha256 digest has 64 hex digits, this one has 34/],
    [`validname@invaliddigest:${H}`, /unsupported algorithm "invaliddigest"/],
    [`a@${D}@${D}`, /more than one "@"/],
    ['Uppercase:tag', /repository name "Uppercase" must be lowercase/],
    ['test:5000/Uppercase/lowercase:tag', /repository name "Uppercase\/lowercase" must be lowercase/],
    ['docker/Docker', /must be lowercase/],
    ['docker.io/docker/Docker', /must be lowercase/],
    [`${'a/'.repeat(128)}a:tag`, /the repository path "a\/a\/.*" is 257 characters long; the limit is 255/],
    // Docker Hub's library/ prefix counts towards the limit.
    ['a'.repeat(248), /is 256 characters long; the limit is 255/],
    ['aa/asdf$$^/aa', /"asdf\$\$\^" is not a valid repository path component/],
    ['-docker', /"-docker" is not a valid repository path component/],
    ['-docker/docker', /"-docker" is not a valid/],
    ['docker-/docker', /"docker-" is not a valid/],
    ['____/____', /"____" is not a valid/],
    ['_docker/_docker', /"_docker" is not a valid/],
    // A first segment with a dot is a registry host.
    ['dock..er/docker', /registry "dock\.\.er": a host name label is empty/],
    ['dock_.er/docker', /registry "dock_\.er": "dock_" is not a valid host name label/],
    ['docker/dock..er', /"dock\.\.er" is not a valid repository path component/],
    ['dock___er/docker', /"dock___er" is not a valid/],
    ['docker/', /empty path component/],
    ['docker///docker', /empty path component/],
    ['localhost:5000/', /the repository name is empty/],
    ['-docker.io/docker/docker', /registry "-docker\.io": "-docker" is not a valid host name label/],
    ['a..b.com/x', /a host name label is empty/],
    ['https://github.com/docker/docker', /leave out the URL scheme/],
    ['example.com:/x', /the port must be a number, and it is empty/],
    ['example.com:80a/x', /the port must be a number, not "80a"/],
    ['fc00::1:5000/debian', /the port must be a number/],
    ['[fe80::1%eth0]:5000/debian', /IPv6 address in brackets/],
    ['[2001:db8::1]', /not a valid repository path component/],
    ['[2001:db8::1]:5000', /not a valid repository path component/],
    [H, /64 hexadecimal digits are an image ID/],
    ['alpine:', /the tag after ":" is empty/],
    ['alpine:-x', /tag "-x" may contain only letters, digits/],
    ['alpine:.x', /must not start with "\." or "-"/],
    ['alpine:a:b', /tag "a:b"/],
    ['alpine:a+b', /tag "a\+b"/],
    [`alpine:${'t'.repeat(129)}`, /the tag is 129 characters long; the limit is 128/],
    ['alp ine', /whitespace at position 4/],
    ['alpine\n', /whitespace/],
    ['café', /"café" is not a valid repository path component/],
  ];
  for (const [input, reason] of BAD) {
    it(`rejects ${JSON.stringify(input.length > 50 ? `${input.slice(0, 50)}…` : input)}`, () => {
      assert.throws(
        () => parseReference(input),
        (err: unknown) => {
          assert.ok(err instanceof InvalidReferenceError, String(err));
          assert.equal(err.reference, input);
          assert.match(err.reason, reason);
          assert.equal(err.message, `invalid reference "${input}": ${err.reason}`);
          return true;
        },
      );
    });
  }
});
