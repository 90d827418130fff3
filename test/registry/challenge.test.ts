import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findChallenge, parseChallenges } from '../../src/registry/challenge.js';

test('a Bearer challenge as distribution and Docker Hub send it', () => {
  const [c] = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"');
  assert.deepEqual(c, {
    scheme: 'bearer',
    params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' },
  });
});

test('commas inside a quoted scope stay in the value', () => {
  const [c] = parseChallenges('Bearer realm="https://r/t",scope="repository:a/b:pull,push",service="s"');
  assert.equal(c?.params.scope, 'repository:a/b:pull,push');
  assert.equal(c?.params.service, 's');
});

test('Basic with a realm; scheme and parameter names are case-insensitive', () => {
  assert.deepEqual(parseChallenges('BASIC Realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
});

test('escaped quotes and backslashes inside quoted strings', () => {
  const [c] = parseChallenges('Bearer realm="a \\"quoted\\" realm\\\\x", error="insufficient_scope"');
  assert.equal(c?.params.realm, 'a "quoted" realm\\x');
  assert.equal(c?.params.error, 'insufficient_scope');
});

test('spaces around "=" and between parameters, unquoted token values', () => {
  const [c] = parseChallenges('Bearer  realm = "https://r/t" ,  service=reg.example ,scope="x"');
  assert.deepEqual(c?.params, { realm: 'https://r/t', service: 'reg.example', scope: 'x' });
});

test('several challenges in one header value, and across header values', () => {
  const list = parseChallenges('Basic realm="a", Bearer realm="b",service="c"');
  assert.deepEqual(
    list.map((c) => [c.scheme, c.params.realm]),
    [
      ['basic', 'a'],
      ['bearer', 'b'],
    ],
  );
  assert.equal(findChallenge(list, 'bearer')?.params.service, 'c');
  const two = parseChallenges(['Negotiate', 'Basic realm="x"']);
  assert.deepEqual(
    two.map((c) => c.scheme),
    ['negotiate', 'basic'],
  );
});

test('a token68 after the scheme is skipped, parameters of a later challenge still read', () => {
  const list = parseChallenges('Negotiate YIIBAAo=, Basic realm="r"');
  assert.deepEqual(
    list.map((c) => c.scheme),
    ['negotiate', 'basic'],
  );
  assert.equal(list[1]?.params.realm, 'r');
});

test('a "=" inside a quoted value is data, and an empty quoted value is kept', () => {
  const [c] = parseChallenges('Bearer realm="https://r/t?a=b&c=d",service=""');
  assert.equal(c?.params.realm, 'https://r/t?a=b&c=d');
  assert.equal(c?.params.service, '');
});

test('an unterminated quoted string ends at the end of the header', () => {
  const [c] = parseChallenges('Bearer realm="https://r/t');
  assert.equal(c?.params.realm, 'https://r/t');
});

test('nothing, empty or junk gives no challenge rather than an exception', () => {
  assert.deepEqual(parseChallenges(undefined), []);
  assert.deepEqual(parseChallenges(''), []);
  assert.deepEqual(parseChallenges(' , ,'), []);
  assert.doesNotThrow(() => parseChallenges('"=,=" Bearer ="x"'));
});
