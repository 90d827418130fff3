import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadRegistryConfig } from '../../src/registry/config.js';
import { endpointsFor, isInsecure } from '../../src/registry/hosts.js';

const none = { mirrors: [], insecure: [] };

test('Docker Hub is registry-1.docker.io over HTTPS, after its mirrors for pulls only', async () => {
  assert.deepEqual(
    (await endpointsFor('docker.io', none, [])).map((e) => e.url),
    ['https://registry-1.docker.io'],
  );
  const config = { mirrors: ['https://mirror.example/', 'http://10.0.0.5:5000/prefix'], insecure: [] };
  const pull = await endpointsFor('docker.io', config, []);
  assert.deepEqual(
    pull.map((e) => [e.url, e.mirror]),
    [
      ['https://mirror.example', true],
      ['http://10.0.0.5:5000/prefix', true],
      ['https://registry-1.docker.io', false],
    ],
  );
  assert.deepEqual(
    (await endpointsFor('docker.io', config, [], 'push')).map((e) => e.url),
    ['https://registry-1.docker.io'],
  );
  assert.deepEqual(
    (await endpointsFor('ghcr.io', config, [])).map((e) => e.url),
    ['https://ghcr.io'],
  );
});

test('plain HTTP only as a fallback for loopback and listed insecure hosts', async () => {
  assert.deepEqual(
    (await endpointsFor('registry.example:5000', none, [])).map((e) => e.url),
    ['https://registry.example:5000'],
  );
  assert.deepEqual(
    (await endpointsFor('localhost:5000', none, [])).map((e) => e.url),
    ['https://localhost:5000', 'http://localhost:5000'],
  );
  for (const host of ['127.0.0.1:5000', '127.1.2.3', '[::1]:5000', 'localhost']) assert.ok(isInsecure(host, []), host);
  assert.ok(!isInsecure('128.0.0.1:5000', []));
  assert.ok(isInsecure('reg.lan:5000', ['reg.lan:5000']));
  assert.ok(isInsecure('reg.lan:5000', ['reg.lan']));
  assert.ok(!isInsecure('reg.lan:5001', ['reg.lan:5000']));
  assert.ok(isInsecure('10.1.2.3:5000', ['10.0.0.0/8']));
  assert.ok(!isInsecure('11.1.2.3:5000', ['10.0.0.0/8']));
});

test('certs.d: CAs, a client certificate pair, and no verification for insecure hosts without a CA', async () => {
  const base = await mkdtemp(join(tmpdir(), 'hull-certsd-'));
  try {
    await mkdir(join(base, 'reg.example:5000'), { recursive: true });
    await writeFile(join(base, 'reg.example:5000', 'ca.crt'), 'CA PEM');
    await writeFile(join(base, 'reg.example:5000', 'client.cert'), 'CERT PEM');
    await writeFile(join(base, 'reg.example:5000', 'client.key'), 'KEY PEM');
    const [https] = await endpointsFor('reg.example:5000', none, [join(base, 'missing'), base]);
    assert.deepEqual(https?.tls, { verify: true, ca: ['CA PEM'], cert: 'CERT PEM', key: 'KEY PEM' });
    const [insecure] = await endpointsFor('other:5000', { mirrors: [], insecure: ['other:5000'] }, [base]);
    assert.equal(insecure?.tls?.verify, false);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('config: hull config and daemon.json merged, a malformed file named in the error', async () => {
  const d = await mkdtemp(join(tmpdir(), 'hull-config-'));
  try {
    await writeFile(join(d, 'hull.json'), JSON.stringify({ 'registry-mirrors': ['https://m1'], 'insecure-registries': ['a:1'] }));
    await writeFile(join(d, 'daemon.json'), JSON.stringify({ 'registry-mirrors': ['https://m2', 'https://m1'] }));
    const env = { HULL_CONFIG: join(d, 'hull.json'), HULL_DOCKER_DAEMON_JSON: join(d, 'daemon.json') };
    assert.deepEqual(await loadRegistryConfig(env), { mirrors: ['https://m1', 'https://m2'], insecure: ['a:1'] });
    await writeFile(join(d, 'daemon.json'), '{"registry-mirrors": "x"}');
    await assert.rejects(loadRegistryConfig(env), /daemon\.json: "registry-mirrors" must be a list/);
  } finally {
    await rm(d, { recursive: true, force: true });
  }
});
