import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { eraseCredentials, getCredentials, storeCredentials } from '../../src/registry/credentials.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hull-creds-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function envWith(name: string, config: object): Promise<NodeJS.ProcessEnv> {
  const d = join(dir, name);
  await mkdir(d, { recursive: true });
  await writeFile(join(d, 'config.json'), JSON.stringify(config));
  return { DOCKER_CONFIG: d, PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}` };
}

test('auths: base64 user:pass, identity tokens, Docker Hub under its legacy key, old-style URL keys', async () => {
  const env = await envWith('auths', {
    auths: {
      'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hub:pass').toString('base64') },
      'https://reg.example:5000/v1/': { auth: Buffer.from('u:p').toString('base64') },
      'tok.example': { identitytoken: 'refresh-123' },
    },
  });
  assert.deepEqual(await getCredentials('docker.io', env), { username: 'hubuser', password: 'hub:pass' });
  assert.deepEqual(await getCredentials('reg.example:5000', env), { username: 'u', password: 'p' });
  assert.deepEqual(await getCredentials('tok.example', env), { identityToken: 'refresh-123' });
  assert.equal(await getCredentials('nowhere.example', env), undefined);
});

test('credsStore and credHelpers run docker-credential-NAME get/store/erase', async () => {
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  const db = join(dir, 'helper-db');
  // A fake helper keeping one JSON file per server URL, speaking the helper protocol.
  await writeFile(
    join(bin, 'docker-credential-test'),
    `#!/bin/sh
set -e
db=${db}; mkdir -p "$db"
case "$1" in
  get) url=$(cat); f="$db/$(echo "$url" | tr '/:' '__')"; if [ -f "$f" ]; then cat "$f"; else echo "credentials not found in native keychain"; exit 1; fi ;;
  store) json=$(cat); url=$(echo "$json" | sed 's/.*"ServerURL":"\\([^"]*\\)".*/\\1/'); echo "$json" > "$db/$(echo "$url" | tr '/:' '__')" ;;
  erase) url=$(cat); f="$db/$(echo "$url" | tr '/:' '__')"; [ -f "$f" ] || { echo "credentials not found in native keychain"; exit 1; }; rm "$f" ;;
esac
`,
  );
  await chmod(join(bin, 'docker-credential-test'), 0o755);
  const env = await envWith('helpers', { credHelpers: { 'reg.example': 'test' } });
  assert.equal(await getCredentials('reg.example', env), undefined);
  assert.equal(await storeCredentials('reg.example', { username: 'alice', password: 'pw' }, env), 'docker-credential-test');
  assert.deepEqual(await getCredentials('reg.example', env), { username: 'alice', password: 'pw' });
  await storeCredentials('reg.example', { identityToken: 'idtok' }, env);
  assert.deepEqual(await getCredentials('reg.example', env), { identityToken: 'idtok' });
  assert.equal(await eraseCredentials('reg.example', env), true);
  assert.equal(await getCredentials('reg.example', env), undefined);

  const store = await envWith('store', { credsStore: 'test' });
  await storeCredentials('docker.io', { username: 'hub', password: 'x' }, store);
  assert.deepEqual(await getCredentials('docker.io', store), { username: 'hub', password: 'x' });
  const missing = await envWith('missing', { credsStore: 'nosuchhelper' });
  await assert.rejects(getCredentials('docker.io', missing), /docker-credential-nosuchhelper is not installed/);
});

test('store writes config.json with mode 0600 and keeps other keys; erase removes the entry', async () => {
  const env = await envWith('file', { auths: {}, psFormat: 'table' });
  await storeCredentials('reg.example', { username: 'bob', password: 'secret' }, env);
  const file = join(env.DOCKER_CONFIG!, 'config.json');
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  const doc = JSON.parse(await readFile(file, 'utf8')) as { psFormat: string };
  assert.equal(doc.psFormat, 'table');
  assert.deepEqual(await getCredentials('reg.example', env), { username: 'bob', password: 'secret' });
  assert.equal(await eraseCredentials('reg.example', env), true);
  assert.equal(await eraseCredentials('reg.example', env), false);
});
