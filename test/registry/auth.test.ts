// The token cache: tokens are reused until shortly before they expire, and never for their whole life.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Authenticator, type TokenFetch } from '../../src/registry/auth.js';

const CHALLENGE = 'Bearer realm="https://auth.example/token",service="registry.example"';
const SCOPES = ['repository:app:pull'];

function authenticator(expiresIn: number) {
  let clock = 0;
  let issued = 0;
  const fetchToken: TokenFetch = async () => ({ status: 200, text: JSON.stringify({ token: `t${++issued}`, expires_in: expiresIn }) });
  const auth = new Authenticator('registry.example', async () => undefined, fetchToken, () => clock);
  return { auth, advance: (ms: number) => void (clock += ms), issued: () => issued };
}

test('a token is reused until 5 s before it expires', async () => {
  const { auth, advance, issued } = authenticator(300);
  await auth.challenged(CHALLENGE, SCOPES, undefined);
  assert.equal(await auth.authorization(SCOPES), 'Bearer t1');
  advance(294_000);
  assert.equal(await auth.authorization(SCOPES), 'Bearer t1');
  advance(2_000);
  assert.equal(await auth.authorization(SCOPES), 'Bearer t2');
  assert.equal(issued(), 2);
});

test('a short-lived token is renewed at half its life, not before every request', async () => {
  const { auth, advance, issued } = authenticator(2);
  await auth.challenged(CHALLENGE, SCOPES, undefined);
  await auth.authorization(SCOPES);
  advance(900);
  await auth.authorization(SCOPES);
  assert.equal(issued(), 1);
  advance(200);
  await auth.authorization(SCOPES);
  assert.equal(issued(), 2);
});
