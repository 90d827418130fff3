import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  availablePlatforms,
  compatiblePlatforms,
  formatPlatform,
  hostPlatform,
  InvalidPlatformError,
  normalizePlatform,
  parsePlatform,
  PlatformMismatchError,
  platformFromOci,
  platformRank,
  samePlatform,
  selectPlatform,
  toOciPlatform,
  type OciPlatform,
} from '../../src/image/index.js';

const P = parsePlatform;
const entry = (name: string, platform?: OciPlatform) => ({ name, ...(platform ? { platform } : {}) });
const oci = (text: string): OciPlatform => {
  const [os, architecture, variant] = text.split('/') as [string, string, string | undefined];
  return variant ? { os, architecture, variant } : { os, architecture };
};

describe('platforms (image module)', () => {
  it('normalises the names Debian, uname and Docker use', () => {
    const table: [string, string][] = [
      ['linux/aarch64', 'linux/arm64'],
      ['linux/arm64/v8', 'linux/arm64'],
      ['linux/arm64/8', 'linux/arm64'],
      ['linux/arm64/v9', 'linux/arm64/v9'],
      ['linux/x86_64', 'linux/amd64'],
      ['linux/x86-64', 'linux/amd64'],
      ['linux/amd64/v1', 'linux/amd64'],
      ['linux/amd64/v3', 'linux/amd64/v3'],
      ['linux/armhf', 'linux/arm/v7'],
      ['linux/armel', 'linux/arm/v6'],
      ['linux/arm', 'linux/arm/v7'],
      ['linux/arm/7', 'linux/arm/v7'],
      ['linux/arm/v5', 'linux/arm/v5'],
      ['linux/i386', 'linux/386'],
      ['macos/arm64', 'darwin/arm64'],
      ['LINUX/ARM/V6', 'linux/arm/v6'],
      ['riscv64', 'linux/riscv64'],
    ];
    for (const [input, want] of table) assert.equal(formatPlatform(P(input)), want, input);
    assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'arm64', variant: '' }), { os: 'linux', architecture: 'arm64' });
    assert.ok(samePlatform({ os: 'linux', architecture: 'aarch64' }, { os: 'Linux', architecture: 'arm64', variant: 'v8' }));
    assert.ok(!samePlatform(P('linux/arm/v6'), P('linux/arm/v7')));
  });

  it('rejects malformed platforms with a typed error', () => {
    for (const bad of ['', 'linux/', '/amd64', 'a/b/c/d', 'linux//v7']) assert.throws(() => P(bad), InvalidPlatformError, bad);
  });

  it('converts to and from the OCI JSON shape', () => {
    assert.deepEqual(platformFromOci({ os: 'linux', architecture: 'arm64', variant: 'v8', 'os.features': ['x'] }), { os: 'linux', architecture: 'arm64' });
    assert.deepEqual(toOciPlatform(P('linux/arm/v7')), { architecture: 'arm', os: 'linux', variant: 'v7' });
    assert.deepEqual(toOciPlatform(P('linux/amd64')), { architecture: 'amd64', os: 'linux' });
  });

  it('derives the host platform from the Node architecture and /proc/cpuinfo', () => {
    const host = hostPlatform(() => 'CPU architecture: 7');
    assert.equal(host.os, 'linux');
    if (process.arch === 'x64') assert.deepEqual(host, { os: 'linux', architecture: 'amd64' });
    if (process.arch === 'arm64') assert.deepEqual(host, { os: 'linux', architecture: 'arm64' });
    if (process.arch === 'arm') assert.deepEqual(host, { os: 'linux', architecture: 'arm', variant: 'v7' });
  });
});

describe('platform matching', () => {
  it('lists what each platform can run, best first', () => {
    const f = (text: string) => compatiblePlatforms(P(text)).map(formatPlatform);
    assert.deepEqual(f('linux/arm64'), ['linux/arm64', 'linux/arm/v8', 'linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5']);
    assert.deepEqual(f('linux/arm64/v9'), ['linux/arm64/v9', 'linux/arm64', 'linux/arm/v8', 'linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5']);
    assert.deepEqual(f('linux/arm/v7'), ['linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5']);
    assert.deepEqual(f('linux/arm/v6'), ['linux/arm/v6', 'linux/arm/v5']);
    assert.deepEqual(f('linux/arm/v5'), ['linux/arm/v5']);
    assert.deepEqual(f('linux/amd64'), ['linux/amd64', 'linux/386']);
    assert.deepEqual(f('linux/amd64/v3'), ['linux/amd64/v3', 'linux/amd64/v2', 'linux/amd64', 'linux/386']);
    assert.deepEqual(f('linux/riscv64'), ['linux/riscv64']);
    assert.deepEqual(compatiblePlatforms({ os: 'linux', architecture: 'arm64', variant: 'v8.2' }).map(formatPlatform).slice(0, 2), ['linux/arm64/v8.2', 'linux/arm64']);
  });

  it('ranks candidates, strictly when asked', () => {
    assert.equal(platformRank(P('linux/arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' }), 0);
    assert.equal(platformRank(P('linux/arm/v7'), P('linux/arm/v6')), 1);
    assert.equal(platformRank(P('linux/arm/v6'), P('linux/arm/v7')), undefined, 'a v6 CPU cannot run v7 code');
    assert.equal(platformRank(P('linux/arm/v7'), P('linux/arm/v6'), { strict: true }), undefined);
    assert.equal(platformRank(P('linux/amd64'), P('windows/amd64')), undefined);
  });

  const INDEX = [
    entry('amd64', oci('linux/amd64')),
    entry('arm-v5', oci('linux/arm/v5')),
    entry('arm-v6', oci('linux/arm/v6')),
    entry('arm-v7', oci('linux/arm/v7')),
    entry('arm64', oci('linux/arm64/v8')),
    entry('attestation', oci('unknown/unknown')),
    entry('no-platform'),
  ];

  it('picks the exact match when there is one', () => {
    const pick = (text: string, entries = INDEX) => selectPlatform(entries, P(text)).name;
    assert.equal(pick('linux/arm64'), 'arm64', 'arm64 matches an arm64/v8 entry');
    assert.equal(pick('linux/arm64/v8'), 'arm64');
    assert.equal(pick('linux/arm/v7'), 'arm-v7');
    assert.equal(pick('linux/arm/v6'), 'arm-v6');
    assert.equal(pick('linux/amd64'), 'amd64');
    assert.equal(pick('linux/arm64', [entry('plain', oci('linux/arm64'))]), 'plain', 'arm64/v8 wanted matches a plain arm64 entry');
  });

  it('falls back along the variant chain as containerd does', () => {
    const pick = (text: string, names: string[]) => selectPlatform(INDEX.filter((e) => names.includes(e.name)), P(text)).name;
    assert.equal(pick('linux/arm64', ['amd64', 'arm-v6', 'arm-v7']), 'arm-v7', 'a 64-bit Pi runs arm/v7 when there is no arm64');
    assert.equal(pick('linux/arm/v7', ['arm-v5', 'arm-v6', 'amd64']), 'arm-v6');
    assert.equal(pick('linux/arm/v7', ['arm-v5']), 'arm-v5');
    assert.equal(pick('linux/amd64', ['arm-v7', 'amd64']), 'amd64');
    assert.throws(() => pick('linux/amd64', ['arm-v7', 'arm64']), PlatformMismatchError, 'no fallback from amd64 to arm');
  });

  it('says which platforms exist when none fits', () => {
    assert.throws(
      () => selectPlatform(INDEX.filter((e) => ['arm-v7', 'arm64', 'attestation', 'no-platform'].includes(e.name)), P('linux/arm/v6')),
      (err: unknown) => {
        assert.ok(err instanceof PlatformMismatchError);
        assert.equal(err.wanted, 'linux/arm/v6');
        assert.deepEqual(err.available, ['linux/arm/v7', 'linux/arm64']);
        assert.equal(err.message, 'no image for platform linux/arm/v6: it offers linux/arm/v7, linux/arm64');
        return true;
      },
    );
    assert.throws(() => selectPlatform([entry('x')], P('linux/amd64')), /it lists no platform/);
    assert.throws(() => selectPlatform(INDEX, P('linux/arm/v7'), { strict: false }) && selectPlatform([INDEX[2]!], P('linux/arm/v7'), { strict: true }), PlatformMismatchError);
    assert.deepEqual(availablePlatforms(INDEX), ['linux/amd64', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm64']);
  });

  it('prefers the first of equally good entries', () => {
    const twins = [entry('first', oci('linux/arm/v7')), entry('second', { os: 'linux', architecture: 'arm' })];
    assert.equal(selectPlatform(twins, P('linux/arm/v7')).name, 'first');
  });
});
