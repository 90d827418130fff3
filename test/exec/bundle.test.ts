import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSpec, DEFAULT_CAPABILITIES, DEFAULT_PATH, type BundleOptions } from '../../src/exec/bundle.js';
import { hostsFor, resolvConfFrom } from '../../src/exec/hostfiles.js';
import { OutputTail } from '../../src/exec/output.js';

const base: BundleOptions = {
  rootfs: '/r/merged',
  args: ['sh', '-c', 'true'],
  env: ['A=1'],
  cwd: '/app',
  user: { uid: 0, gid: 0 },
  network: 'host',
  hostname: 'hull',
  hostFiles: { resolvConf: '/t/resolv.conf', hosts: '/t/hosts', hostname: '/t/hostname' },
};

test('root gets Docker default capabilities, host network, the standard mounts and the injected files', () => {
  const s = buildSpec(base);
  assert.equal(s.process.terminal, false);
  assert.deepEqual(s.process.env, [`PATH=${DEFAULT_PATH}`, 'A=1']);
  assert.equal(s.process.cwd, '/app');
  assert.deepEqual(s.process.capabilities.effective, [...DEFAULT_CAPABILITIES]);
  assert.equal(DEFAULT_CAPABILITIES.length, 14);
  assert.deepEqual(s.root, { path: '/r/merged', readonly: false });
  assert.deepEqual(s.linux.namespaces.map((n) => n.type).sort(), ['ipc', 'mount', 'pid', 'uts']);
  assert.deepEqual(s.mounts.map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/etc/resolv.conf', '/etc/hosts', '/etc/hostname']);
  assert.ok(s.mounts.find((m) => m.destination === '/sys')!.options!.includes('ro'));
  assert.equal(s.mounts.find((m) => m.destination === '/etc/hosts')!.source, '/t/hosts');
});

test("network 'none' adds a network namespace; a set PATH is kept; a non-root user keeps only the bounding set", () => {
  const s = buildSpec({ ...base, network: 'none', env: ['PATH=/bin'], user: { uid: 5, gid: 6, additionalGids: [7] }, cwd: '' });
  assert.ok(s.linux.namespaces.some((n) => n.type === 'network'));
  assert.deepEqual(s.process.env, ['PATH=/bin']);
  assert.deepEqual(s.process.user, { uid: 5, gid: 6, additionalGids: [7] });
  assert.deepEqual(s.process.capabilities.effective, []);
  assert.equal(s.process.capabilities.bounding.length, 14);
  assert.equal(s.process.cwd, '/');
});

test('resolv.conf copies the host one, or falls back to public resolvers; hosts names localhost and the hostname', () => {
  assert.equal(resolvConfFrom('nameserver 10.0.0.1'), 'nameserver 10.0.0.1\n');
  assert.match(resolvConfFrom(undefined), /^nameserver 8\.8\.8\.8/);
  assert.match(resolvConfFrom('# nothing\n'), /8\.8\.4\.4/);
  assert.match(hostsFor('box'), /^127\.0\.0\.1\tlocalhost box$/m);
});

test('the output tail keeps the last lines, the unterminated one included', () => {
  const t = new OutputTail(3);
  t.push('a\nb\r\nc');
  t.push('\nd\ne');
  assert.deepEqual(t.tail(), ['c', 'd', 'e']);
});
