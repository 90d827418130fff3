import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HullError } from '../../src/errors.js';
import { armVariant, formatPlatform, hostPlatform, parsePlatform, platformArgs } from '../../src/graph/index.js';

describe('platforms', () => {
  it('parses and normalises platform strings', () => {
    assert.deepEqual(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'amd64' });
    assert.deepEqual(parsePlatform('linux/arm/v6'), { os: 'linux', architecture: 'arm', variant: 'v6' });
    assert.deepEqual(parsePlatform('linux/arm'), { os: 'linux', architecture: 'arm', variant: 'v7' });
    assert.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64' });
    assert.deepEqual(parsePlatform('Linux/AARCH64'), { os: 'linux', architecture: 'arm64' });
    assert.deepEqual(parsePlatform('linux/x86_64'), { os: 'linux', architecture: 'amd64' });
    assert.deepEqual(parsePlatform('arm64'), { os: 'linux', architecture: 'arm64' });
    assert.deepEqual(parsePlatform('armhf'), { os: 'linux', architecture: 'arm', variant: 'v7' });
    assert.deepEqual(parsePlatform('linux/armel'), { os: 'linux', architecture: 'arm', variant: 'v6' });
    assert.deepEqual(parsePlatform('windows/amd64'), { os: 'windows', architecture: 'amd64' });
  });

  it('rejects malformed platforms', () => {
    for (const bad of ['', 'linux/', '/amd64', 'a/b/c/d']) assert.throws(() => parsePlatform(bad), HullError, bad);
  });

  it('formats platforms', () => {
    assert.equal(formatPlatform({ os: 'linux', architecture: 'arm', variant: 'v7' }), 'linux/arm/v7');
    assert.equal(formatPlatform({ os: 'linux', architecture: 'amd64' }), 'linux/amd64');
  });

  it('reads the ARM generation from /proc/cpuinfo', () => {
    assert.equal(armVariant('processor\t: 0\nCPU architecture: 6\n'), 'v6');
    assert.equal(armVariant('CPU architecture: 7\n'), 'v7');
    assert.equal(armVariant('CPU architecture: 8\n'), 'v7');
    assert.equal(armVariant(''), 'v7');
  });

  it('maps the host architecture the way Docker names it', () => {
    const host = hostPlatform(() => 'CPU architecture: 6');
    const expected: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm' };
    if (expected[process.arch]) assert.equal(host.architecture, expected[process.arch]);
    if (process.arch === 'arm') assert.equal(host.variant, 'v6');
    else assert.equal(host.variant, undefined);
  });

  it('builds the eight predefined platform ARGs', () => {
    const args = platformArgs(parsePlatform('linux/arm/v6'), parsePlatform('linux/arm64'));
    assert.deepEqual(Object.fromEntries(args), {
      TARGETPLATFORM: 'linux/arm/v6',
      TARGETOS: 'linux',
      TARGETARCH: 'arm',
      TARGETVARIANT: 'v6',
      BUILDPLATFORM: 'linux/arm64',
      BUILDOS: 'linux',
      BUILDARCH: 'arm64',
      BUILDVARIANT: '',
    });
  });
});
