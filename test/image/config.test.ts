import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkImage,
  configPlatform,
  createImageConfig,
  createManifest,
  ImageError,
  ManifestError,
  MediaType,
  parseImageConfig,
  serialize,
  sha256Of,
  type ImageConfig,
} from '../../src/image/index.js';

/** Shaped like what `docker inspect`'s source JSON looks like for a Debian-based image. */
const DOCKER_CONFIG = {
  architecture: 'arm',
  variant: 'v7',
  os: 'linux',
  created: '2024-01-02T03:04:05.123456789Z',
  author: 'someone',
  docker_version: '24.0.7',
  container: 'abc',
  container_config: { Cmd: ['/bin/sh'] },
  config: {
    Hostname: '',
    User: 'app',
    ExposedPorts: { '80/tcp': {}, '53/udp': {} },
    Env: ['PATH=/usr/bin:/bin'],
    Entrypoint: null,
    Cmd: ['bash'],
    Volumes: { '/data': {} },
    WorkingDir: '/app',
    Labels: { maintainer: 'x' },
    StopSignal: 'SIGTERM',
    Healthcheck: { Test: ['CMD-SHELL', 'curl -f http://localhost/'], Interval: 30000000000, Timeout: 5000000000, StartPeriod: 0, StartInterval: 1000000000, Retries: 3 },
    Shell: ['/bin/bash', '-c'],
    OnBuild: ['RUN make'],
    ArgsEscaped: true,
  },
  rootfs: { type: 'layers', diff_ids: [sha256Of('l1'), sha256Of('l2')] },
  history: [
    { created: '2024-01-01T00:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:x in /', comment: 'c' },
    { created: '2024-01-01T00:00:01Z', created_by: '/bin/sh -c #(nop)  CMD ["bash"]', empty_layer: true },
    { created: '2024-01-01T00:00:02Z', created_by: 'RUN apt-get update', author: 'a' },
  ],
};

describe('image configs', () => {
  it('reads every field of a Docker-written config, dropping the rest', () => {
    const c = parseImageConfig(JSON.stringify(DOCKER_CONFIG));
    const { docker_version: _v, container: _c, container_config: _cc, config: withHost, ...top } = DOCKER_CONFIG;
    const { Hostname: _h, Entrypoint: _e, ...known } = withHost;
    assert.deepEqual(c, { ...top, config: known });
    assert.deepEqual(configPlatform(c), { os: 'linux', architecture: 'arm', variant: 'v7' });
  });

  it('reads a minimal config', () => {
    const c = parseImageConfig('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    assert.deepEqual(c, { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } });
    const noIds = parseImageConfig('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers"},"config":null,"history":null}');
    assert.deepEqual(noIds.rootfs.diff_ids, []);
    assert.equal(noIds.config, undefined);
    const win = parseImageConfig('{"architecture":"amd64","os":"windows","os.version":"10.0.17763.1","os.features":["win32k"],"rootfs":{"type":"layers"}}');
    assert.equal(win['os.version'], '10.0.17763.1');
    assert.deepEqual(win['os.features'], ['win32k']);
  });

  const bad: [string, unknown, RegExp][] = [
    ['no architecture', { os: 'linux', rootfs: { type: 'layers' } }, /image config: architecture must be a string, not missing/],
    ['rootfs of another type', { os: 'linux', architecture: 'amd64', rootfs: { type: 'x' } }, /rootfs\.type must be "layers", not "x"/],
    ['no rootfs', { os: 'linux', architecture: 'amd64' }, /rootfs must be a JSON object, not missing/],
    ['a bad diff ID', { os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: ['sha256:1'] } }, /rootfs\.diff_ids\[0\] "sha256:1" is not a valid digest/],
    ['Env as a string', { ...DOCKER_CONFIG, config: { Env: 'A=1' } }, /config\.Env must be an array/],
    ['Cmd with a number', { ...DOCKER_CONFIG, config: { Cmd: ['a', 1] } }, /config\.Cmd\[1\] must be a string, not number 1/],
    ['a port set with a value', { ...DOCKER_CONFIG, config: { ExposedPorts: { '80/tcp': 1 } } }, /config\.ExposedPorts\["80\/tcp"\] must be a JSON object/],
    ['a negative interval', { ...DOCKER_CONFIG, config: { Healthcheck: { Interval: -1 } } }, /config\.Healthcheck\.Interval must be at least 0/],
    ['empty_layer as a string', { ...DOCKER_CONFIG, history: [{ empty_layer: 'yes' }] }, /history\[0\]\.empty_layer must be true or false/],
    ['ArgsEscaped as a string', { ...DOCKER_CONFIG, config: { ArgsEscaped: 'true' } }, /config\.ArgsEscaped must be true or false/],
  ];
  for (const [what, doc, message] of bad) {
    it(`refuses ${what}`, () => {
      assert.throws(() => parseImageConfig(JSON.stringify(doc)), (e: unknown) => e instanceof ManifestError && message.test(e.message));
    });
  }

  it('starts a scratch config for a platform', () => {
    assert.deepEqual(createImageConfig({ os: 'linux', architecture: 'aarch64' }), {
      architecture: 'arm64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: [] },
      history: [],
    });
    assert.equal(createImageConfig({ os: 'linux', architecture: 'arm' }).variant, 'v7');
  });

  it('serialises a config canonically (same digest for the same content)', () => {
    const c = parseImageConfig(JSON.stringify(DOCKER_CONFIG));
    const again = parseImageConfig(serialize(c, MediaType.ociConfig).bytes);
    assert.deepEqual(again, c);
    assert.equal(serialize(again, MediaType.ociConfig).descriptor.digest, serialize(c, MediaType.ociConfig).descriptor.digest);
  });

  it('checks a manifest and its config agree on the layers', () => {
    const c = parseImageConfig(JSON.stringify(DOCKER_CONFIG));
    const layer = (s: string) => ({ mediaType: MediaType.ociLayerGzip, digest: sha256Of(s), size: 1 });
    const cfg = { mediaType: MediaType.ociConfig, digest: sha256Of('c'), size: 1 };
    checkImage(createManifest(cfg, [layer('a'), layer('b')]), c);
    assert.throws(() => checkImage(createManifest(cfg, [layer('a')]), c), (e: unknown) => e instanceof ImageError && /1 layer\(s\) but the config's rootfs has 2 diff ID/.test(e.message));
    const oneHistory: ImageConfig = { ...c, history: [{ created_by: 'x' }] };
    assert.throws(() => checkImage(createManifest(cfg, [layer('a'), layer('b')]), oneHistory), /history has 1 step\(s\) that made a layer/);
  });
});
